"""Data generated in the kit (nothing is downloaded): decaying 2-D turbulence from a pseudo-spectral solver.

Incompressible Navier-Stokes in vorticity form on the periodic box [0, 2 pi)^2,
    d omega/dt + u . grad omega = (1/Re) laplacian omega,   omega = -laplacian psi,  u = d psi/dy,  v = -d psi/dx,
solved with FFTs (2/3-rule de-aliasing) and integrating-factor RK4 at CFL 0.5. The initial vorticity has the
San & Staples (2012) spectrum E(k) ~ (k/k_p)^(2s+1) exp(-(s + 1/2)(k/k_p)^2), s = 3, k_p = 12, random phases,
scaled to kinetic energy 1/2 (u_rms = 1).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.validation import as_float_array, check_positive
from .spectra import shell_sums, wavenumbers


@dataclass
class FlowField:
    """A snapshot of 2-D turbulence on an n x n grid of the box [0, 2 pi)^2.

    psi, omega: stream function and vorticity, shape (n, n), indexed [i_x, i_y]; x: grid coordinates (n,);
    t: time reached; n_steps: time steps taken; resolution: the grid the solver ran on.
    """

    psi: np.ndarray
    omega: np.ndarray
    x: np.ndarray
    t: float
    n_steps: int
    resolution: int


def _wavenumbers(n):
    kx = np.fft.fftfreq(n, 1.0 / n)[:, None]
    ky = np.fft.rfftfreq(n, 1.0 / n)[None, :]
    return kx, ky


def _inverse_laplacian(kx, ky):
    """1 / |k|^2 on the rfft grid, 0 for the mean mode, so that psi_hat = omega_hat * _inverse_laplacian(...)."""
    k2 = kx**2 + ky**2
    return np.divide(1.0, k2, out=np.zeros_like(k2), where=k2 > 0)


def _velocities(omega_hat, kx, ky, inv_k2, n):
    """u = d psi / dy and v = -d psi / dx on the n x n grid from the vorticity spectrum."""
    psi_hat = omega_hat * inv_k2
    return np.fft.irfft2(1j * ky * psi_hat, s=(n, n)), np.fft.irfft2(-1j * kx * psi_hat, s=(n, n))


def _initial_vorticity_hat(n, rng, k_peak=12.0, s=3):
    kx, ky = _wavenumbers(n)
    k = np.sqrt(kx**2 + ky**2)
    a_s = (2 * s + 1) ** (s + 1) / (2**s * np.prod(np.arange(1, s + 1)))
    energy = a_s / (2 * k_peak) * (k / k_peak) ** (2 * s + 1) * np.exp(-(s + 0.5) * (k / k_peak) ** 2)
    phase = np.exp(2j * np.pi * rng.uniform(size=k.shape))
    omega = np.fft.irfft2(np.sqrt(k * energy / np.pi) * phase, s=(n, n))
    omega_hat = np.fft.rfft2(omega)  # round trip makes the spectrum Hermitian
    u, v = _velocities(omega_hat, kx, ky, _inverse_laplacian(kx, ky), n)
    return omega_hat * np.sqrt(0.5 / (0.5 * np.mean(u**2 + v**2)))


def navier_stokes_2d(n=128, re=2000.0, t_end=2.0, seed=0, resolution=None, cfl=0.5):
    """Decaying 2-D turbulence at Reynolds number ``re`` up to time ``t_end``; returns a ``FlowField`` on n x n.

    resolution: the solver's grid (default 2 n, at least 256 for re >= 1000, since Re = 2000 piles up energy at
    the smallest scales of a 128 grid); the result is spectrally truncated to n x n. About 15 s on 2 cores for the
    defaults.
    """
    check_positive(n, "n", integer=True)
    check_positive(re, "re")
    check_positive(t_end, "t_end")
    check_positive(cfl, "cfl")
    N = max(2 * n, 256 if re >= 1000 else 0) if resolution is None else check_positive(resolution, "resolution",
                                                                                      integer=True)
    if N < n or n % 2 or N % 2:
        raise ValueError(f"n and resolution must be even with resolution >= n; got n={n}, resolution={N}")
    kx, ky = _wavenumbers(N)
    k2 = kx**2 + ky**2
    inv_k2 = _inverse_laplacian(kx, ky)
    keep = (np.abs(kx) < N / 3) & (np.abs(ky) < N / 3)  # 2/3 rule

    def advection(w_hat):
        u, v = _velocities(w_hat, kx, ky, inv_k2, N)
        wx, wy = np.fft.irfft2(1j * kx * w_hat, s=(N, N)), np.fft.irfft2(1j * ky * w_hat, s=(N, N))
        return np.where(keep, -np.fft.rfft2(u * wx + v * wy), 0.0)

    w_hat = _initial_vorticity_hat(N, np.random.default_rng(seed))
    t, steps, dx = 0.0, 0, 2 * np.pi / N
    while t < t_end - 1e-12:
        u, v = _velocities(w_hat, kx, ky, inv_k2, N)
        dt = min(cfl * dx / np.max(np.abs(u) + np.abs(v)), t_end - t)
        half = np.exp(-k2 * dt / (2 * re))
        full = half**2
        a = dt * advection(w_hat)
        b = dt * advection(half * (w_hat + a / 2))
        c = dt * advection(half * w_hat + b / 2)
        d = dt * advection(full * w_hat + half * c)
        w_hat = full * w_hat + (full * a + 2 * half * (b + c) + d) / 6
        t, steps = t + dt, steps + 1
    if not np.all(np.isfinite(w_hat)):
        raise FloatingPointError("the solver blew up; raise resolution or lower cfl")
    return FlowField(*_truncate(w_hat, inv_k2, N, n), x=2 * np.pi * np.arange(n) / n, t=t, n_steps=steps,
                     resolution=N)


def _truncate(w_hat, inv_k2, N, n):
    """psi and omega on an n x n grid, keeping the wave numbers |k| < n/2 of the N-grid spectrum."""
    rows = np.r_[0:n // 2, N - n // 2:N]
    scale = (n / N) ** 2
    small_w = w_hat[rows, :n // 2 + 1] * scale
    small_psi = (w_hat * inv_k2)[rows, :n // 2 + 1] * scale
    small_w[n // 2, :] = small_psi[n // 2, :] = 0.0  # drop the Nyquist modes, which n points cannot tell apart
    small_w[:, n // 2] = small_psi[:, n // 2] = 0.0
    return np.fft.irfft2(small_psi, s=(n, n)), np.fft.irfft2(small_w, s=(n, n))


def energy_spectrum(psi):
    """Shell-summed kinetic-energy spectrum of a periodic stream function psi (n, n) on [0, 2 pi)^2.

    Returns (k, E) with integer shells k = 1 .. n/2 - 1 and E(k) = sum over k - 1/2 <= |k'| < k + 1/2 of
    |k'|^2 |psi_hat(k')|^2 / (2 n^4), so that sum_k E(k) = mean(u^2 + v^2) / 2 up to the modes beyond n/2.
    """
    psi = as_float_array(psi, "psi", ndim=2)
    n = psi.shape[0]
    if psi.shape != (n, n):
        raise ValueError(f"psi must be square, shape (n, n); got {psi.shape}")
    k = wavenumbers(n)
    density = (k[:, None] ** 2 + k[None, :] ** 2) * np.abs(np.fft.fft2(psi)) ** 2 / (2 * n**4)
    shells, energy, _ = shell_sums(density)
    return shells[:-1], energy[:-1]


def spectral_upsample(field, m):
    """The band-limited periodic field (n, n) evaluated on an m x m grid (m >= n, even) by zero-padding its FFT.

    Modes at the Nyquist wave number n/2 are dropped (fields from ``navier_stokes_2d`` have none).
    Every n-grid point lies on the m-grid when m is a multiple of n, so the extra points are exact values of the
    same trigonometric interpolant: held-out points that carry no frequency the n-grid cannot represent.
    """
    field = as_float_array(field, "field", ndim=2)
    n = field.shape[0]
    if field.shape != (n, n) or n % 2:
        raise ValueError(f"field must be square with an even side, shape (n, n); got {field.shape}")
    if m < n or m % 2:
        raise ValueError(f"m must be even and at least {n}; got {m}")
    spectrum = np.fft.rfft2(field)
    spectrum[n // 2, :] = spectrum[:, n // 2] = 0.0  # Nyquist modes are ambiguous between +n/2 and -n/2: dropped
    padded = np.zeros((m, m // 2 + 1), dtype=complex)
    padded[np.r_[0:n // 2, m - n // 2:m], :n // 2 + 1] = spectrum
    return np.fft.irfft2(padded * (m / n) ** 2, s=(m, m))


def error_by_band(prediction, truth, bounds):
    """Relative L2 error of prediction against truth, both periodic fields on the same m x m grid, split by wave number.

    bounds: increasing wave numbers below m/2 that end the bands [0, b1], (b1, b2], ..., (b_last, m/2] of the larger
    of |kx| and |ky| (the square shells a grid's Nyquist limit cuts along). Returns (len(bounds) + 1,): the error's
    part in each band divided by the RMS of truth; their squares sum to the squared total relative error (Parseval).
    On a grid finer than the one a model trained on, the bands above that grid's Nyquist wave number hold the error
    its loss could not see.
    """
    prediction = as_float_array(prediction, "prediction", ndim=2)
    truth = as_float_array(truth, "truth", ndim=2)
    m = truth.shape[0]
    if truth.shape != (m, m) or prediction.shape != truth.shape:
        raise ValueError(f"prediction and truth must be square fields of one shape; got {prediction.shape} and "
                         f"{truth.shape}")
    bounds = np.asarray(bounds, dtype=float)
    if bounds.ndim != 1 or np.any(np.diff(bounds) <= 0) or bounds.min() <= 0 or bounds.max() >= m / 2:
        raise ValueError(f"bounds must be increasing wave numbers in (0, {m / 2:g}); got {bounds.tolist()}")
    k = np.abs(np.fft.fftfreq(m, 1.0 / m))
    shell = np.searchsorted(bounds, np.maximum(k[:, None], k[None, :]), side="left")  # band index of each mode
    power = np.abs(np.fft.fft2(prediction - truth)) ** 2 / m**4  # Parseval: mean square = sum of power
    return np.sqrt(np.bincount(shell.ravel(), power.ravel(), minlength=len(bounds) + 1) / np.mean(truth**2))
