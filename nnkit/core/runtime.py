"""Where to compute and how to seed: the device picker, the global seed for notebooks and tests, and a local seed
that library code uses instead of reseeding the global random state."""
from __future__ import annotations

import os
import platform
import random
from contextlib import contextmanager
from importlib import metadata

import numpy as np

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def get_device(prefer="auto"):
    """Return the ``torch.device`` to compute on.

    prefer: "auto" (CUDA when present, else CPU), "cpu", "cuda", "cuda:N", "mps", or a ``torch.device``.
    Asking for an accelerator that is not there is an error, not a silent fall-back to the CPU.
    """
    import torch

    if isinstance(prefer, torch.device):
        prefer = str(prefer)
    if not isinstance(prefer, str) or prefer.split(":")[0] not in DEVICE_CHOICES:
        raise ValueError(f"prefer must be one of {DEVICE_CHOICES} (or 'cuda:N'); got {prefer!r}")
    kind = prefer.split(":")[0]
    if kind == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"prefer={prefer!r} but torch sees no CUDA device; use 'auto' or 'cpu'")
    if kind == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
        raise ValueError(f"prefer={prefer!r} but torch sees no Apple MPS device; use 'auto' or 'cpu'")
    return torch.device(prefer)


def check_seed(seed, name="seed"):
    """Require an integer in [0, 2**32); return it as an int."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise ValueError(f"{name} must be an integer in [0, 2**32); got {seed!r}")
    return int(seed)


def seed_everything(seed):
    """Seed Python, NumPy and torch (CPU and CUDA) and make cuDNN deterministic: for notebooks and tests, never for
    library code (which uses ``seeded`` or explicit generators).

    Returns a fresh ``numpy.random.Generator`` seeded with ``seed`` for code that prefers explicit generators.
    """
    import torch

    seed = check_seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)  # inherited by subprocesses started from here
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    return np.random.default_rng(seed)


@contextmanager
def seeded(seed):
    """Run the block with torch's random state seeded by ``seed``, then put the caller's state back.

    Library code builds its networks inside this block, so their initial weights depend on ``seed`` alone and a
    notebook's later random draws do not depend on which library calls came before them.
    """
    import torch

    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []  # CUDA seeds too
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(check_seed(seed))
        yield


def package_versions(packages=("nnkit", "numpy", "torch", "scipy")):
    """Python's version and the installed version of each package, for the settings written beside results."""
    return {"python": platform.python_version(), **{name: metadata.version(name) for name in packages}}
