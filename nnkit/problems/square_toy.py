"""The square toy of the DBUQ slides, a calibration problem whose posterior is known exactly:
x ~ U[-2, 2], y = x^2 + N(0, noise_sd^2). For y_obs > 0 the posterior has two modes, at +-sqrt(y_obs)."""
from __future__ import annotations

import math

import numpy as np

from ..core.scaling import BoxTransform
from ..core.validation import check_observation, check_positive

BOUND = 2.0


def sample_grid_density(grid, density, n, seed=0):
    """n samples (n, 1) from a density tabulated on a grid, by inverting its cumulative distribution."""
    check_positive(n, "n", integer=True)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (density[1:] + density[:-1]) * np.diff(grid))])
    return np.interp(np.random.default_rng(seed).random(n), cdf / cdf[-1], grid)[:, None]


class SquareToy:
    """The simulator, its prior box, its log posterior (for MCMC and SVGD) and its exact posterior.

    ``sample(y_obs, n, seed)`` draws from the exact posterior, like every posterior sampler of the kit, so the
    toy is the reference the methods are scored against.
    """

    def __init__(self, noise_sd=0.1):
        self.noise_sd = float(check_positive(noise_sd, "noise_sd"))
        self.box = BoxTransform([-BOUND], [BOUND])

    def simulate(self, n, seed=0):
        """n prior draws and their observations: x (n, 1) ~ U[-2, 2], y = x^2 + N(0, noise_sd^2) (n, 1)."""
        check_positive(n, "n", integer=True)
        rng = np.random.default_rng(seed)
        x = rng.uniform(-BOUND, BOUND, (n, 1))
        return x, x**2 + self.noise_sd * rng.standard_normal((n, 1))

    def posterior_density(self, y_obs, grid_size=8001):
        """Exact posterior density p(x | y_obs), proportional to N(y_obs; x^2, noise_sd^2) on a grid over [-2, 2]:
        (grid (g,), density (g,)) normalised to integrate to 1."""
        y_obs = check_observation(y_obs, 1, "output of the square toy")[0]
        grid = np.linspace(-BOUND, BOUND, grid_size)
        log_p = -((y_obs - grid**2) ** 2) / (2 * self.noise_sd**2)
        p = np.exp(log_p - log_p.max())
        return grid, p / np.trapezoid(p, grid)

    def sample(self, y_obs, n=1000, seed=0):
        """n draws (n, 1) from the exact posterior at y_obs (inverse CDF on an 8001-point grid)."""
        check_positive(n, "n", integer=True)
        return sample_grid_density(*self.posterior_density(y_obs), n, seed=seed)

    def log_posterior(self, y_obs):
        """log p(x | y_obs) up to a constant as a torch function (n, 1) -> (n,); -inf outside [-2, 2]."""
        import torch

        y_obs = check_observation(y_obs, 1, "output of the square toy")[0]
        noise_var = self.noise_sd**2

        def log_prob(x):
            x = x[:, 0]
            inside = x.abs() <= BOUND
            return torch.where(inside, -((y_obs - x**2) ** 2) / (2 * noise_var), -math.inf)

        return log_prob
