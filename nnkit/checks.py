"""Self-checks for the notebook exercises.

Each ``check_*`` calls the student's function on a few seeded random cases and compares it with nnkit's own
implementation. It prints a line and returns True when every case agrees, returns False (with a hint) while the
exercise still raises ``NotImplementedError``, and raises ``AssertionError`` saying what differs otherwise, so a
student notebook runs top to bottom before the exercises are done and stops at a wrong answer.
"""
from __future__ import annotations

import numpy as np

from . import gd
from .backprop import ACTIVATIONS, MLP, layer_backward
from .bnn import predictive_moments


def _compare(name, student_fn, cases, reference_fn, labels):
    for k, args in enumerate(cases):
        try:
            got = student_fn(*args)
        except NotImplementedError:
            print(f"… {name} is not implemented yet: fill in the exercise cell above, then run this cell again.")
            return False
        expected = reference_fn(*args)
        got = got if isinstance(got, tuple) else (got,)
        if len(got) != len(expected):
            raise AssertionError(f"{name} must return {len(expected)} values ({', '.join(labels)}); got {len(got)}")
        for label, g, e in zip(labels, got, expected):
            g = np.asarray(g, dtype=np.float64)
            if g.shape != np.shape(e):
                raise AssertionError(f"{name}: {label} must have shape {np.shape(e)}; got {g.shape} (case {k})")
            if not np.allclose(g, e, rtol=1e-7, atol=1e-10):
                raise AssertionError(f"{name}: {label} is wrong in case {k}:\n expected {np.round(e, 6)}\n"
                                     f" got      {np.round(g, 6)}")
    print(f"✓ {name} agrees with nnkit on {len(cases)} random cases.")
    return True


def check_linear_gradient(fn):
    """fn(w, b, x, y) -> (dJ/dw, dJ/db) for J = mean((w x + b - y)**2), x and y of shape (n,), w and b floats."""
    rng = np.random.default_rng(1)
    cases = [(float(rng.normal()), float(rng.normal()), rng.normal(size=n), rng.normal(size=n)) for n in (1, 5, 40)]

    def reference(w, b, x, y):
        dw, db = gd.linear_gradient(w, b, x, y)
        return float(dw[0]), db

    return _compare("linear_gradient", fn, cases, reference, ("dJ/dw", "dJ/db"))


def neuron_chain_gradients(x, y, w1, b1, w2, b2):
    """Gradients (dJ/dw1, dJ/db1, dJ/dw2, dJ/db2) of J = mean((y_hat - y)**2) for the single-neuron chain
    y_hat = s(w2 s(w1 x + b1) + b2), s the sigmoid, x and y of shape (n,): the general MLP code on a [1, 1, 1] net.
    """
    net = MLP([1, 1, 1], activation="sigmoid", output_activation="sigmoid")
    net.weights = [np.array([[w1]], dtype=float), np.array([[w2]], dtype=float)]
    net.biases = [np.array([b1], dtype=float), np.array([b2], dtype=float)]
    _, (gw1, gb1, gw2, gb2) = net.loss_and_grads(np.reshape(x, (-1, 1)), np.reshape(y, (-1, 1)))
    return float(gw1[0, 0]), float(gb1[0]), float(gw2[0, 0]), float(gb2[0])


def check_neuron_chain_gradients(fn):
    """fn(x, y, w1, b1, w2, b2) -> (dJ/dw1, dJ/db1, dJ/dw2, dJ/db2), see ``neuron_chain_gradients``."""
    rng = np.random.default_rng(2)
    cases = [(rng.normal(size=n), rng.uniform(size=n), *rng.normal(size=4)) for n in (1, 3, 30)]
    return _compare("neuron_chain_gradients", fn, cases, neuron_chain_gradients,
                    ("dJ/dw1", "dJ/db1", "dJ/dw2", "dJ/db2"))


def check_layer_backward(fn):
    """fn(grad_a, dsigma_dz, a_prev, W) -> (dJ/dW, dJ/db, dJ/da_prev), see ``nnkit.backprop.layer_backward``."""
    rng = np.random.default_rng(3)
    tanh, dtanh = ACTIVATIONS["tanh"]
    cases = []
    for n, d_in, d_out in ((1, 1, 1), (4, 3, 2), (16, 5, 7)):
        a_prev, W = rng.normal(size=(n, d_in)), rng.normal(size=(d_in, d_out))
        z = a_prev @ W + rng.normal(size=d_out)
        cases.append((rng.normal(size=(n, d_out)), dtanh(z, tanh(z)), a_prev, W))
    return _compare("layer_backward", fn, cases, layer_backward, ("dJ/dW", "dJ/db", "dJ/da_prev"))


def check_bump(fn):
    """fn(x, left, right, height, steepness) -> array like x: a column of ``height`` on [left, right] from two
    sigmoid steps; see ``nnkit.approx.bump``."""
    from .approx import bump

    rng = np.random.default_rng(4)
    cases = [(np.linspace(0, 1, n), *np.sort(rng.uniform(0, 1, 2)), float(rng.normal()), float(s))
             for n, s in ((5, 10.0), (50, 100.0), (200, 1000.0))]
    return _compare("bump", fn, cases, lambda *a: (bump(*a),), ("bump values",))


def check_coefficient_error(fn):
    """fn(fit, target, k) -> |FFT(fit)[k] - FFT(target)[k]| / |FFT(target)[k]| for arrays of N samples of one period."""
    from .spectral import frequency_errors

    rng = np.random.default_rng(5)
    cases = [(rng.normal(size=n), rng.normal(size=n), k) for n, k in ((16, 1), (64, 5), (200, 30))]
    return _compare("coefficient_error", fn, cases, lambda f, t, k: (float(frequency_errors(f, t, [k])[0]),),
                    ("relative error",))


def check_fourier_features(fn):
    """fn(v, B) -> [cos(2 pi v B^T), sin(2 pi v B^T)] for v (n, d), B (m, d); returns (n, 2 m). Numpy, no torch."""
    def reference(v, B):
        proj = 2 * np.pi * v @ B.T
        return (np.concatenate([np.cos(proj), np.sin(proj)], axis=1),)

    rng = np.random.default_rng(6)
    cases = [(rng.uniform(size=(n, d)), rng.normal(scale=s, size=(m, d))) for n, d, m, s in ((1, 1, 1, 1.0),
                                                                                            (10, 2, 8, 5.0))]
    return _compare("fourier_features", fn, cases, reference, ("gamma(v)",))


def check_stage_kappa(fn):
    """fn(residue, width) -> kappa for a residue on N points of h in [-1, 1]; see ``fourier.kappa_for_frequency``."""
    from .fourier import dominant_frequency, kappa_for_frequency

    h = [np.linspace(-1, 1, n) for n in (64, 301, 1501)]
    cases = [(np.sin(2 * np.pi * f * hh + 0.4) + 0.1 * np.cos(np.pi * hh), w) for hh, f, w in zip(h, (1.5, 6.0, 40.0),
                                                                                                   (20, 30, 20))]
    return _compare("stage_kappa", fn, cases,
                    lambda r, w: (kappa_for_frequency(dominant_frequency(r, length=2.0), 1, w),), ("kappa",))


def check_repulsive_term(fn):
    """fn(x, h) -> 1/n sum_j grad_{x_j} k(x_j, x_i) for k(x, y) = exp(-||x - y||^2 / h), x of shape (n, d)."""
    import torch

    from .svgd import rbf_kernel

    rng = np.random.default_rng(7)
    cases = [(rng.normal(size=(n, d)), h) for n, d, h in ((1, 2, 1.0), (5, 2, 0.5), (30, 3, 2.0))]
    return _compare("repulsive_term", fn, cases,
                    lambda x, h: ((rbf_kernel(torch.tensor(x), h)[1] / len(x)).numpy(),), ("repulsive term",))


def check_predictive_moments(fn):
    """fn(f, noise_var) -> (mean, aleatoric, epistemic) (n, k) for particle outputs f (S, n, k) and noise
    variances noise_var (S, k)."""
    rng = np.random.default_rng(8)
    cases = [(rng.normal(size=(s, n, k)), rng.uniform(0.1, 2, size=(s, k))) for s, n, k in ((1, 3, 1), (5, 4, 2),
                                                                                           (20, 7, 15))]
    return _compare("predictive_moments", fn, cases, predictive_moments, ("mean", "aleatoric", "epistemic"))


def coupling_inverse(v, s, t):
    """Inverse of the coupling v1 = u1, v2 = u2 * exp(s(u1)) + t(u1), halves split at d // 2."""
    d1 = v.shape[1] // 2
    v1, v2 = v[:, :d1], v[:, d1:]
    return np.hstack([v1, (v2 - t(v1)) * np.exp(-s(v1))])


def check_coupling_inverse(fn):
    """fn(v, s, t) -> u (n, d) inverting v1 = u1, v2 = u2 * exp(s(u1)) + t(u1) (first half d // 2 columns), for
    any functions s, t mapping (n, d // 2) to (n, d - d // 2)."""
    rng = np.random.default_rng(9)
    cases = []
    for n, d in ((1, 2), (4, 3), (10, 6)):
        d1 = d // 2
        a, c = rng.normal(size=(d1, d - d1)), rng.normal(size=(d1, d - d1))
        cases.append((rng.normal(size=(n, d)), lambda u, a=a: np.tanh(u @ a), lambda u, c=c: np.sin(u @ c) + 0.5))
    return _compare("coupling_inverse", fn, cases, lambda v, s, t: (coupling_inverse(v, s, t),), ("u",))


def _mc_score_reference(z, t, x_prior, log_k, eps):
    import torch

    from .dbuq import Schedule, mc_score

    x_near = torch.as_tensor(x_prior).expand(len(z), *x_prior.shape)
    log_k = torch.as_tensor(log_k).expand(len(z), len(log_k))
    return (mc_score(torch.as_tensor(z), t, x_near, log_k, Schedule(eps)).numpy(),)


def check_mc_score(fn):
    """fn(z, t, x_prior, log_k, eps) -> S (n, d): the Monte Carlo score at points z (n, d) and time t for prior runs
    x_prior (J, d) with kernel log weights log_k (J,), under alpha_t = 1 - (1 - eps) t, beta_t^2 = eps + (1 - eps) t.
    The last case, at t = 1e-4 in 4 dimensions, underflows every exp unless the softmax subtracts its maximum first."""
    rng = np.random.default_rng(10)
    cases = [(rng.normal(size=(n, d)), t, rng.uniform(-2, 2, size=(j, d)), rng.normal(scale=3, size=j), eps)
             for n, d, j, t, eps in ((1, 1, 5, 0.5, 1e-4), (6, 2, 40, 0.9, 1e-2), (8, 3, 100, 0.1, 1e-3),
                                     (5, 4, 50, 1e-4, 1e-4))]
    return _compare("mc_score", fn, cases, _mc_score_reference, ("S",))


def check_logit_prior(fn):
    """fn(w) -> (n,): log density on w = logit(u) (n, d) of the uniform prior u ~ U[0, 1]^d, that is
    sum_i log(sigmoid(w_i) (1 - sigmoid(w_i))). The last case has |w| up to 800, where 1 + exp(w) overflows."""
    import torch

    from .calibration import BoxTransform

    rng = np.random.default_rng(11)
    cases = [(rng.normal(scale=s, size=(n, d)),) for n, d, s in ((1, 1, 1.0), (5, 3, 4.0), (10, 8, 300.0))]

    def reference(w):
        box = BoxTransform(np.zeros(w.shape[1]), np.ones(w.shape[1]))
        return (box.log_prior_unbounded(torch.as_tensor(w)).numpy(),)

    return _compare("logit_prior", fn, cases, reference, ("log density",))


def _partial_conv_reference(x, mask, weight, bias):
    import torch

    from .seaice import PartialConv2d

    with torch.random.fork_rng():   # the layer's random init must not move the notebook's random stream
        conv = PartialConv2d(1, 1, weight.shape[0]).double()
    with torch.no_grad():
        conv.weight.copy_(torch.as_tensor(weight)[None, None])
        conv.bias.fill_(bias)
        out = conv(torch.as_tensor(x)[None, None], torch.as_tensor(mask)[None, None])
    return (out[0, 0].numpy(),)


def check_partial_conv(fn):
    """fn(x, mask, weight, bias) -> (H, W): the partial convolution of one field x (H, W) with a land-sea mask
    (H, W) of 0/1, a k x k kernel (no flip, as in torch) and a bias, zero padding counted as land, zero on land."""
    rng = np.random.default_rng(12)
    cases = []
    for h, w, k in ((4, 4, 3), (6, 9, 3), (12, 12, 5)):
        mask = (rng.random((h, w)) < 0.7).astype(float)
        cases.append((rng.normal(size=(h, w)), mask, rng.normal(size=(k, k)), float(rng.normal())))
    return _compare("partial_conv", fn, cases, _partial_conv_reference, ("output",))
