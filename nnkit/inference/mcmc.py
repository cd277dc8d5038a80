"""Adaptive random-walk Metropolis (Haario, Saksman & Tamminen 2001) for many chains in one batch; the
convergence diagnostics (R-hat, ESS) are in ``diagnostics``.

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

from ..core.runtime import check_seed
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
    gen = torch.Generator(device=x.device).manual_seed(check_seed(seed))
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
