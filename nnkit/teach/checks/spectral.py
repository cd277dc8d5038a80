"""Self-checks for lessons 04-06 (spectral bias, Fourier features, multi-stage networks); numpy only."""
from __future__ import annotations

import numpy as np

from ...spectral.bias import frequency_errors
from ...spectral.fourier import dominant_frequency, kappa_for_frequency
from . import compare


def check_coefficient_error(fn):
    """fn(fit, target, k) -> |FFT(fit)[k] - FFT(target)[k]| / |FFT(target)[k]| for arrays of N samples of one period."""
    rng = np.random.default_rng(5)
    cases = [(rng.normal(size=n), rng.normal(size=n), k) for n, k in ((16, 1), (64, 5), (200, 30))]
    return compare("coefficient_error", fn, cases, lambda f, t, k: (float(frequency_errors(f, t, [k])[0]),),
                   ("relative error",))


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


def check_stage_kappa(fn):
    """fn(residue, width) -> kappa for a residue on N points of h in [-1, 1]; see ``fourier.kappa_for_frequency``."""
    h = [np.linspace(-1, 1, n) for n in (64, 301, 1501)]
    cases = [(np.sin(2 * np.pi * f * hh + 0.4) + 0.1 * np.cos(np.pi * hh), w) for hh, f, w in zip(h, (1.5, 6.0, 40.0),
                                                                                                   (20, 30, 20))]
    return compare("stage_kappa", fn, cases,
                   lambda r, w: (kappa_for_frequency(dominant_frequency(r, length=2.0), 1, w),), ("kappa",))
