"""Self-checks for lessons 01-03 (gradient descent, back propagation, universal approximation); numpy only."""
from __future__ import annotations

import numpy as np

from ...basics import gd
from ...basics.approx import BumpNetwork, bump, tower
from ...basics.backprop import ACTIVATIONS, MLP, layer_backward
from . import compare


def check_linear_gradient(fn):
    """fn(w, b, x, y) -> (dJ/dw, dJ/db) for J = mean((w x + b - y)**2), x and y of shape (n,), w and b floats."""
    rng = np.random.default_rng(1)
    cases = [(float(rng.normal()), float(rng.normal()), rng.normal(size=n), rng.normal(size=n)) for n in (1, 5, 40)]

    def reference(w, b, x, y):
        dw, db = gd.linear_gradient(w, b, x, y)
        return float(dw[0]), db

    return compare("linear_gradient", fn, cases, reference, ("dJ/dw", "dJ/db"))


def check_descend(fn):
    """fn(gradient, w0, b0, x, y, lr, steps) -> (ws, bs), each of shape (steps + 1,) starting at (w0, b0): plain
    gradient descent on one weight and a bias, with gradient(w, b, x, y) -> (dJ/dw, dJ/db)."""
    rng = np.random.default_rng(5)

    def gradient(w, b, x, y):
        dw, db = gd.linear_gradient(w, b, x, y)
        return float(dw[0]), db

    cases = []
    for n, steps in ((3, 1), (10, 5), (40, 25)):
        x = rng.normal(size=n)
        cases.append((gradient, float(rng.normal()), float(rng.normal()), x, 2 * x - 1 + rng.normal(size=n),
                      0.4 * gd.critical_learning_rate(x), steps))

    def reference(gradient, w0, b0, x, y, lr, steps):
        path = gd.gradient_descent(gd.linear_loss, gradient, x, y, lr, steps, w0=[w0], b0=b0)
        return path.w[:, 0], path.b

    return compare("descend", fn, cases, reference, ("ws", "bs"))


def check_logistic_gradient(fn):
    """fn(w, b, x, y) -> (dJ/dw (d,), dJ/db) for the mean cross entropy of y_hat = sigmoid(x @ w + b), x (n, d),
    labels y (n,) in {0, 1}."""
    rng = np.random.default_rng(6)
    cases = [(rng.normal(size=d), float(rng.normal()), rng.normal(size=(n, d)), rng.integers(0, 2, n).astype(float))
             for n, d in ((1, 1), (6, 2), (50, 3))]
    return compare("logistic_gradient", fn, cases, gd.logistic_gradient, ("dJ/dw", "dJ/db"))


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
    return compare("neuron_chain_gradients", fn, cases, neuron_chain_gradients,
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
    return compare("layer_backward", fn, cases, layer_backward, ("dJ/dW", "dJ/db", "dJ/da_prev"))


def _after_one_step(step_fn, seed, x, y, lr):
    """(returned loss, W1, b1, W2, b2 after the step) of step_fn(net, x, y, lr) on a fresh seeded [2, 4, 1] MLP."""
    net = MLP([2, 4, 1], activation="tanh", seed=seed)
    loss = step_fn(net, x, y, lr)
    if loss is None:
        raise AssertionError("train_step must return the loss J computed before the update; got None")
    return (loss, *[p.copy() for p in net.params])


def _reference_train_step(net, x, y, lr):
    loss, grads = net.loss_and_grads(x, y)
    for p, g in zip(net.params, grads):
        p -= lr * g
    return loss


def check_train_step(fn):
    """fn(net, x, y, lr) -> J: one step of gradient descent on a ``backprop.MLP``, updating net.params in place and
    returning the loss before the update."""
    rng = np.random.default_rng(7)
    cases = [(seed, rng.normal(size=(n, 2)), rng.normal(size=(n, 1)), lr) for seed, n, lr in ((1, 1, 0.1), (2, 8, 0.05),
                                                                                           (3, 32, 0.5))]
    return compare("train_step", lambda *a: _after_one_step(fn, *a), cases,
                   lambda *a: _after_one_step(_reference_train_step, *a),
                   ("loss", "W1 after the step", "b1 after the step", "W2 after the step", "b2 after the step"))


def check_bump(fn):
    """fn(x, left, right, height, steepness) -> array like x: a column of ``height`` on [left, right] from two
    sigmoid steps; see ``nnkit.approx.bump``."""
    rng = np.random.default_rng(4)
    cases = [(np.linspace(0, 1, n), *np.sort(rng.uniform(0, 1, 2)), float(rng.normal()), float(s))
             for n, s in ((5, 10.0), (50, 100.0), (200, 1000.0))]
    return compare("bump", fn, cases, lambda *a: (bump(*a),), ("bump values",))


def check_sum_of_bumps(fn):
    """fn(f, n, x) -> array (m,): n bumps on the equal cells of [0, 1], each of height f(cell centre) and steepness
    10 n, summed at x (m,); see ``nnkit.approx.BumpNetwork``."""
    targets = (lambda x: 0.5 + 0.3 * np.sin(2 * np.pi * x), lambda x: x**3 - x, lambda x: np.exp(-3 * x))
    cases = [(f, n, np.linspace(0, 1, 57)) for f, n in zip(targets, (1, 4, 13))]
    return compare("sum_of_bumps", fn, cases, lambda f, n, x: (BumpNetwork(f, n)(x),), ("network output",))


def check_tower(fn):
    """fn(x1, x2, box, height, steepness) -> array like x1: a 2-D column of ``height`` on box = (l1, r1, l2, r2);
    see ``nnkit.approx.tower``."""
    rng = np.random.default_rng(8)
    cases = []
    for n, s in ((3, 50.0), (40, 200.0), (400, 1000.0)):
        l1, r1, l2, r2 = (*np.sort(rng.uniform(0, 1, 2)), *np.sort(rng.uniform(0, 1, 2)))
        cases.append((rng.uniform(0, 1, n), rng.uniform(0, 1, n), (l1, r1, l2, r2), float(rng.normal()), s))
    return compare("tower", fn, cases, lambda *a: (tower(*a),), ("tower values",))
