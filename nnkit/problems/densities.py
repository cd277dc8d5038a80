"""Densities in 2-D with known shapes, for samplers to be tried on (lessons 07-08): a correlated Gaussian, a banana and
a two-mode mixture, each a torch function of points (n, 2) -> log density (n,) up to a constant."""
from __future__ import annotations

import torch

from ..core.validation import check_choice


def gaussian_log_prob(mean, cov):
    """log N(x; mean, cov) up to a constant, as a function of particles (n, d)."""
    mean = torch.as_tensor(mean, dtype=torch.float64)
    precision = torch.linalg.inv(torch.as_tensor(cov, dtype=torch.float64))

    def log_prob(x):
        diff = x - mean.to(x)
        return -0.5 * torch.einsum("ni,ij,nj->n", diff, precision.to(x), diff)

    return log_prob


def banana_log_prob(x, curvature=0.5):
    """A curved 2-D density: x1 ~ N(0, 2^2), x2 | x1 ~ N(curvature (x1^2 - 4), 1). x: (n, 2) -> (n,)."""
    return -x[:, 0] ** 2 / 8 - (x[:, 1] - curvature * (x[:, 0] ** 2 - 4)) ** 2 / 2


def mixture_log_prob(x, separation=4.0):
    """Equal mixture of two unit Gaussians at (+-separation/2, 0) in 2-D. x: (n, 2) -> (n,)."""
    centre = torch.tensor([separation / 2, 0.0], dtype=x.dtype, device=x.device)
    a = -0.5 * ((x - centre) ** 2).sum(dim=1)
    b = -0.5 * ((x + centre) ** 2).sum(dim=1)
    return torch.logsumexp(torch.stack([a, b]), dim=0)


DENSITIES_2D = {"gaussian": gaussian_log_prob([1.0, -1.0], [[1.0, 0.8], [0.8, 1.0]]),
                "banana": banana_log_prob, "mixture": mixture_log_prob}


def density_2d(name):
    """One of ``DENSITIES_2D`` by name: a log density of points (n, 2), up to a constant."""
    return DENSITIES_2D[check_choice(name, "target", DENSITIES_2D)]
