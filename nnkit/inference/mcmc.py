"""Adaptive random-walk Metropolis (Haario, Saksman & Tamminen 2001) for many chains in one batch, and the
convergence diagnostics split-R-hat and effective sample size (Gelman et al., BDA3 ch. 11).

All chains step together: one call of log_prob on a (chains, d) tensor per step. The Gaussian proposal starts as
initial_scale^2 I and, during the first ``n_adapt`` steps, is re-estimated every ``adapt_every`` steps as
2.38^2 / d times the covariance of every chain's samples so far (plus a small ridge); afterwards it is frozen and
the samples count.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from ..core.training import progress as with_progress
from ..core.validation import check_positive


@dataclass
class MCMCResult:
    """samples (n_kept, chains, d) after adaptation; acceptance rate after adaptation; wall time in seconds."""

    samples: np.ndarray
    acceptance_rate: float
    seconds: float

    def flat(self):
        """All chains' samples pooled: (n_kept * chains, d)."""
        return self.samples.reshape(-1, self.samples.shape[-1])


def adaptive_metropolis(log_prob, x0, n_steps, n_adapt=None, adapt_every=50, initial_scale=0.1, thin=1, seed=0,
                        progress=False):
    """Run len(x0) chains of adaptive random-walk Metropolis on ``log_prob`` ((chains, d) tensor -> (chains,)).

    x0: starting points (chains, d), all with finite log_prob. n_adapt: adaptation steps, discarded (default half
    of n_steps). thin: keep every thin-th step after adaptation. Returns an ``MCMCResult``.
    """
    x = torch.as_tensor(x0, dtype=torch.float64).clone()
    if x.ndim != 2:
        raise ValueError(f"x0 must be (chains, d); got shape {tuple(x.shape)}")
    check_positive(n_steps, "n_steps", integer=True)
    n_adapt = n_steps // 2 if n_adapt is None else n_adapt
    if not isinstance(n_adapt, int) or not 0 <= n_adapt < n_steps:
        raise ValueError(f"n_adapt must be an int in [0, n_steps); got {n_adapt!r}")
    check_positive(adapt_every, "adapt_every", integer=True)
    check_positive(initial_scale, "initial_scale")
    check_positive(thin, "thin", integer=True)
    chains, d = x.shape
    gen = torch.Generator(device=x.device).manual_seed(seed)
    logp = _checked_log_prob(log_prob, x, "x0")
    if not torch.all(torch.isfinite(logp)):
        raise ValueError(f"log_prob is not finite at {int((~torch.isfinite(logp)).sum())} starting point(s) in x0")
    chol = initial_scale * torch.eye(d, dtype=x.dtype, device=x.device)
    total, outer, count = torch.zeros(d, dtype=x.dtype, device=x.device), torch.zeros(d, d, dtype=x.dtype,
                                                                                      device=x.device), 0
    kept, accepted = [], 0
    start = time.perf_counter()
    for step in with_progress(range(n_steps), "MCMC", progress):
        proposal = x + torch.randn(chains, d, generator=gen, dtype=x.dtype, device=x.device) @ chol.T
        logp_new = log_prob(proposal)
        u = torch.rand(chains, generator=gen, dtype=x.dtype, device=x.device)
        accept = torch.log(u) < logp_new - logp  # NaN log densities are rejected
        x = torch.where(accept[:, None], proposal, x)
        logp = torch.where(accept, logp_new, logp)
        if step < n_adapt:
            total += x.sum(dim=0)
            outer += x.T @ x
            count += chains
            if (step + 1) % adapt_every == 0 and count > d:
                mean = total / count
                cov = (outer - count * torch.outer(mean, mean)) / (count - 1)
                ridge = 1e-10 * torch.trace(cov) / d + 1e-12
                chol = torch.linalg.cholesky((2.38**2 / d) * cov + ridge * torch.eye(d, dtype=x.dtype,
                                                                                      device=x.device))
        else:
            accepted += int(accept.sum())
            if (step - n_adapt) % thin == 0:
                kept.append(x.cpu().numpy())
    n_after = n_steps - n_adapt
    return MCMCResult(np.stack(kept), accepted / (n_after * chains), time.perf_counter() - start)


def _checked_log_prob(log_prob, x, name):
    logp = log_prob(x)
    if not isinstance(logp, torch.Tensor) or logp.shape != (x.shape[0],):
        got = tuple(logp.shape) if isinstance(logp, torch.Tensor) else type(logp).__name__
        raise ValueError(f"log_prob must map {name} of shape (chains, d) to a tensor of shape (chains,); got {got}")
    return logp.to(x.dtype)


def _check_samples(samples):
    samples = np.asarray(samples, dtype=float)
    if samples.ndim == 2:
        samples = samples[:, :, None]
    if samples.ndim != 3 or samples.shape[0] < 4:
        raise ValueError(f"samples must be (draws >= 4, chains, d) or (draws, chains); got {samples.shape}")
    return samples


def _variances(samples):
    """Mean within-chain variance W and the pooled estimate var+ = (n-1)/n W + var(chain means), each (d,)."""
    n, m = samples.shape[:2]
    within = samples.var(axis=0, ddof=1).mean(axis=0)
    between = samples.mean(axis=0).var(axis=0, ddof=1) if m > 1 else 0.0
    return within, (n - 1) / n * within + between


def rhat(samples):
    """Split-R-hat per dimension (d,) for samples (draws, chains, d): about 1 when the chains agree."""
    samples = _check_samples(samples)
    half = samples.shape[0] // 2
    split = np.concatenate([samples[:half], samples[-half:]], axis=1)  # (half, 2 * chains, d)
    within, var_plus = _variances(split)
    return np.sqrt(var_plus / within)


def ess(samples):
    """Effective sample size per dimension (d,) over all chains of samples (draws, chains, d), from the chains'
    autocorrelations truncated by Geyer's initial positive sequence (BDA3, section 11.5)."""
    samples = _check_samples(samples)
    n, m, d = samples.shape
    centred = samples - samples.mean(axis=0)
    spectrum = np.fft.rfft(centred, n=2 * n, axis=0)
    autocov = np.fft.irfft(spectrum * np.conj(spectrum), axis=0)[:n] / n  # (n, m, d) per-chain autocovariance
    within, var_plus = _variances(samples)
    rho = 1 - (within - autocov.mean(axis=1)) / var_plus  # (n, d)
    out = np.empty(d)
    for k in range(d):
        pairs = rho[: 2 * (n // 2), k].reshape(-1, 2).sum(axis=1)  # Geyer: sums of adjacent lags
        positive = np.flatnonzero(pairs <= 0)
        pairs = pairs[: positive[0]] if positive.size else pairs
        pairs = np.minimum.accumulate(pairs)  # initial monotone sequence
        tau = -1 + 2 * pairs.sum()
        out[k] = n * m / max(tau, 1e-12)
    return out
