"""Calibration problems shared by lessons 10 and 11: the 1-D square toy with its exact posterior, a bounded-box
parameterisation, and the posterior of the land-model parameters under a BNN surrogate (the MCMC and SVGD target).
"""
from __future__ import annotations

import math

import numpy as np
import torch

from .validation import as_float_array, check_per_output, check_positive

# --- the square toy of the DBUQ slides: X ~ U[-2, 2], Y = X^2 + N(0, sd^2) ------------------------------------
TOY_BOUND = 2.0


def square_toy(n, noise_sd=0.1, seed=0):
    """n prior samples (x (n, 1), y (n, 1)) of the toy: x ~ U[-2, 2], y = x^2 + N(0, noise_sd^2)."""
    check_positive(n, "n", integer=True)
    check_positive(noise_sd, "noise_sd")
    rng = np.random.default_rng(seed)
    x = rng.uniform(-TOY_BOUND, TOY_BOUND, (n, 1))
    return x, x**2 + noise_sd * rng.standard_normal((n, 1))


def _toy_observation(y_obs):
    y_obs = as_float_array(y_obs, "y_obs", ndim=(0, 1)).reshape(-1)
    if y_obs.size != 1:
        raise ValueError(f"y_obs of the square toy must be one number; got {y_obs.size} values")
    return float(y_obs[0])


def square_toy_posterior(y_obs, noise_sd=0.1, grid_size=8001):
    """Exact posterior density p(x | y_obs) proportional to N(y_obs; x^2, noise_sd^2) on a grid over [-2, 2]:
    (grid (g,), density (g,)) normalised to integrate to 1."""
    y_obs = _toy_observation(y_obs)
    check_positive(noise_sd, "noise_sd")
    grid = np.linspace(-TOY_BOUND, TOY_BOUND, grid_size)
    log_p = -((y_obs - grid**2) ** 2) / (2 * noise_sd**2)
    p = np.exp(log_p - log_p.max())
    return grid, p / np.trapezoid(p, grid)


def sample_grid_density(grid, density, n, seed=0):
    """n samples (n, 1) from a density tabulated on a grid, by inverting its cumulative distribution."""
    check_positive(n, "n", integer=True)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (density[1:] + density[:-1]) * np.diff(grid))])
    return np.interp(np.random.default_rng(seed).random(n), cdf / cdf[-1], grid)[:, None]


def square_toy_log_posterior(y_obs, noise_sd=0.1):
    """log p(x | y_obs) up to a constant as a torch function (n, 1) -> (n,); -inf outside [-2, 2]."""
    y_obs = _toy_observation(y_obs)

    def log_prob(x):
        x = x[:, 0]
        inside = x.abs() <= TOY_BOUND
        return torch.where(inside, -((y_obs - x**2) ** 2) / (2 * noise_sd**2), -math.inf)

    return log_prob


# --- bounded parameters -----------------------------------------------------------------------------------------
class BoxTransform:
    """The logit map between a box [lower, upper]^d and R^d: w = logit((x - lower) / (upper - lower)).

    A uniform prior on the box becomes a product of standard logistic densities on w, so samplers that know
    nothing of bounds (SVGD, DBUQ, INN) can work on w and always map back inside the box.
    """

    def __init__(self, lower, upper):
        self.lower = as_float_array(lower, "lower", ndim=1)
        self.upper = as_float_array(upper, "upper", ndim=1)
        if self.lower.shape != self.upper.shape or np.any(self.upper <= self.lower):
            raise ValueError(f"lower and upper must have the same shape with upper > lower; got {self.lower} and "
                             f"{self.upper}")

    def to_unbounded(self, x):
        u = (np.asarray(x, dtype=float) - self.lower) / (self.upper - self.lower)
        u = np.clip(u, 1e-9, 1 - 1e-9)
        return np.log(u) - np.log1p(-u)

    def to_box(self, w):
        return self.lower + (self.upper - self.lower) * 0.5 * (1 + np.tanh(0.5 * np.asarray(w, dtype=float)))

    def log_prior_unbounded(self, w):
        """log density of a uniform box prior seen on w (torch (n, d) -> (n,)): sum of log-logistic densities."""
        return -(torch.nn.functional.softplus(w) + torch.nn.functional.softplus(-w)).sum(dim=1)

    def to_box_tensor(self, w):
        lower = torch.as_tensor(self.lower, dtype=w.dtype, device=w.device)
        upper = torch.as_tensor(self.upper, dtype=w.dtype, device=w.device)
        return lower + (upper - lower) * torch.sigmoid(w)


# --- the land-model posterior under a surrogate ---------------------------------------------------------------
class SurrogatePosterior:
    """Posterior of parameters u in the unit box [0, 1]^d given observations y_obs (k,) under a fitted surrogate:
    uniform prior, y_obs ~ N(f(u), noise_sd^2 + v(u)) per output, with the surrogate's predictive mean f and
    variance v (``surrogate.predictive_tensors``, e.g. an ``SVGDRegressor`` trained on unit-box inputs).

    ``log_prob(u)`` (n, d) -> (n,) is -inf outside the box (for MCMC); ``log_prob_unbounded(w)`` is the same
    posterior on w = logit(u), Jacobian included (for SVGD).
    """

    def __init__(self, surrogate, y_obs, noise_sd):
        if not hasattr(surrogate, "predictive_tensors"):
            raise TypeError(f"surrogate must provide predictive_tensors(x) (e.g. a fitted SVGDRegressor); got "
                            f"{type(surrogate).__name__}")
        y_obs = as_float_array(y_obs, "y_obs", ndim=(1, 2)).reshape(-1)
        k = surrogate.n_outputs
        if y_obs.shape != (k,):
            raise ValueError(f"y_obs must hold {k} values (one per surrogate output); got {y_obs.size}")
        noise_sd = check_per_output(noise_sd, "noise_sd", k)
        self.surrogate, self.dim = surrogate, surrogate.n_inputs
        self.y_obs = torch.as_tensor(y_obs, dtype=torch.float32)
        self.noise_var = torch.as_tensor(noise_sd**2, dtype=torch.float32)
        self.box = BoxTransform(np.zeros(self.dim), np.ones(self.dim))

    def log_likelihood(self, u):
        mean, var = self.surrogate.predictive_tensors(u)
        var = var + self.noise_var.to(var.device)
        resid2 = (mean - self.y_obs.to(mean.device)) ** 2
        return -0.5 * (resid2 / var + torch.log(var)).sum(dim=1)

    def log_prob(self, u):
        inside = ((u >= 0) & (u <= 1)).all(dim=1)
        log_lik = self.log_likelihood(u.clamp(0, 1)).to(u.dtype).to(u.device)
        return torch.where(inside, log_lik, torch.full_like(log_lik, -math.inf))

    def log_prob_unbounded(self, w):
        u = self.box.to_box_tensor(w)
        return self.log_likelihood(u).to(w.dtype) + self.box.log_prior_unbounded(w)
