"""The samplers ``nnkit calibrate`` trains on an ensemble. Each answers ``sample(y_obs, n, seed)`` with draws (n, d)
in the parameters' own units, so one code path serves them all.

Outputs and observations are whitened by the noise first, y -> L^-1 y with L L^T the noise covariance, so the
noise is N(0, I) for every method and correlated noise needs nothing method-specific. Conditions (known per
observation, e.g. site descriptors) are divided by their widths and follow the outputs: DBUQ is conditioned on
them like on outputs (the width is its kernel's); the conditional INN takes them as exact inputs (no noise is
added to them in training); for MCMC they are extra inputs of the surrogate, held fixed at each observation's
values while the chains move the parameters. The INN cannot take them: its invertible map runs from the parameters
to the outputs.
"""
from __future__ import annotations

import numpy as np

from ..core.scaling import BoxTransform
from ..inference.bnn import SVGDRegressor
from ..inference.cinn import ConditionalINN
from ..inference.dbuq import DBUQ
from ..inference.flows import INNCalibrator
from ..inference.posteriors import FixedInputs, MCMCSampler, SurrogatePosterior, residual_correlation

METHODS = ("dbuq", "inn", "cinn", "mcmc")
DEFAULT_ITERATIONS = {"dbuq": 3000, "inn": 3000, "cinn": 3000,   # generator, INN, conditional INN and
                      "mcmc": 2000,                               # BNN surrogate training steps
                      "reference": 50_000}                        # simulator runs of the exact reference


def whitener(noise_covariance):
    """The matrix W = L^-1 (k, k) with L L^T = noise_covariance: W y has noise N(0, I)."""
    return np.linalg.inv(np.linalg.cholesky(noise_covariance))


def fit_sampler(method, theta, y_white, lower, upper, iterations=None, seed=0, device="cpu", progress=False,
                n_conditions=0):
    """Train ``method`` on parameters theta (n, d) and whitened outputs y_white (n, k) under a uniform prior on
    [lower, upper]; returns the sampler. iterations: training steps (None: DEFAULT_ITERATIONS). The last
    n_conditions columns of y_white are conditions over their widths (see the module's docstring)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}")
    iterations = DEFAULT_ITERATIONS[method] if iterations is None else int(iterations)
    box, k = BoxTransform(lower, upper), y_white.shape[1]
    common = dict(seed=seed, device=device, progress=progress)
    if method == "dbuq":
        return DBUQ(y_bandwidth=np.ones(k), box=box, n_iter=iterations, **common).fit(theta, y_white)
    if method == "inn":
        return INNCalibrator(x_dim=theta.shape[1], y_dim=k, noise_sd=np.ones(k), box=box, n_iter=iterations,
                             **common).fit(theta, y_white)
    k -= n_conditions
    if method == "cinn":                 # the settings of lesson 13 (24,000 land-model runs across sites)
        from ..problems.landmodel import sites
        noise_sd = np.concatenate([np.ones(k), np.zeros(n_conditions)])
        return ConditionalINN(noise_sd=noise_sd, box=box, n_iter=iterations, **sites.CINN_SETTINGS,
                              **common).fit(theta, y_white)
    inputs, y_white = np.hstack([theta, y_white[:, k:]]), y_white[:, :k]
    n_fit = int(0.9 * len(theta))        # the last tenth measures how the surrogate's errors correlate
    bnn = SVGDRegressor(n_iter=iterations, **common).fit(inputs[:n_fit], y_white[:n_fit])
    return SurrogateMCMC(bnn, box, residual_correlation(bnn, inputs[n_fit:], y_white[n_fit:]), n_conditions, progress)


class SurrogateMCMC:
    """Adaptive Metropolis (64 chains, 4000 steps) on a surrogate's likelihood of whitened outputs, with the last
    n_conditions values of each observation held fixed as the surrogate's trailing inputs."""

    def __init__(self, surrogate, box, correlation, n_conditions=0, progress=False):
        self.surrogate, self.box, self.correlation = surrogate, box, correlation
        self.n_conditions, self.progress = n_conditions, progress

    def sample(self, y_white, n=1000, seed=0):
        k = len(y_white) - self.n_conditions
        surrogate = FixedInputs(self.surrogate, y_white[k:]) if self.n_conditions else self.surrogate
        posterior = SurrogatePosterior(surrogate, np.ones(k), self.box, self.correlation)
        sampler = MCMCSampler(posterior, n_chains=64, n_steps=4000, n_adapt=1000, progress=self.progress)
        return sampler.sample(y_white[:k], n, seed)


class Unwhitened:
    """A sampler that takes observations in their own units, answering whitened ones (y = L y_white): the
    simulator-based reference, which weights its runs by the noise itself."""

    def __init__(self, sampler, noise_covariance):
        self.sampler, self.chol = sampler, np.linalg.cholesky(noise_covariance)

    def sample(self, y_white, n=1000, seed=0):
        return self.sampler.sample(self.chol @ y_white, n, seed)
