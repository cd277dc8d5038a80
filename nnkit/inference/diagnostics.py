"""Convergence diagnostics of MCMC chains as Vehtari, Gelman, Simpson, Carpenter & Buerkner (2021) define them:
rank-normalised split-R-hat and the bulk and tail effective sample sizes.

Every function takes samples (draws, chains, d) (or (draws, chains) for one quantity) and returns one value per
dimension (d,). The steps, each a public function because the lesson writes them:
- ``split_chains``: each chain's first and second half become two chains, so a drift within a chain shows up as
  disagreement between chains;
- ``rank_normalise``: every draw is replaced by the normal quantile of its rank among all draws,
  Phi^-1((r - 3/8) / (S + 1/4)), so heavy tails and infinite variances do not break the variance ratios;
- ``split_rhat``: sqrt(var+ / W) with W the mean within-chain variance and var+ = (n - 1)/n W + B/n;
- ``rhat``: the larger of ``split_rhat`` of the rank-normalised split chains (bulk) and of their folded version
  |x - median| (tails, which catch chains that agree in location but not in scale). Converged: below 1.01.
- ``ess_bulk`` and ``ess_tail``: n_total / tau, tau from the chains' autocorrelations summed by Geyer's initial
  monotone sequence, of the rank-normalised split chains (bulk) and of the indicators x <= q at the 5 % and 95 %
  quantiles (tail: the smaller of the two). Vehtari et al. ask for at least 100 per chain.
"""
from __future__ import annotations

import numpy as np
from scipy import stats


def _as_chains(samples, min_draws=4):
    samples = np.asarray(samples, dtype=float)
    if samples.ndim == 2:
        samples = samples[:, :, None]
    if samples.ndim != 3 or samples.shape[0] < min_draws:
        raise ValueError(f"samples must be (draws >= {min_draws}, chains, d) or (draws, chains); got "
                         f"{samples.shape}")
    if not np.all(np.isfinite(samples)):
        raise ValueError("samples contain NaN or inf; diagnose finite draws only")
    return samples


def split_chains(samples):
    """(draws, chains, d) -> (draws // 2, 2 chains, d): the first and the last half of every chain."""
    samples = _as_chains(samples)
    half = samples.shape[0] // 2
    return np.concatenate([samples[:half], samples[-half:]], axis=1)


def rank_normalise(samples):
    """Normal scores of the ranks over all draws and chains, per dimension: Phi^-1((r - 3/8) / (S + 1/4)) with
    average ranks r for ties and S draws in all. Same shape as samples (draws, chains, d)."""
    samples = _as_chains(samples, min_draws=2)
    n, m, d = samples.shape
    ranks = stats.rankdata(samples.reshape(n * m, d), method="average", axis=0)
    return stats.norm.ppf((ranks - 0.375) / (n * m + 0.25)).reshape(n, m, d)


def split_rhat(samples):
    """sqrt(var+ / W) per dimension of the chains as given (no splitting): W is the mean within-chain variance,
    var+ = (n - 1)/n W + B/n with B/n the variance of the chain means."""
    samples = _as_chains(samples, min_draws=2)
    n = samples.shape[0]
    within = samples.var(axis=0, ddof=1).mean(axis=0)
    between_over_n = samples.mean(axis=0).var(axis=0, ddof=1)
    return np.sqrt(((n - 1) / n * within + between_over_n) / within)


def rhat(samples):
    """Rank-normalised split-R-hat (d,): max of the bulk and the folded (tail) versions; about 1 when the chains
    agree, above 1.01 when they have not converged."""
    split = split_chains(samples)
    folded = np.abs(split - np.median(split.reshape(-1, split.shape[2]), axis=0))
    return np.maximum(split_rhat(rank_normalise(split)), split_rhat(rank_normalise(folded)))


def autocovariance(chains):
    """Biased autocovariance (n, m) at lags 0..n-1 of each chain (n, m): at lag k, the sum over t of
    (x_t - mean)(x_t+k - mean) divided by n (not n - k), by FFT zero-padded to 2n. Divided by its lag-0 value it
    is the autocorrelation the lesson on MCMC writes."""
    n = chains.shape[0]
    centred = chains - chains.mean(axis=0)
    spectrum = np.fft.rfft(centred, n=2 * n, axis=0)
    return np.fft.irfft(spectrum * np.conj(spectrum), n=2 * n, axis=0)[:n] / n


def _geyer_tau(rho):
    """Integrated autocorrelation time from autocorrelations rho (n,) at lags 0..n-1: pairs rho_2k + rho_2k+1 are
    summed while positive (Geyer's initial positive sequence), made non-increasing (initial monotone sequence),
    and the even lag after the last pair is added when positive."""
    n = len(rho)
    terms = np.zeros(n)
    terms[:2] = rho[:2]
    k, pair_sum, even = 1, rho[0] + rho[1], 1.0
    while 2 * k < n - 2 and pair_sum > 0:              # pair k covers lags 2k and 2k + 1
        even, odd = rho[2 * k], rho[2 * k + 1]
        pair_sum = even + odd
        if pair_sum >= 0:
            terms[2 * k], terms[2 * k + 1] = even, odd
        k += 1
    last = 2 * k - 3                                    # last lag of the last positive pair
    if even > 0:
        terms[last + 1] = even
    for j in range(1, (last + 1) // 2):                 # later pairs may not exceed earlier ones
        earlier = terms[2 * j - 2] + terms[2 * j - 1]
        if terms[2 * j] + terms[2 * j + 1] > earlier:
            terms[2 * j] = terms[2 * j + 1] = earlier / 2
    return -1 + 2 * terms[:last + 1].sum() + terms[last + 1:last + 2].sum()


def _ess(chains):
    """Effective sample size of one quantity from its chains (n, m)."""
    n, m = chains.shape
    if np.ptp(chains) < np.finfo(float).resolution:
        return float(n * m)                             # a constant: every draw counts
    acov = autocovariance(chains)
    within = acov[0].mean() * n / (n - 1)
    var_plus = within * (n - 1) / n + (chains.mean(axis=0).var(ddof=1) if m > 1 else 0.0)
    rho = 1 - (within - acov.mean(axis=1)) / var_plus
    rho[0] = 1.0
    tau = max(_geyer_tau(rho), 1 / np.log10(n * m))
    return n * m / tau


def ess_bulk(samples):
    """Bulk effective sample size (d,): of the rank-normalised split chains, for means and medians."""
    z = rank_normalise(split_chains(samples))
    return np.array([_ess(z[:, :, k]) for k in range(z.shape[2])])


def ess_tail(samples):
    """Tail effective sample size (d,): the smaller ESS of the indicators x <= q5 and x <= q95 (split chains),
    for the 5 % and 95 % quantiles and so for 90 % intervals."""
    samples = _as_chains(samples)
    out = np.empty(samples.shape[2])
    for k in range(samples.shape[2]):
        x = samples[:, :, k]
        quantiles = np.quantile(x, [0.05, 0.95])
        out[k] = min(_ess(split_chains((x <= q).astype(float))[:, :, 0]) for q in quantiles)
    return out
