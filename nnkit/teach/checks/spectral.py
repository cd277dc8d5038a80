"""Self-checks for lessons 04-06 (spectral bias, Fourier features, multi-stage networks)."""
from __future__ import annotations

import numpy as np
import torch

from ...core.nets import mlp, train_full_batch
from ...core.runtime import seeded
from ...spectral.bias import coefficient_gradient_norms, frequency_errors
from ...spectral.fourier import SineLayer, dominant_frequency, feature_kernel, kappa_for_frequency
from . import compare


def check_coefficient_error(fn):
    """fn(fit, target, k) -> |FFT(fit)[k] - FFT(target)[k]| / |FFT(target)[k]| for arrays of N samples of one period."""
    rng = np.random.default_rng(5)
    cases = [(rng.normal(size=n), rng.normal(size=n), k) for n, k in ((16, 1), (64, 5), (200, 30))]
    return compare("coefficient_error", fn, cases, lambda f, t, k: (float(frequency_errors(f, t, [k])[0]),),
                   ("relative error",))


def _tracking_case(seed, n_points, freqs):
    """A float64 tanh MLP (seeded), inputs x (N, 1) on [-1, 1) and a target (N, 1): one sine per frequency."""
    t = np.arange(n_points) / n_points
    target = np.sin(2 * np.pi * np.outer(t, freqs)).sum(axis=1)
    with seeded(seed):
        net = mlp(1, 1, 8, 2, "tanh", dtype=torch.float64)
    return (net, torch.tensor(2 * t - 1)[:, None], torch.tensor(target)[:, None])


def _reference_track(net, x, y, freqs, n_iter, every, lr):
    fits = []
    train_full_batch(net, x, y, n_iter, lr, callback=lambda it, m: fits.append(m(x)[:, 0].detach().numpy().copy()),
                     every=every)
    return frequency_errors(np.array(fits), y[:, 0].numpy(), freqs)


def check_track_frequency_errors(fn):
    """fn(net, x, y, freqs, n_iter, every, lr) -> (r, len(freqs)): full-batch Adam on mean((net(x) - y)**2), with
    the relative error of each Fourier coefficient recorded before iterations 0, every, 2 every, ... and after the
    last; see ``nnkit.spectral.bias.track_spectral_bias``."""
    cases = [(1, 16, [1, 3], 3, 1, 1e-2), (2, 32, [1, 2, 5], 10, 4, 3e-3), (3, 40, [2, 7], 12, 5, 1e-2)]

    def run(track, seed, n_points, freqs, n_iter, every, lr):
        return (track(*_tracking_case(seed, n_points, freqs), freqs, n_iter, every, lr),)

    return compare("track_frequency_errors", lambda *a: run(fn, *a), cases, lambda *a: run(_reference_track, *a),
                   ("errors per record and frequency",))


def check_gradient_norms(fn):
    """fn(net, x, freqs) -> (len(freqs),): for each k the norm over all parameters of the gradients of the real and
    imaginary parts of c_k = FFT(net(x))[k] / N; see ``nnkit.spectral.bias.coefficient_gradient_norms``."""
    cases = [(seed, n, freqs) for seed, n, freqs in ((4, 16, [1]), (5, 32, [1, 4, 9]), (6, 64, [2, 20, 31]))]

    def run(norms, seed, n_points, freqs):
        net, x, _ = _tracking_case(seed, n_points, [1])
        return (norms(net, x, freqs),)

    return compare("gradient_norms", lambda *a: run(fn, *a), cases, lambda *a: run(coefficient_gradient_norms, *a),
                   ("gradient norms",))


def check_fourier_features(fn):
    """fn(v, B) -> [cos(2 pi v B^T), sin(2 pi v B^T)] for v (n, d), B (m, d); returns (n, 2 m). Numpy, no torch.
    The interleaved order of the slides, [cos(2 pi b_1 v), sin(2 pi b_1 v), cos(2 pi b_2 v), ...], passes too."""
    def blocks(v, B):
        proj = 2 * np.pi * v @ B.T
        return np.concatenate([np.cos(proj), np.sin(proj)], axis=1)

    def in_block_order(v, B):
        got = fn(v, B)
        interleaved = blocks(v, B).reshape(len(v), 2, -1).transpose(0, 2, 1).reshape(len(v), -1)
        if np.shape(got) == interleaved.shape and np.allclose(got, interleaved, rtol=1e-7, atol=1e-10):
            return blocks(v, B)
        return got

    rng = np.random.default_rng(6)
    cases = [(rng.uniform(size=(n, d)), rng.normal(scale=s, size=(m, d))) for n, d, m, s in ((1, 1, 1, 1.0),
                                                                                            (10, 2, 8, 5.0))]
    return compare("fourier_features", in_block_order, cases, lambda v, B: (blocks(v, B),), ("gamma(v)",))


def _sine_layer_reference(x, W, b, kappa):
    with seeded(0):  # the layer's own initial weights are overwritten; the caller's random state is left alone
        layer = SineLayer(W.shape[1], W.shape[0], kappa).double()
    with torch.no_grad():
        layer.linear.weight.copy_(torch.from_numpy(W))
        layer.linear.bias.copy_(torch.from_numpy(b))
        return (layer(torch.from_numpy(x)).numpy(),)


def check_sine_layer(fn):
    """fn(x, W, b, kappa) -> sin(kappa x W^T + b) for x (n, d), W (m, d), b (m,); returns (n, m). Numpy, no torch;
    see ``nnkit.spectral.fourier.SineLayer``."""
    rng = np.random.default_rng(9)
    cases = [(rng.uniform(-1, 1, (n, d)), rng.normal(size=(m, d)), rng.normal(size=m), kappa)
             for n, d, m, kappa in ((1, 1, 1, 3.0), (7, 1, 5, 30.0), (20, 2, 16, 8.5))]
    return compare("sine_layer", fn, cases, _sine_layer_reference, ("sine features",))


def check_kernel_matrix(fn):
    """fn(v1, v2, B) -> gamma(v1) gamma(v2)^T / m, shape (n1, n2), for v1 (n1, d), v2 (n2, d), B (m, d); see
    ``nnkit.spectral.fourier.feature_kernel``."""
    rng = np.random.default_rng(10)
    cases = [(rng.uniform(size=(n1, d)), rng.uniform(size=(n2, d)), rng.normal(scale=s, size=(m, d)))
             for n1, n2, d, m, s in ((1, 1, 1, 1, 1.0), (4, 6, 1, 16, 5.0), (9, 3, 2, 64, 2.0))]
    return compare("kernel_matrix", fn, cases, lambda *a: (feature_kernel(*a),), ("kernel matrix",))


def check_stage_kappa(fn):
    """fn(residue, width) -> kappa for a residue on N points of h in [-1, 1]; see ``fourier.kappa_for_frequency``."""
    h = [np.linspace(-1, 1, n) for n in (64, 301, 1501)]
    cases = [(np.sin(2 * np.pi * f * hh + 0.4) + 0.1 * np.cos(np.pi * hh), w) for hh, f, w in zip(h, (1.5, 6.0, 40.0),
                                                                                                   (20, 30, 20))]
    return compare("stage_kappa", fn, cases,
                   lambda r, w: (kappa_for_frequency(dominant_frequency(r, length=2.0), 1, w),), ("kappa",))


def _stage_scale(residue):
    return float(np.sqrt(np.mean(residue**2)))


def check_stage_target(fn):
    """fn(y, prediction) -> (residue / eps, eps) with residue = y - prediction and eps its RMS, y and prediction (n,)."""
    rng = np.random.default_rng(11)
    cases = [(rng.normal(size=n) + 0.3, rng.normal(size=n)) for n in (1, 7, 300)]

    def reference(y, prediction):
        residue = y - prediction
        return residue / _stage_scale(residue), _stage_scale(residue)

    return compare("stage_target", fn, cases, reference, ("scaled residue", "eps"))


def _smoothing_fit(x, target, kappa):
    """A stand-in for training a stage: a 9-point moving average of the target, interpolated (ignores kappa)."""
    smoothed = np.convolve(np.pad(target, 4, mode="edge"), np.ones(9) / 9, mode="valid")
    return lambda points: np.interp(points, x, smoothed)


def _reference_stage_loop(x, y, n_stages, fit_stage):
    prediction, scales, kappas = np.zeros_like(y), [], []
    for stage in range(n_stages):
        residue = y - prediction
        eps = _stage_scale(residue)
        kappa = 1.0 if stage == 0 else kappa_for_frequency(max(dominant_frequency(residue, length=2.0), 0.5), 1, 20)
        prediction = prediction + eps * fit_stage(x, residue / eps, kappa)(x)
        scales.append(eps), kappas.append(kappa)
    return prediction, np.array(scales), np.array(kappas)


def check_stage_loop(fn):
    """fn(x, y, n_stages, fit_stage) -> (prediction (n,), eps (n_stages,), kappa (n_stages,)) for x (n,) uniform on
    [-1, 1]: the multi-stage loop with fit_stage(x, target, kappa) -> g, g(x) ~ target; kappa 1 at stage 0, then
    ``kappa_for_frequency(max(f_d, 0.5), 1, 20)`` from the residue's dominant frequency f_d."""
    cases = []
    for n, n_stages in ((33, 1), (101, 2), (257, 4)):
        x = np.linspace(-1, 1, n)
        cases.append((x, np.sin(3 * x) + 0.2 * np.cos(17 * x) + 0.05 * np.sin(40 * x), n_stages, _smoothing_fit))
    return compare("stage_loop", fn, cases, _reference_stage_loop, ("prediction", "eps", "kappa"))
