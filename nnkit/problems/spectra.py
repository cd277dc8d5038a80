"""Radial spectra of square fields: one shell binning shared by the turbulence energy spectrum and the sea-ice
spectral exponent."""
from __future__ import annotations

import numpy as np


def wavenumbers(n):
    """Integer wave numbers (n,) along one axis of numpy's n-point FFT: 0, 1, ..., n/2 - 1, -n/2, ..., -1."""
    return np.fft.fftfreq(n) * n


def shell_sums(power):
    """Sum a power array (n, n), laid out on numpy's fft2 grid, over the shells of integer |k| (the wave-number
    vector's length rounded): returns k = 1 .. n/2, the sum over each shell and the number of modes in it."""
    n = power.shape[-1]
    k = wavenumbers(n)
    index = np.rint(np.hypot(k[:, None], k[None, :])).astype(int)
    shells = np.arange(1, n // 2 + 1)
    total = np.bincount(index.ravel(), power.ravel(), minlength=n)[shells]
    count = np.bincount(index.ravel(), minlength=n)[shells]
    return shells, total, count
