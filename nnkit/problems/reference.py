"""The exact posterior of a simulator, by importance sampling from its prior: the reference every calibration
method is scored against.

n parameter sets drawn from the prior go through the simulator once (in chunks, with a progress bar); for an
observation y_obs with Gaussian noise sd sigma_k, run j gets the weight w_j proportional to
prod_k N(y_obs,k; f_k(theta_j), sigma_k^2), and draws are resampled with these weights. With n runs the
importance sample is worth ESS = (sum w)^2 / sum w^2 independent draws; below ``ess_floor`` the answer is refused,
since it would be a handful of runs repeated. The runs are kept, so later observations cost only the weights.
"""
from __future__ import annotations

import time

import numpy as np

from ..core.training import progress as with_progress
from ..core.validation import as_float_array, check_observation, check_per_output, check_positive


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
        log_w = -0.5 * (((y - y_obs) / self.noise) ** 2).sum(axis=1)
        w = np.exp(log_w - log_w.max())
        w /= w.sum()
        return w, float(1.0 / np.sum(w**2))

    def sample(self, y_obs, n=1000, seed=0):
        """n posterior draws (n, d) for y_obs, resampled from the weighted prior runs (a ValueError, saying what
        to raise, when the effective sample size is below ess_floor)."""
        check_positive(n, "n", integer=True)
        w, self.ess = self.weights(y_obs)
        if self.ess < self.ess_floor:
            raise ValueError(f"the importance sample is worth {self.ess:.0f} draws, below ess_floor = "
                             f"{self.ess_floor:g}: raise n_runs (now {self.n_runs}), or lower ess_floor knowingly")
        rows = np.random.default_rng(seed).choice(len(w), size=n, replace=True, p=w)
        return self._theta[rows]
