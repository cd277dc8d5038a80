"""Scaling: the logistic function, z-scores per column, and the logit map between a box of parameters and R^d.

numpy only at import time; the tensor methods of ``BoxTransform`` import torch when called.
"""
from __future__ import annotations

import numpy as np

from .validation import as_float_array


def sigmoid(z):
    """Logistic function 1 / (1 + exp(-z)), written with tanh so that it never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


class Standardizer:
    """z = (v - mean) / std per column, fitted on training data (a constant column gets std 1)."""

    def __init__(self, values):
        self.mean = values.mean(axis=0)
        std = values.std(axis=0)
        self.std = np.where(std > 0, std, 1.0)

    def __call__(self, values):
        return (values - self.mean) / self.std

    def inverse(self, z):
        return z * self.std + self.mean


class BoxTransform:
    """The maps between a box [lower, upper]^d of parameters x, the unit cube u = (x - lower) / (upper - lower), and
    R^d by w = logit(u).

    A uniform prior on the box becomes a product of standard logistic densities on w, so samplers that know
    nothing of bounds (SVGD, DBUQ, INN) can work on w and always map back inside the box; random-walk Metropolis
    works on u, where every parameter has the same scale.
    """

    def __init__(self, lower, upper):
        self.lower = as_float_array(lower, "lower", ndim=1)
        self.upper = as_float_array(upper, "upper", ndim=1)
        if self.lower.shape != self.upper.shape or np.any(self.upper <= self.lower):
            raise ValueError(f"lower and upper must have the same shape with upper > lower; got {self.lower} and "
                             f"{self.upper}")
        self.dim = len(self.lower)

    def to_unit(self, x):
        """u (n, d) in [0, 1]^d for parameters x (n, d)."""
        return (np.asarray(x, dtype=float) - self.lower) / (self.upper - self.lower)

    def from_unit(self, u):
        """Parameters x (n, d) for u (n, d) in the unit cube."""
        return self.lower + (self.upper - self.lower) * np.asarray(u, dtype=float)

    def to_unbounded(self, x):
        """w = logit(u) (n, d) for parameters x (n, d); points on the faces are moved 1e-9 inside."""
        u = np.clip(self.to_unit(x), 1e-9, 1 - 1e-9)
        return np.log(u) - np.log1p(-u)

    def to_box(self, w):
        """Parameters x (n, d) for w (n, d): always inside the box."""
        return self.from_unit(sigmoid(np.asarray(w, dtype=float)))

    def log_prior_unbounded(self, w):
        """log density of a uniform box prior seen on w (torch (n, d) -> (n,)): sum of log-logistic densities."""
        import torch

        return -(torch.nn.functional.softplus(w) + torch.nn.functional.softplus(-w)).sum(dim=1)

    def from_unit_tensor(self, u):
        """``from_unit`` for a torch tensor (n, d), differentiable, in u's dtype and device."""
        import torch

        lower = torch.as_tensor(self.lower, dtype=u.dtype, device=u.device)
        upper = torch.as_tensor(self.upper, dtype=u.dtype, device=u.device)
        return lower + (upper - lower) * u

    def to_box_tensor(self, w):
        """``to_box`` for a torch tensor (n, d), differentiable, in w's dtype and device."""
        import torch

        return self.from_unit_tensor(torch.sigmoid(w))
