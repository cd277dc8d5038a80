"""The exact posterior of a simulator, by importance sampling from its prior: the reference every calibration
method is scored against.

n parameter sets drawn from the prior go through the simulator once (in chunks, with a progress bar); for an
observation y_obs with Gaussian noise sd sigma_k, run j gets the weight w_j proportional to
prod_k N(y_obs,k; f_k(theta_j), sigma_k^2), and draws are resampled with these weights. With n runs the
importance sample is worth ESS = (sum w)^2 / sum w^2 independent draws; below ``ess_floor`` the answer is refused,
since it would be a handful of runs repeated. The runs are kept, so later observations cost only the weights.

``NeuralImportanceSampler`` draws the runs from a learnt posterior instead of the prior (neural importance sampling,
Dax et al. 2023): w_j proportional to p(theta_j) L(y_obs | theta_j) / q(theta_j | y_obs). It is exact in the same
limit, and costs new runs at every observation; its ESS per run says how close q already was.
"""
from __future__ import annotations

import time

import numpy as np

from ..core.training import progress as with_progress
from ..core.scaling import BoxTransform
from ..core.validation import (as_float_array, check_fraction, check_observation, check_per_output,
                               check_positive)


def gaussian_log_likelihood(y, y_obs, noise):
    """log L(y_obs | run) (m,) up to a constant, for outputs y (m, k), y_obs (k,) and noise sd (k,)."""
    return -0.5 * (((y - y_obs) / noise) ** 2).sum(axis=1)


def normalised_weights(log_w):
    """Weights (m,) summing to one from log weights (m,), and their effective sample size (sum w)^2 / sum w^2."""
    w = np.exp(log_w - log_w.max())
    w /= w.sum()
    return w, float(1.0 / np.sum(w**2))


def resample(theta, w, ess, ess_floor, n_runs, n, seed):
    """n draws (n, d) of the runs theta (m, d) with weights w, or a ValueError when ess is below ess_floor."""
    if ess < ess_floor:
        raise ValueError(f"the importance sample is worth {ess:.0f} draws, below ess_floor = {ess_floor:g}: raise "
                         f"n_runs (now {n_runs}), or lower ess_floor knowingly")
    return theta[np.random.default_rng(seed).choice(len(w), size=n, replace=True, p=w)]


class ImportanceReference:
    """Posterior sampler from prior runs of a simulator: ``sample(y_obs, n, seed) -> (n, d)``.

    simulate: parameters (m, d) -> outputs (m, k) (the observed outputs only); sample_prior: (n, seed) -> (n, d);
    noise_sd: observation noise sd in the units of the outputs (a number or one per output); n_runs: prior runs;
    chunk: runs per simulator call; ess_floor: the smallest effective sample size to answer with.
    ``ess`` holds the effective sample size of the last observation, ``seconds`` the time the runs took.
    """

    def __init__(self, simulate, sample_prior, noise_sd, n_runs=200_000, chunk=10_000, ess_floor=1000, seed=0,
                 progress=False):
        if not callable(simulate) or not callable(sample_prior):
            raise TypeError("simulate and sample_prior must be callables: theta (m, d) -> y (m, k) and "
                            "(n, seed) -> theta (n, d)")
        check_per_output(noise_sd, "noise_sd", np.size(noise_sd))   # positive, before any run; the count is
        self.simulate, self.sample_prior, self.noise_sd = simulate, sample_prior, noise_sd   # checked on the outputs
        self.n_runs = check_positive(n_runs, "n_runs", integer=True)
        self.chunk = check_positive(chunk, "chunk", integer=True)
        self.ess_floor = check_positive(ess_floor, "ess_floor")
        self.seed, self.progress = seed, progress

    def runs(self):
        """The prior parameters (n_runs, d) and their simulated outputs (n_runs, k), made on first use."""
        if not hasattr(self, "_theta"):
            start = time.perf_counter()
            theta = as_float_array(self.sample_prior(self.n_runs, self.seed), "sample_prior(n, seed)", ndim=2)
            chunks = range(0, self.n_runs, self.chunk)
            outputs = [self.simulate(theta[i:i + self.chunk])
                       for i in with_progress(chunks, "reference runs", self.progress)]
            self._theta, self._y = theta, as_float_array(np.vstack(outputs), "simulate(theta)", ndim=2)
            self.noise = check_per_output(self.noise_sd, "noise_sd", self._y.shape[1])
            self.seconds = time.perf_counter() - start
        return self._theta, self._y

    def weights(self, y_obs):
        """Normalised importance weights (n_runs,) of the prior runs for y_obs (k,), and their ESS."""
        theta, y = self.runs()
        y_obs = check_observation(y_obs, y.shape[1], "observed output")
        return normalised_weights(gaussian_log_likelihood(y, y_obs, self.noise))

    def sample(self, y_obs, n=1000, seed=0):
        """n posterior draws (n, d) for y_obs, resampled from the weighted prior runs (a ValueError, saying what
        to raise, when the effective sample size is below ess_floor)."""
        check_positive(n, "n", integer=True)
        w, self.ess = self.weights(y_obs)
        return resample(self._theta, w, self.ess, self.ess_floor, self.n_runs, n, seed)


class NeuralImportanceSampler:
    """Posterior sampler at one observation from a learnt posterior corrected by the simulator:
    ``sample(y_obs, n, seed) -> (n, d)``.

    proposal: a fitted amortised sampler with ``sample(context, n, seed)`` and ``log_prob(theta, context)`` (a
    ``ConditionalINN``); simulate and noise_sd as for ``ImportanceReference``; box: the ``BoxTransform`` of the
    uniform prior; context: y_obs (k,) -> the proposal's conditioning (default y_obs itself; across sites, the
    observation and the site's descriptors). Each run comes from the prior with probability ``defensive`` (a) and
    from the proposal otherwise: with q = (1 - a) q_learnt + a p every weight stays below L / a, however narrow
    q_learnt is where the posterior is not. The runs go through the simulator ``chunk`` at a time, up to n_runs,
    and stop early once the weights are worth ``target_ess`` draws (None: all n_runs). ``ess``, ``n_used`` (runs),
    ``efficiency`` (= ess / n_used; near 1 when q_learnt was already right) and ``seconds`` (the runs) describe
    the last observation.
    """

    def __init__(self, proposal, simulate, noise_sd, box, context=None, n_runs=4000, target_ess=None, defensive=0.1,
                 chunk=2000, ess_floor=100, progress=False):
        if not (callable(getattr(proposal, "sample", None)) and callable(getattr(proposal, "log_prob", None))):
            raise TypeError(f"proposal must have sample(context, n, seed) and log_prob(theta, context), as a "
                            f"fitted ConditionalINN; got {type(proposal).__name__}")
        if not callable(simulate) or (context is not None and not callable(context)):
            raise TypeError("simulate must be a callable theta (m, d) -> y (m, k), and context None or a callable "
                            "y_obs (k,) -> the proposal's conditioning")
        if not isinstance(box, BoxTransform):
            raise TypeError(f"box must be the BoxTransform of the uniform prior; got {type(box).__name__}")
        check_per_output(noise_sd, "noise_sd", np.size(noise_sd))
        self.proposal, self.simulate, self.noise_sd, self.box, self.context = proposal, simulate, noise_sd, box, \
            context
        self.n_runs = check_positive(n_runs, "n_runs", integer=True)
        self.target_ess = None if target_ess is None else check_positive(target_ess, "target_ess")
        self.defensive = check_fraction(defensive, "defensive")
        self.chunk = check_positive(chunk, "chunk", integer=True)
        self.ess_floor = check_positive(ess_floor, "ess_floor")
        self.progress = progress

    def _runs(self, context, seed):
        """n_runs parameters (n_runs, d) from the mixture q and log q (n_runs,) of each."""
        from_prior = np.random.default_rng([seed, 1]).random(self.n_runs) < self.defensive
        n_prior = int(from_prior.sum())
        theta = np.empty((self.n_runs, self.box.dim))
        theta[from_prior] = self.box.from_unit(np.random.default_rng([seed, 2]).random((n_prior, self.box.dim)))
        if n_prior < self.n_runs:
            theta[~from_prior] = self.proposal.sample(context, self.n_runs - n_prior, seed=seed)
        log_prior = -np.log(self.box.upper - self.box.lower).sum()
        log_q = np.asarray(self.proposal.log_prob(theta, context), dtype=float)
        if self.defensive:
            log_q = np.logaddexp(np.log1p(-self.defensive) + log_q, np.log(self.defensive) + log_prior)
        return theta, log_prior - log_q

    def sample(self, y_obs, n=1000, seed=0):
        """n posterior draws (n, d) for y_obs (k,), resampled from the weighted runs (a ValueError below
        ess_floor)."""
        check_positive(n, "n", integer=True)
        y_obs = as_float_array(y_obs, "y_obs", ndim=(0, 1, 2)).reshape(-1)
        theta, log_ratio = self._runs(y_obs if self.context is None else self.context(y_obs), seed)
        start, log_lik = time.perf_counter(), []
        for i in with_progress(range(0, self.n_runs, self.chunk), "simulator runs", self.progress):
            y = as_float_array(self.simulate(theta[i:i + self.chunk]), "simulate(theta)", ndim=2)
            if i == 0:
                y_obs = check_observation(y_obs, y.shape[1], "observed output")
                noise = check_per_output(self.noise_sd, "noise_sd", y.shape[1])
            log_lik.append(gaussian_log_likelihood(y, y_obs, noise))
            n_used = min(i + self.chunk, self.n_runs)
            w, self.ess = normalised_weights(log_ratio[:n_used] + np.concatenate(log_lik))
            if self.target_ess is not None and self.ess >= self.target_ess:
                break
        self.seconds, self.n_used, self.efficiency = time.perf_counter() - start, n_used, self.ess / n_used
        return resample(theta[:n_used], w, self.ess, self.ess_floor, n_used, n, seed)
