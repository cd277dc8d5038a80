"""Posterior samplers: every calibration method answers ``sample(y_obs, n=1000, seed=0) -> (n, d)`` in the
parameters' own units.

A *posterior* here is an object with a ``box`` (the ``BoxTransform`` of a uniform prior) and
``log_posterior(y_obs)``, a torch function of parameters (n, d) -> (n,), -inf outside the box: the square toy
(``problems.square_toy.SquareToy``) or a surrogate's (``SurrogatePosterior``). The non-amortised samplers run the
taught loops on it for each observation: ``MCMCSampler`` calls ``mcmc.adaptive_metropolis`` on the unit cube, where
every parameter has the same scale, and ``SVGDSampler`` calls ``svgd.svgd`` on w = logit(u), where the particles
need no bounds. The amortised ones (``flows.INNCalibrator``, ``dbuq.DBUQ``) are trained once and answer any y_obs.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from ..core.runtime import get_device
from ..core.scaling import BoxTransform
from ..core.validation import (as_float_array, check_correlation, check_observation, check_per_output,
                               check_positive)
from .mcmc import MCMCResult, adaptive_metropolis
from .svgd import svgd


class SurrogatePosterior:
    """Posterior of parameters x on ``box`` under a fitted surrogate of the simulator: uniform prior on the box,
    y_obs ~ N(f(x), diag(noise_sd^2) + D(x) R D(x)), with the surrogate's predictive mean f and sd D(x)
    (``surrogate.predictive_tensors``, e.g. an ``SVGDRegressor`` trained on parameters in their own units) and R the
    correlation (k, k) of its errors across outputs: ``error_correlation``, e.g. ``residual_correlation`` of held-out
    runs. The default, None, takes the errors as independent (R = identity).
    """

    def __init__(self, surrogate, noise_sd, box, error_correlation=None):
        if not hasattr(surrogate, "predictive_tensors"):
            raise TypeError(f"surrogate must provide predictive_tensors(x) (e.g. a fitted SVGDRegressor); got "
                            f"{type(surrogate).__name__}")
        if not isinstance(box, BoxTransform):
            raise TypeError(f"box must be a BoxTransform of the prior's bounds; got {type(box).__name__}")
        if box.dim != surrogate.n_inputs:
            raise ValueError(f"box must have {surrogate.n_inputs} dimensions (the surrogate's inputs); got {box.dim}")
        self.surrogate, self.box = surrogate, box
        k = surrogate.n_outputs
        self.noise_var = torch.as_tensor(check_per_output(noise_sd, "noise_sd", k) ** 2, dtype=torch.float32)
        self.error_correlation = None if error_correlation is None else torch.as_tensor(
            check_correlation(error_correlation, k), dtype=torch.float32)

    def log_likelihood(self, x, y_obs):
        """log N(y_obs; f(x), Sigma(x)) up to a constant, (n,), for parameters x (n, d) and y_obs (k,)."""
        mean, var = self.surrogate.predictive_tensors(x)
        resid = mean - y_obs.to(mean.device)
        noise_var = self.noise_var.to(var.device)
        if self.error_correlation is None:
            var = var + noise_var
            return -0.5 * (resid**2 / var + torch.log(var)).sum(dim=1)
        sd = var.sqrt()
        cov = sd[:, :, None] * self.error_correlation.to(var.device) * sd[:, None, :] + torch.diag(noise_var)
        chol = torch.linalg.cholesky(cov)  # (n, k, k)
        z = torch.linalg.solve_triangular(chol, resid[:, :, None], upper=False)[:, :, 0]
        return -0.5 * (z**2).sum(dim=1) - torch.log(torch.diagonal(chol, dim1=1, dim2=2)).sum(dim=1)

    def log_posterior(self, y_obs):
        """log p(x | y_obs) up to a constant: a torch function (n, d) -> (n,) in x's dtype, -inf outside the box."""
        y_obs = torch.as_tensor(check_observation(y_obs, self.surrogate.n_outputs, "surrogate output"),
                                dtype=torch.float32)
        lower, upper = self.box.lower, self.box.upper

        def log_prob(x):
            lo, hi = (torch.as_tensor(b, dtype=x.dtype, device=x.device) for b in (lower, upper))
            inside = ((x >= lo) & (x <= hi)).all(dim=1)
            log_lik = self.log_likelihood(torch.maximum(torch.minimum(x, hi), lo), y_obs).to(x.dtype).to(x.device)
            return torch.where(inside, log_lik, torch.full_like(log_lik, -math.inf))

        return log_prob


class FixedInputs:
    """A surrogate of (x, c) -> y seen as a surrogate of x alone, at fixed trailing inputs c (m,): a surrogate
    trained across sites, with the site's descriptors as c, answers a one-site ``SurrogatePosterior``."""

    def __init__(self, surrogate, fixed):
        fixed = as_float_array(fixed, "fixed", ndim=1)
        if not 0 < fixed.size < surrogate.n_inputs:
            raise ValueError(f"fixed must hold fewer than the surrogate's {surrogate.n_inputs} inputs; got "
                             f"{fixed.size}")
        self.surrogate, self.fixed = surrogate, torch.as_tensor(fixed)
        self.n_inputs, self.n_outputs = surrogate.n_inputs - fixed.size, surrogate.n_outputs

    def predictive_tensors(self, x):
        """The surrogate's predictive mean and variance (n, k) at (x, c) for x (n, d)."""
        fixed = self.fixed.to(device=x.device, dtype=x.dtype).expand(len(x), -1)
        return self.surrogate.predictive_tensors(torch.cat([x, fixed], dim=1))


def residual_correlation(surrogate, x, y):
    """Correlation (k, k) of a surrogate's standardised errors (y - f(x)) / D(x) across its k outputs, from held-out
    runs x (n, d) and y (n, k) that it was not trained on (n > k): the R of ``SurrogatePosterior``."""
    x, y = as_float_array(x, "x", ndim=2), as_float_array(y, "y", ndim=2)
    if x.shape[0] != y.shape[0] or y.shape[1] != surrogate.n_outputs or x.shape[0] <= y.shape[1]:
        raise ValueError(f"x (n, {surrogate.n_inputs}) and y (n, {surrogate.n_outputs}) need the same n > "
                         f"{surrogate.n_outputs} held-out runs; got {x.shape} and {y.shape}")
    with torch.no_grad():
        mean, var = surrogate.predictive_tensors(torch.as_tensor(x, dtype=torch.float64))
    z = (y - mean.double().cpu().numpy()) / np.sqrt(var.double().cpu().numpy())
    return np.corrcoef(z, rowvar=False)


def latin_hypercube(n, d, seed=0):
    """n points (n, d) in the unit cube with one point in each of n equal slices of every axis (seeded): starts
    that cover every parameter's range evenly, so no mode is missed by chance."""
    rng = np.random.default_rng(seed)
    return (np.argsort(rng.random((n, d)), axis=0) + rng.random((n, d))) / n


def _check_posterior(posterior):
    if not (isinstance(getattr(posterior, "box", None), BoxTransform) and callable(getattr(posterior, "log_posterior",
                                                                                            None))):
        raise TypeError(f"posterior must have a box (BoxTransform) and log_posterior(y_obs), like SquareToy or "
                        f"SurrogatePosterior; got {type(posterior).__name__}")
    return posterior


class MCMCSampler:
    """Adaptive random-walk Metropolis for each observation: ``n_chains`` chains of ``n_steps`` steps (the first
    ``n_adapt``, default half, adapt the proposal and are dropped) on u = (x - lower) / (upper - lower), started
    from a Latin hypercube sample of the cube. ``sample`` returns a random subset of n of the kept draws (all chains
    alike); ``result`` keeps the last run (an ``MCMCResult`` in the parameters' units) for R-hat, ESS and the wall
    time."""

    def __init__(self, posterior, n_chains=64, n_steps=4000, n_adapt=None, initial_scale=0.05, progress=False):
        self.posterior = _check_posterior(posterior)
        self.n_chains = check_positive(n_chains, "n_chains", integer=True)
        self.n_steps = check_positive(n_steps, "n_steps", integer=True)
        self.n_adapt = self.n_steps // 2 if n_adapt is None else n_adapt
        if isinstance(self.n_adapt, bool) or not isinstance(self.n_adapt, int) or not 0 <= self.n_adapt < n_steps:
            raise ValueError(f"n_adapt must be an int in [0, n_steps = {n_steps}); got {n_adapt!r}")
        self.initial_scale, self.progress = initial_scale, progress

    def sample(self, y_obs, n=1000, seed=0):
        """n posterior draws (n, d) for y_obs, in the parameters' units."""
        check_positive(n, "n", integer=True)
        kept = (self.n_steps - self.n_adapt) * self.n_chains
        if n > kept:
            raise ValueError(f"n = {n} exceeds the {kept} draws the chains keep; raise n_steps or n_chains")
        box = self.posterior.box
        log_prob = self.posterior.log_posterior(y_obs)
        u0 = torch.as_tensor(latin_hypercube(self.n_chains, box.dim, seed), dtype=torch.float64)
        run = adaptive_metropolis(lambda u: log_prob(box.from_unit_tensor(u)), u0, self.n_steps, self.n_adapt,
                                  initial_scale=self.initial_scale, seed=seed, progress=self.progress)
        self.result = MCMCResult(box.from_unit(run.samples), run.acceptance_rate, run.seconds)
        draws = self.result.flat()
        return draws[np.random.default_rng(seed).choice(len(draws), n, replace=False)]


class SVGDSampler:
    """SVGD for each observation: ``sample(y_obs, n)`` moves n particles, started from a Latin hypercube sample of
    the prior box, by ``n_iter`` Adam steps of learning rate ``lr`` on w = logit(u), the posterior there including
    the Jacobian of the map."""

    def __init__(self, posterior, n_iter=1000, lr=0.05, bandwidth="median", device="cpu", progress=False):
        self.posterior = _check_posterior(posterior)
        self.n_iter = check_positive(n_iter, "n_iter", integer=True)
        self.lr = check_positive(lr, "lr")
        self.bandwidth, self.device, self.progress = bandwidth, get_device(device), progress

    def sample(self, y_obs, n=1000, seed=0):
        """n particles (n, d) for y_obs, in the parameters' units."""
        check_positive(n, "n", integer=True)
        box = self.posterior.box
        log_prob = self.posterior.log_posterior(y_obs)
        dtype = torch.float64 if self.device.type == "cpu" else torch.float32
        starts = box.from_unit(latin_hypercube(n, box.dim, seed))
        w0 = torch.as_tensor(box.to_unbounded(starts), dtype=dtype, device=self.device)
        particles, _ = svgd(lambda w: log_prob(box.to_box_tensor(w)) + box.log_prior_unbounded(w), w0, self.n_iter,
                            self.lr, self.bandwidth, progress=self.progress)
        return box.to_box(particles.cpu().numpy())
