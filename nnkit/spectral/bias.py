"""Spectral bias: networks learn low frequencies first (Rahaman et al. 2019; the F-principle of Xu et al.).

The target is a sum of sines y(t) = sum_k A_k sin(2 pi k t + phi_k) sampled at N points of t in [0, 1); the network
sees x = 2 t - 1. During training we record, for each frequency k, the relative error of the Fourier coefficient,
|FFT(fit)[k] - FFT(target)[k]| / |FFT(target)[k]|.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..core.nets import mlp, train_full_batch
from ..core.runtime import seeded
from ..core.validation import as_float_array, check_positive


def sum_of_sines(t, freqs, amps=None, phases=None):
    """y(t) = sum_k A_k sin(2 pi k t + phi_k) for t of shape (n,); amps default 1, phases default 0."""
    t = as_float_array(t, "t", ndim=1)
    freqs = as_float_array(freqs, "freqs", ndim=1)
    amps = np.ones_like(freqs) if amps is None else as_float_array(amps, "amps", ndim=1)
    phases = np.zeros_like(freqs) if phases is None else as_float_array(phases, "phases", ndim=1)
    if not len(freqs) == len(amps) == len(phases):
        raise ValueError(f"freqs, amps and phases must have the same length; got {len(freqs)}, {len(amps)}, "
                         f"{len(phases)}")
    return np.sin(2 * np.pi * np.outer(t, freqs) + phases) @ amps


def frequency_errors(fit, target, freqs):
    """Relative error of the Fourier coefficients at integer frequencies ``freqs``.

    fit, target: shape (..., N) sampled on N uniform points of one period. Returns shape (..., len(freqs)).
    """
    fit, target = np.asarray(fit, dtype=np.float64), np.asarray(target, dtype=np.float64)
    if fit.shape[-1] != target.shape[-1]:
        raise ValueError(f"fit and target must have the same number of points; got {fit.shape} and {target.shape}")
    k = np.asarray(freqs, dtype=int)
    if np.any(k < 1) or np.any(k >= target.shape[-1] // 2):
        raise ValueError(f"freqs must be integers in [1, N/2) = [1, {target.shape[-1] // 2}); got {freqs!r}")
    f_fit, f_target = np.fft.rfft(fit)[..., k], np.fft.rfft(target)[..., k]
    return np.abs(f_fit - f_target) / np.abs(f_target)


@dataclass
class SpectralHistory:
    """Training record: at each of r recorded steps (r,), the error per frequency (r, n_freqs) and the fit on the N
    sample points (r, N); the loss at every step; the sample points t (N,) and the target (N,); the trained network
    (None when the record was built by hand).
    """

    freqs: np.ndarray
    steps: np.ndarray
    errors: np.ndarray
    fits: np.ndarray
    loss: np.ndarray
    t: np.ndarray
    target: np.ndarray
    model: torch.nn.Module | None = None

    @property
    def fit(self):
        """The fit after the last iteration, shape (N,)."""
        return self.fits[-1]

    def steps_to_reach(self, level=0.1):
        """First recorded step at which each frequency's error is <= level (inf where it never is)."""
        reached = self.errors <= level
        first = np.where(reached.any(axis=0), self.steps[np.argmax(reached, axis=0)], np.inf)
        return first.astype(np.float64)


def track_spectral_bias(freqs, amps=None, n_points=200, width=64, depth=3, activation="tanh", lr=3e-3,
                        n_iter=4000, record_every=50, seed=0, device="cpu"):
    """Train an MLP (full-batch Adam) on a sum of sines and record the error of each frequency as it learns.

    Phases are drawn from ``seed`` (uniform on [0, 2 pi)). Returns a ``SpectralHistory``.
    """
    check_positive(n_points, "n_points", integer=True)
    check_positive(record_every, "record_every", integer=True)
    freqs = as_float_array(freqs, "freqs", ndim=1)
    rng = np.random.default_rng(seed)
    t = np.arange(n_points) / n_points
    target = sum_of_sines(t, freqs, amps, rng.uniform(0, 2 * np.pi, size=len(freqs)))
    frequency_errors(target, target, freqs)  # validates freqs against n_points before training
    x = torch.tensor(2 * t - 1, dtype=torch.float32, device=device)[:, None]
    y = torch.tensor(target, dtype=torch.float32, device=device)[:, None]
    with seeded(seed):
        model = mlp(1, 1, width, depth, activation).to(device)
    steps, fits = [], []

    def record(step, net):
        with torch.no_grad():
            fits.append(net(x)[:, 0].double().cpu().numpy())
        steps.append(step)

    losses = train_full_batch(model, x, y, n_iter, lr, callback=record, every=record_every)
    fits = np.array(fits)
    return SpectralHistory(freqs, np.array(steps), frequency_errors(fits, target, freqs), fits,
                           np.array(losses), t, target, model)


def coefficient_gradient_norms(model, x, freqs):
    """How strongly each Fourier component of the output pulls on the weights: for each integer k in freqs,
    sqrt(|d Re c_k / d theta|^2 + |d Im c_k / d theta|^2) over all parameters theta, with c_k = FFT(model(x))[k] / N.

    An error of unit amplitude at frequency k moves the weights with a gradient of this size (up to its phase), so
    it says how fast gradient descent can correct that frequency. model: maps x (N, 1) to (N, 1). Returns (len(freqs),).
    """
    output = model(x)[:, 0]
    coefficients = torch.fft.rfft(output) / len(output)
    k = np.asarray(freqs, dtype=int)
    if np.any(k < 1) or np.any(k >= len(output) // 2):
        raise ValueError(f"freqs must be integers in [1, N/2) = [1, {len(output) // 2}); got {freqs!r}")
    params = [p for p in model.parameters() if p.requires_grad]
    norms = []
    for kk in k:
        total = 0.0
        for part in (coefficients[kk].real, coefficients[kk].imag):
            grads = torch.autograd.grad(part, params, retain_graph=True)
            total += sum(float((g.double() ** 2).sum()) for g in grads)
        norms.append(np.sqrt(total))
    return np.array(norms)


def fprinciple_decay(xi, w):
    """exp(-|pi xi / (2 w)|): how the F-principle says a tanh neuron's gradient decays with angular frequency xi."""
    check_positive(w, "w")
    return np.exp(-np.abs(np.pi * np.asarray(xi, dtype=np.float64) / (2 * w)))


def sech2_spectrum(xi, w, half_width=60.0, n=2**16):
    """|Fourier transform| of tanh'(w x) = w sech^2(w x) at angular frequencies xi, by numerical quadrature.

    The exact transform is pi xi / w / sinh(pi xi / (2 w)), so on a log scale it falls like exp(-pi xi / (2 w)).
    """
    check_positive(w, "w")
    x = np.linspace(-half_width, half_width, n, endpoint=False)
    g = w / np.cosh(w * x) ** 2
    xi = np.atleast_1d(np.asarray(xi, dtype=np.float64))
    return np.abs(np.exp(-1j * np.outer(xi, x)) @ g) * (x[1] - x[0])
