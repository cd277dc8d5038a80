"""Forecast skill against lead time, and the spectral exponent that measures how much a forecast has blurred."""
from __future__ import annotations

import numpy as np

from ...core.validation import as_float_array
from ..spectra import shell_sums


def _masked(forecasts, truth, mask):
    forecasts = np.asarray(forecasts, dtype=np.float64)
    truth = np.asarray(truth, dtype=np.float64)
    mask = np.asarray(mask, dtype=bool)
    if forecasts.shape != truth.shape:
        raise ValueError(f"forecasts and truth must have the same shape; got {forecasts.shape} and {truth.shape}")
    if forecasts.ndim < 2 or mask.shape != forecasts.shape[-2:]:
        raise ValueError(f"mask must be the (ny, nx) = {forecasts.shape[-2:]} grid of the fields; got {mask.shape}")
    if not mask.any():
        raise ValueError("mask has no ocean cell")
    return (forecasts - truth)[..., mask]


def masked_rmse(forecasts, truth, mask):
    """Root-mean-square error over the ocean cells of each field: (..., ny, nx) -> (...)."""
    return np.sqrt(np.mean(_masked(forecasts, truth, mask) ** 2, axis=-1))


def masked_bias(forecasts, truth, mask):
    """Mean error (forecast - truth) over the ocean cells of each field: (..., ny, nx) -> (...)."""
    return np.mean(_masked(forecasts, truth, mask), axis=-1)


def forecast_skill(forecasts, truth, mask):
    """RMSE and bias against lead time for forecasts (S, L, ny, nx) from S start dates at L leads, each averaged
    over the starts (the forecast skill FS(k) and bias(k) of Durand et al.): two arrays (L,)."""
    if np.ndim(forecasts) != 4:
        raise ValueError(f"forecasts must be (starts, leads, ny, nx); got shape {np.shape(forecasts)}")
    return masked_rmse(forecasts, truth, mask).mean(axis=0), masked_bias(forecasts, truth, mask).mean(axis=0)


def radial_spectrum(field):
    """Radially averaged power spectrum of a square field (n, n), or the mean spectrum of a stack (m, n, n), each
    with its mean removed and a 2-D Hann taper applied: wavenumbers k = 1..n/2 (cycles per domain) and P(k), the
    mean of |FFT|^2 over the unit-width annulus around k times its area, so that a field with P(k) ~ k^-beta has
    the spectral exponent beta."""
    field = as_float_array(field, "field", ndim=(2, 3))
    n = field.shape[-1]
    if field.shape[-2] != n or n < 8:
        raise ValueError(f"field must be square, at least 8 x 8 (or a stack of such); got {field.shape}")
    taper = np.outer(np.hanning(n), np.hanning(n))
    anomaly = field - field.mean(axis=(-2, -1), keepdims=True)
    power = (np.abs(np.fft.fft2(anomaly * taper)) ** 2).reshape(-1, n, n).mean(axis=0)
    shells, total, count = shell_sums(power)
    area = np.pi * ((shells + 0.5) ** 2 - (shells - 0.5) ** 2)
    return shells.astype(float), total / count * area


def _exponent(k, p, k_min):
    """beta = -(least-squares slope of log p against log k) over k >= k_min."""
    if not 1 <= k_min < k[-1]:
        raise ValueError(f"k_min must be in [1, {int(k[-1])}); got {k_min!r}")
    keep = (k >= k_min) & (p > 0)
    return float(-np.polyfit(np.log(k[keep]), np.log(p[keep]), 1)[0])


def spectral_exponent(field, k_min=3):
    """beta, the least-squares slope of -log P(k) against log k over k = k_min..n/2 of ``radial_spectrum`` (of one
    field (n, n) or the mean spectrum of a stack (m, n, n), steadier for short windows). Smoothing removes small
    scales and raises beta; grid-scale noise lowers it. Take an all-ocean window: a coastline adds power at every k."""
    return _exponent(*radial_spectrum(field), k_min)


def q_beta(forecasts, truth, block, k_min=3):
    """Q_beta against lead time (Durand et al.): beta of the forecasts over beta of the truth, per block of ``block``
    leads, from rollouts that start at S dates. forecasts, truth: (S, L, n, n), windows that are all ocean.

    Returns (L // block,). Each side's spectrum is the mean over the starts of each start's ``radial_spectrum`` over
    the block, scaled to unit total power, so every start date weighs the same, however much ice it has; beta is
    fitted to that mean (a month of one small window can hold no crack at all, so a beta per start is too noisy to
    average).
    """
    forecasts = as_float_array(forecasts, "forecasts", ndim=4)
    truth = as_float_array(truth, "truth", ndim=4)
    if forecasts.shape != truth.shape:
        raise ValueError(f"forecasts and truth must have the same shape; got {forecasts.shape} and {truth.shape}")
    if not isinstance(block, (int, np.integer)) or not 1 <= block <= forecasts.shape[1]:
        raise ValueError(f"block must be an integer number of leads in [1, {forecasts.shape[1]}]; got {block!r}")

    def beta(fields, b):
        spectra = [radial_spectrum(start[b:b + block]) for start in fields]
        k = spectra[0][0]
        return _exponent(k, np.mean([p / p.sum() for _, p in spectra], axis=0), k_min)

    starts = range(0, forecasts.shape[1] - block + 1, block)
    return np.array([beta(forecasts, b) / beta(truth, b) for b in starts])
