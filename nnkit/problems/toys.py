"""Data for the first lessons, in numpy: a noisy line and two labelled clouds (01), and 1-D target functions that
networks are fitted to or built from (02, 03)."""
from __future__ import annotations

import numpy as np

from ..core.validation import check_nonnegative, check_positive


def make_linear_data(n=50, w=2.0, b=-1.0, noise=0.5, x_range=(-2.0, 2.0), seed=0):
    """Noisy line y = w x + b + N(0, noise^2) at n uniform x in x_range; returns x (n,), y (n,)."""
    check_positive(n, "n", integer=True)
    check_nonnegative(noise, "noise")
    rng = np.random.default_rng(seed)
    x = rng.uniform(*x_range, size=n)
    return x, w * x + b + noise * rng.normal(size=n)


def make_blobs(n=200, separation=3.0, seed=0):
    """Two Gaussian clouds in 2-D (unit variance, centres ``separation`` apart); returns x (n, 2), labels y (n,)."""
    check_positive(n, "n", integer=True)
    rng = np.random.default_rng(seed)
    y = (np.arange(n) % 2).astype(np.float64)
    centres = np.array([[-0.5, -0.5], [0.5, 0.5]]) * separation / np.sqrt(2.0)
    x = centres[y.astype(int)] + rng.normal(size=(n, 2))
    return x, y


TARGETS_1D = {
    "sine + ramp": lambda x: np.sin(2 * np.pi * x) + 0.5 * x,
    "gaussian bump": lambda x: np.exp(-20 * x**2),
    "step": lambda x: np.where(x > 0, 1.0, -1.0),
    "two frequencies": lambda x: np.sin(np.pi * x) + 0.3 * np.sin(8 * np.pi * x),
}


def smooth_target(x):
    """The function the universal-approximation lesson builds from bumps, on [0, 1] with values in (0, 1)."""
    return 0.5 + 0.3 * np.sin(2 * np.pi * x) + 0.1 * np.cos(5 * np.pi * x)
