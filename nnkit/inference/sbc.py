"""Is a posterior sampler calibrated over many observations? Simulation-based calibration (Talts et al. 2018) with
the ECDF test and simultaneous bands of Saeilynoja, Buerkner & Vehtari (2022), and central-interval coverage.

Draw truths theta_i from the prior, simulate an observation of each, and ask the sampler for L draws: the rank
r_i = #{draws < theta_i} is uniform on 0..L when the posteriors are right. Under that null, the share F(z) of ranks
below z = j / (L + 1) times N is Binomial(N, z) at every z. The test statistic gamma is twice the smallest
two-sided binomial tail probability over the checked z; its distribution under the null is simulated, which gives
a simultaneous band for F(z) (the ECDF stays inside it with probability ``level``) and a p-value per parameter.
Too-wide posteriors put the truths in the middle ranks (F below z at small z), too-narrow ones in the extremes.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import stats

from ..core.validation import as_float_array, check_fraction, check_positive

MAX_CHECKED_POINTS = 100


def _truths_and_draws(truths, posterior_samples):
    truths = as_float_array(truths, "truths", ndim=2)
    posterior_samples = as_float_array(posterior_samples, "posterior_samples", ndim=3)
    if posterior_samples.shape[0] != truths.shape[0] or posterior_samples.shape[2] != truths.shape[1]:
        raise ValueError(f"posterior_samples must be (m, L, d) = ({truths.shape[0]}, L, {truths.shape[1]}) to "
                         f"match truths; got {posterior_samples.shape}")
    return truths, posterior_samples


def sbc_ranks(truths, posterior_samples):
    """Simulation-based calibration ranks: for each of m truths (m, d) the number of its posterior draws
    (m, L, d) below it, (m, d) in 0..L; uniform when the posteriors are calibrated."""
    truths, posterior_samples = _truths_and_draws(truths, posterior_samples)
    return (posterior_samples < truths[:, None, :]).sum(axis=1)


def interval_coverage(truths, posterior_samples, level=0.95):
    """Fraction of truths (m, d) inside the central ``level`` credible interval of their posterior draws
    (m, L, d): (d,) for one level, (k, d) for a sequence of k levels such as (0.5, 0.8, 0.95)."""
    truths, posterior_samples = _truths_and_draws(truths, posterior_samples)
    levels = np.atleast_1d(level)
    for value in levels:
        check_fraction(float(value), "level", include_zero=False)
    out = []
    for value in levels:
        lo, hi = np.quantile(posterior_samples, [(1 - value) / 2, (1 + value) / 2], axis=1)
        out.append(np.mean((truths >= lo) & (truths <= hi), axis=0))
    return out[0] if np.ndim(level) == 0 else np.array(out)


def _checked_ranks(ranks, n_draws):
    ranks = np.asarray(ranks)
    ranks = ranks[:, None] if ranks.ndim == 1 else ranks
    check_positive(n_draws, "n_draws", integer=True)
    if ranks.ndim != 2 or len(ranks) < 2 or not np.issubdtype(ranks.dtype, np.integer):
        raise ValueError(f"ranks must be integers (m >= 2, d) or (m,); got {ranks.dtype} {ranks.shape}")
    if ranks.min() < 0 or ranks.max() > n_draws:
        raise ValueError(f"ranks must lie in 0..n_draws = 0..{n_draws}; got {ranks.min()}..{ranks.max()}")
    return ranks


def checked_points(n_draws):
    """The fractional ranks z = j / (L + 1) (K,) where the ECDF is checked: every rank boundary, at most 100."""
    j = np.unique(np.linspace(1, n_draws, min(n_draws, MAX_CHECKED_POINTS)).round().astype(int))
    return j / (n_draws + 1)


def rank_ecdf(ranks, n_draws):
    """F(z) (K, d): the share of ranks below each checked z = j / (L + 1) (see ``checked_points``)."""
    ranks = _checked_ranks(ranks, n_draws)
    z = checked_points(n_draws)
    return ((ranks[None, :, :] < z[:, None, None] * (n_draws + 1)).mean(axis=1))


def _gamma(ecdf, z, n):
    """Twice the smallest two-sided binomial tail probability of N F(z) over the checked z, per column of
    ecdf (K, ...)."""
    counts = np.rint(ecdf * n)
    zz = z.reshape((-1,) + (1,) * (ecdf.ndim - 1))
    tails = np.minimum(stats.binom.cdf(counts, n, zz), stats.binom.sf(counts - 1, n, zz))
    return np.minimum(2 * tails.min(axis=0), 1.0)


@lru_cache(maxsize=16)
def _null_gammas(n_sbc, n_draws, n_sim, seed):
    """gamma of n_sim simulated sets of n_sbc uniform ranks on 0..L (the test's null distribution), read-only and
    cached: a notebook asks for the same null for every method and for the band."""
    ranks = np.random.default_rng(seed).integers(0, n_draws + 1, size=(n_sim, n_sbc))
    gammas = _gamma(rank_ecdf(ranks.T, n_draws), checked_points(n_draws), n_sbc)
    gammas.flags.writeable = False
    return gammas


@dataclass(frozen=True)
class ECDFBand:
    """A simultaneous band for the rank ECDF of n_sbc truths with L draws each: F(z) stays inside
    [lower, upper] (K,) at every checked z (K,) with probability ``level`` when the posteriors are calibrated."""

    z: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    level: float


def ecdf_band(n_sbc, n_draws, level=0.95, n_sim=1000, seed=0):
    """The ``ECDFBand`` at ``level`` for n_sbc ranks on 0..n_draws, from n_sim simulated null sets (seeded)."""
    check_positive(n_sbc, "n_sbc", integer=True)
    check_fraction(level, "level", include_zero=False)
    gamma_level = np.quantile(_null_gammas(int(n_sbc), int(n_draws), int(n_sim), seed), 1 - level)
    z = checked_points(n_draws)
    lower = stats.binom.ppf(gamma_level / 2, n_sbc, z) / n_sbc
    upper = stats.binom.ppf(1 - gamma_level / 2, n_sbc, z) / n_sbc
    return ECDFBand(z, lower, upper, float(level))


def sbc_uniformity(ranks, n_draws, n_sim=1000, seed=0):
    """p-value per parameter (d,) of the ECDF test that ranks (m, d) in 0..n_draws are uniform: the share of
    simulated null sets whose gamma is at most the observed one. Below 0.01: miscalibrated at the 1 % level."""
    ranks = _checked_ranks(ranks, n_draws)
    observed = _gamma(rank_ecdf(ranks, n_draws), checked_points(n_draws), len(ranks))
    null = np.sort(_null_gammas(len(ranks), int(n_draws), int(n_sim), seed))
    return (1 + np.searchsorted(null, observed, side="right")) / (n_sim + 1)
