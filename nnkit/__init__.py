"""nnkit: a notebook-first kit for teaching and doing machine learning for Earth-system science.

The package holds every algorithm; the notebooks in ``notebooks/`` tell the story and call it.
"""
from __future__ import annotations

import os
import random

import numpy as np

__version__ = "0.1.0"
__all__ = ["get_device", "seed_everything", "__version__"]

_DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def get_device(prefer="auto"):
    """Return the ``torch.device`` to compute on.

    prefer: "auto" (CUDA when present, else CPU), "cpu", "cuda", "cuda:N", "mps", or a ``torch.device``.
    Asking for an accelerator that is not there is an error, not a silent fall-back to the CPU.
    """
    import torch

    if isinstance(prefer, torch.device):
        prefer = str(prefer)
    if not isinstance(prefer, str) or prefer.split(":")[0] not in _DEVICE_CHOICES:
        raise ValueError(f"prefer must be one of {_DEVICE_CHOICES} (or 'cuda:N'); got {prefer!r}")
    kind = prefer.split(":")[0]
    if kind == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"prefer={prefer!r} but torch sees no CUDA device; use 'auto' or 'cpu'")
    if kind == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
        raise ValueError(f"prefer={prefer!r} but torch sees no Apple MPS device; use 'auto' or 'cpu'")
    return torch.device(prefer)


def seed_everything(seed):
    """Seed Python, NumPy and torch (CPU and CUDA) and make cuDNN deterministic.

    Returns a fresh ``numpy.random.Generator`` seeded with ``seed`` for code that prefers explicit generators.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer in [0, 2**32); got {seed!r}")
    import torch

    seed = int(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)  # inherited by subprocesses started from here
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    return np.random.default_rng(seed)
