"""Gradient descent on linear and logistic regression in numpy, with loss surfaces J(w, b) for plotting.

Models: ``y_hat = x @ w + b`` (linear) and ``y_hat = sigmoid(x @ w + b)`` (logistic), for x of shape (n, d)
(or (n,) when d = 1), w of shape (d,) and a scalar bias b. Targets y have shape (n,).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.scaling import sigmoid
from ..core.validation import as_float_array, check_choice, check_positive, check_same_rows

LOGISTIC_LOSSES = ("cross_entropy", "mse")


@dataclass
class Trajectory:
    """The path of gradient descent: parameters and loss after each step (row 0 is the start).

    w: (steps + 1, d); b: (steps + 1,); loss: (steps + 1,). Fewer rows when descent diverged and stopped early.
    diverged: the loss became non-finite or ended above where it started.
    """

    w: np.ndarray
    b: np.ndarray
    loss: np.ndarray
    diverged: bool

    @property
    def steps(self):
        return len(self.loss) - 1


def _check_data(x, y):
    x = as_float_array(x, "x", ndim=(1, 2))
    x = x[:, None] if x.ndim == 1 else x
    y = as_float_array(y, "y", ndim=1)
    check_same_rows(x, y, "x", "y")
    return x, y


def _check_params(w, b, d):
    w = np.atleast_1d(as_float_array(w, "w", ndim=(0, 1)))
    if w.shape != (d,):
        raise ValueError(f"w must have shape ({d},) to match x with {d} feature(s); got {w.shape}")
    return w, float(as_float_array(b, "b", ndim=0))


def _check_labels(y):
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("y must hold class labels 0 or 1 for logistic regression")


def _logistic_loss_of_z(z, y, loss):
    """Mean over axis 0 of the logistic loss of logits z against labels y (broadcast together)."""
    if loss == "mse":
        return np.mean((sigmoid(z) - y) ** 2, axis=0)
    return np.mean(np.logaddexp(0.0, z) - y * z, axis=0)  # the cross entropy written without log(0)


# Checked arguments in, numbers out: the loop in gradient_descent calls these every step.
def _linear_loss(w, b, x, y):
    return float(np.mean((x @ w + b - y) ** 2))


def _linear_gradient(w, b, x, y):
    residual = x @ w + b - y
    return 2.0 * x.T @ residual / len(y), 2.0 * float(np.mean(residual))


def _logistic_loss(w, b, x, y, loss):
    return float(_logistic_loss_of_z(x @ w + b, y, loss))


def _logistic_gradient(w, b, x, y, loss):
    y_hat = sigmoid(x @ w + b)
    dJ_dz = y_hat - y if loss == "cross_entropy" else 2.0 * (y_hat - y) * y_hat * (1.0 - y_hat)
    return x.T @ dJ_dz / len(y), float(np.mean(dJ_dz))


def _checked(w, b, x, y, loss=None):
    x, y = _check_data(x, y)
    w, b = _check_params(w, b, x.shape[1])
    if loss is not None:
        check_choice(loss, "loss", LOGISTIC_LOSSES)
        _check_labels(y)
    return w, b, x, y


def linear_loss(w, b, x, y):
    """Mean squared error J(w, b) = mean((x @ w + b - y)**2)."""
    return _linear_loss(*_checked(w, b, x, y))


def linear_gradient(w, b, x, y):
    """(dJ/dw of shape (d,), dJ/db) of the mean squared error: 2/n sum (y_hat - y) x and 2/n sum (y_hat - y)."""
    return _linear_gradient(*_checked(w, b, x, y))


def logistic_loss(w, b, x, y, loss="cross_entropy"):
    """Loss of y_hat = sigmoid(x @ w + b) against labels y in {0, 1}.

    loss: "cross_entropy" (mean of -y log y_hat - (1 - y) log(1 - y_hat), convex in w, b) or "mse" (the slides'
    J = mean((y_hat - y)**2), not convex).
    """
    return _logistic_loss(*_checked(w, b, x, y, loss), loss)


def logistic_gradient(w, b, x, y, loss="cross_entropy"):
    """(dJ/dw, dJ/db) for ``logistic_loss``; cross entropy gives (y_hat - y) x, MSE 2 (y_hat - y) y_hat (1 - y_hat) x."""
    return _logistic_gradient(*_checked(w, b, x, y, loss), loss)


def gradient_descent(loss_fn, gradient_fn, x, y, lr, steps, w0=None, b0=0.0):
    """Run ``steps`` updates (w, b) <- (w, b) - lr * gradient_fn(w, b, x, y); returns a ``Trajectory``.

    loss_fn(w, b, x, y) -> float and gradient_fn(w, b, x, y) -> (dw, db) may be any pair, e.g. your own
    gradient. w0 defaults to zeros. Stops early once the loss is non-finite or above 1e12 times its start.
    """
    x, y = _check_data(x, y)
    check_positive(lr, "lr")
    check_positive(steps, "steps", integer=True)
    w, b = _check_params(np.zeros(x.shape[1]) if w0 is None else w0, b0, x.shape[1])
    ws, bs, losses = [w], [b], [loss_fn(w, b, x, y)]
    for _ in range(steps):
        dw, db = gradient_fn(w, b, x, y)
        w, b = w - lr * np.asarray(dw, dtype=np.float64), b - lr * float(db)
        loss = loss_fn(w, b, x, y)
        ws.append(w), bs.append(b), losses.append(loss)
        if not np.isfinite(loss) or loss > 1e12 * max(losses[0], 1e-12):
            break
    losses = np.array(losses)
    diverged = not np.isfinite(losses[-1]) or losses[-1] > losses[0]
    return Trajectory(np.array(ws), np.array(bs), losses, bool(diverged))


def fit_linear(x, y, lr, steps, w0=None, b0=0.0):
    """Gradient descent on the linear model's mean squared error; returns a ``Trajectory``."""
    return gradient_descent(_linear_loss, _linear_gradient, x, y, lr, steps, w0, b0)


def fit_logistic(x, y, lr, steps, w0=None, b0=0.0, loss="cross_entropy"):
    """Gradient descent on the logistic model (see ``logistic_loss``); returns a ``Trajectory``."""
    check_choice(loss, "loss", LOGISTIC_LOSSES)
    _check_labels(_check_data(x, y)[1])
    return gradient_descent(lambda *a: _logistic_loss(*a, loss), lambda *a: _logistic_gradient(*a, loss),
                            x, y, lr, steps, w0, b0)


def least_squares(x, y):
    """The exact minimiser (w (d,), b) of the linear model's mean squared error, to check descent against."""
    x, y = _check_data(x, y)
    design = np.hstack([x, np.ones((len(y), 1))])
    coef = np.linalg.lstsq(design, y, rcond=None)[0]
    return coef[:-1], float(coef[-1])


def critical_learning_rate(x):
    """Largest learning rate for which descent on the linear MSE converges: 2 / (largest eigenvalue of the Hessian).

    The Hessian of J is H = 2/n [x, 1]^T [x, 1] whatever y is; with lr > 2 / lambda_max the error along the most
    curved direction (the eigenvector of lambda_max) is multiplied by |1 - lr lambda_max| > 1 each step and grows.
    """
    x = as_float_array(x, "x", ndim=(1, 2))
    x = x[:, None] if x.ndim == 1 else x
    design = np.hstack([x, np.ones((len(x), 1))])
    hessian = 2.0 * design.T @ design / len(x)
    return 2.0 / float(np.linalg.eigvalsh(hessian)[-1])


def loss_surface(x, y, w_grid, b_grid, model="linear", loss="cross_entropy"):
    """J(w, b) on a grid for one-feature data: returns shape (len(b_grid), len(w_grid)), rows indexed by b.

    model: "linear" (mean squared error) or "logistic" (``loss`` as in ``logistic_loss``).
    """
    x, y = _check_data(x, y)
    if x.shape[1] != 1:
        raise ValueError(f"loss_surface needs x with one feature; got {x.shape[1]}")
    check_choice(model, "model", ("linear", "logistic"))
    w_grid = as_float_array(w_grid, "w_grid", ndim=1)
    b_grid = as_float_array(b_grid, "b_grid", ndim=1)
    z = x[:, 0, None, None] * w_grid[None, None, :] + b_grid[None, :, None]  # (n, len(b), len(w))
    yy = y[:, None, None]
    if model == "linear":
        return np.mean((z - yy) ** 2, axis=0)
    check_choice(loss, "loss", LOGISTIC_LOSSES)
    _check_labels(y)
    return _logistic_loss_of_z(z, yy, loss)
