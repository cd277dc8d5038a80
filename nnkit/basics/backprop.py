"""A multilayer perceptron written by hand in numpy float64: forward pass, back propagation, finite differences.

Conventions
-----------
- A layer maps a batch ``a_prev`` of shape (n, d_in) to ``z = a_prev @ W + b`` with W (d_in, d_out), b (d_out,),
  then ``a = sigma(z)``.
- The loss is the mean squared error over all n * d_out entries, ``J = mean((y_hat - y)**2)``, the same number as
  ``torch.nn.functional.mse_loss``.
- ``model.params`` lists the arrays ``[W1, b1, W2, b2, ...]``; every list of gradients uses the same order.
"""
from __future__ import annotations

import time

import numpy as np

from ..core.scaling import sigmoid
from ..core.training import new_history, progress as with_progress, record
from ..core.validation import as_float_array, check_choice, check_positive, check_same_rows


def _relu(z):
    return np.maximum(z, 0.0)


def _identity(z):
    return z


# name -> (sigma(z), d sigma / d z written with z and a = sigma(z), so no activation is computed twice)
ACTIVATIONS = {
    "sigmoid": (sigmoid, lambda z, a: a * (1.0 - a)),
    "tanh": (np.tanh, lambda z, a: 1.0 - a * a),
    "relu": (_relu, lambda z, a: (z > 0).astype(z.dtype)),
    "sin": (np.sin, lambda z, a: np.cos(z)),
    "identity": (_identity, lambda z, a: np.ones_like(z)),
}


def layer_backward(grad_a, dsigma_dz, a_prev, W):
    """Back-propagate through one layer ``a = sigma(a_prev @ W + b)``.

    grad_a: dJ/da, shape (n, d_out); dsigma_dz: sigma'(z), shape (n, d_out);
    a_prev: the layer's input, shape (n, d_in); W: its weights, shape (d_in, d_out).
    Returns (dJ/dW (d_in, d_out), dJ/db (d_out,), dJ/da_prev (n, d_in)).
    """
    delta = grad_a * dsigma_dz  # dJ/dz by the chain rule
    return a_prev.T @ delta, delta.sum(axis=0), delta @ W.T


class MLP:
    """Fully connected network with any depth and width, trained by hand-written back propagation.

    layer_sizes: [d_in, hidden..., d_out], each a positive int. activation: hidden-layer activation, one of
    ``ACTIVATIONS``; output_activation: the last layer's. Weights start Glorot-normal (He-normal for relu),
    biases at zero; ``seed`` fixes the start and the mini-batch order.
    """

    def __init__(self, layer_sizes, activation="tanh", output_activation="identity", seed=0):
        sizes = list(layer_sizes) if np.ndim(layer_sizes) == 1 else None
        if sizes is None or len(sizes) < 2:
            raise ValueError(f"layer_sizes must be a list of at least 2 positive ints; got {layer_sizes!r}")
        for i, size in enumerate(sizes):
            check_positive(size, f"layer_sizes[{i}]", integer=True)
        self.activation = check_choice(activation, "activation", ACTIVATIONS)
        self.output_activation = check_choice(output_activation, "output_activation", ACTIVATIONS)
        self.layer_sizes = tuple(int(s) for s in sizes)
        self.seed = seed
        init_rng, self._shuffle_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
        self.weights, self.biases = [], []
        for d_in, d_out in zip(self.layer_sizes[:-1], self.layer_sizes[1:]):
            var = 2.0 / d_in if activation == "relu" else 2.0 / (d_in + d_out)
            self.weights.append(init_rng.normal(0.0, np.sqrt(var), size=(d_in, d_out)))
            self.biases.append(np.zeros(d_out))
        self.history = new_history()

    def __repr__(self):
        return (f"MLP({list(self.layer_sizes)}, activation={self.activation!r}, "
                f"output_activation={self.output_activation!r}, n_params={self.n_params})")

    @property
    def params(self):
        """The parameter arrays [W1, b1, W2, b2, ...] (the model's own arrays, not copies)."""
        return [p for pair in zip(self.weights, self.biases) for p in pair]

    @property
    def n_params(self):
        return sum(p.size for p in self.params)

    def _activations(self, layer):
        last = layer == len(self.weights) - 1
        return ACTIVATIONS[self.output_activation if last else self.activation]

    def _check_xy(self, x, y=None):
        x = as_float_array(x, "x", ndim=2)
        if x.shape[1] != self.layer_sizes[0]:
            raise ValueError(f"x must have shape (n, {self.layer_sizes[0]}); got {x.shape}")
        if y is None:
            return x
        y = as_float_array(y, "y", ndim=2)
        if y.shape[1] != self.layer_sizes[-1]:
            raise ValueError(f"y must have shape (n, {self.layer_sizes[-1]}); got {y.shape}")
        check_same_rows(x, y, "x", "y")
        return x, y

    def _forward(self, x):
        """Forward pass keeping what back propagation needs: inputs a_prev and sigma'(z) of every layer."""
        inputs, slopes = [], []
        a = x
        for layer, (W, b) in enumerate(zip(self.weights, self.biases)):
            sigma, dsigma = self._activations(layer)
            z = a @ W + b
            inputs.append(a)
            a = sigma(z)
            slopes.append(dsigma(z, a))
        return a, inputs, slopes

    def _predict(self, x):
        a = x
        for layer, (W, b) in enumerate(zip(self.weights, self.biases)):
            a = self._activations(layer)[0](a @ W + b)
        return a

    def forward(self, x):
        """Network output for x of shape (n, d_in); returns shape (n, d_out)."""
        return self._predict(self._check_xy(x))

    __call__ = forward

    def loss(self, x, y):
        """Mean squared error J = mean((forward(x) - y)**2) for x (n, d_in), y (n, d_out)."""
        x, y = self._check_xy(x, y)
        return self._loss(x, y)

    def _loss(self, x, y):
        return float(np.mean((self._predict(x) - y) ** 2))

    def loss_and_grads(self, x, y):
        """Loss and its gradient for every weight and bias by explicit back propagation (no autograd).

        Returns (J, [dJ/dW1, dJ/db1, dJ/dW2, ...]) with each gradient shaped like its parameter.
        """
        x, y = self._check_xy(x, y)
        return self._loss_and_grads(x, y)

    def _loss_and_grads(self, x, y):
        y_hat, inputs, slopes = self._forward(x)
        residual = y_hat - y
        grad_a = (2.0 / residual.size) * residual  # dJ/dy_hat
        grads = [None] * (2 * len(self.weights))
        for layer in reversed(range(len(self.weights))):
            grad_W, grad_b, grad_a = layer_backward(grad_a, slopes[layer], inputs[layer], self.weights[layer])
            grads[2 * layer], grads[2 * layer + 1] = grad_W, grad_b
        return float(np.mean(residual**2)), grads

    def fit(self, x, y, lr=1e-2, n_epochs=100, batch_size=None, optimizer="sgd", progress=False):
        """Train on x (n, d_in), y (n, d_out) by mini-batch gradient descent; returns self.

        lr: learning rate (> 0); n_epochs: passes over the data; batch_size: samples per step (None: all n);
        optimizer: "sgd" (w -= lr * g) or "adam" (Kingma & Ba 2015, betas 0.9, 0.999).
        Appends each epoch's mean mini-batch loss to ``history["train_loss"]`` (a second fit continues the record).
        """
        x, y = self._check_xy(x, y)
        check_positive(lr, "lr")
        check_positive(n_epochs, "n_epochs", integer=True)
        check_choice(optimizer, "optimizer", ("sgd", "adam"))
        n = x.shape[0]
        batch_size = n if batch_size is None else min(check_positive(batch_size, "batch_size", integer=True), n)
        step = _SGD(lr) if optimizer == "sgd" else _Adam(lr, self.params)
        start, first = time.perf_counter(), len(self.history["step"])
        for epoch in with_progress(range(first, first + n_epochs), "MLP.fit", progress):
            order = self._shuffle_rng.permutation(n) if batch_size < n else np.arange(n)
            losses = []
            with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below, once
                for start in range(0, n, batch_size):
                    idx = order[start:start + batch_size]
                    loss, grads = self._loss_and_grads(x[idx], y[idx])
                    step(self.params, grads)
                    losses.append(loss)
            record(self.history, epoch, np.mean(losses))
            if not np.isfinite(self.history["train_loss"][-1]):
                raise FloatingPointError(f"training diverged (loss is {self.history['train_loss'][-1]}); lower lr={lr}")
        self.history["best_step"] = self.history["step"][-1]
        self.history["seconds"] += time.perf_counter() - start
        return self


class _SGD:
    def __init__(self, lr):
        self.lr = lr

    def __call__(self, params, grads):
        for p, g in zip(params, grads):
            p -= self.lr * g


class _Adam:
    def __init__(self, lr, params, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def __call__(self, params, grads):
        self.t += 1
        scale = self.lr * np.sqrt(1 - self.beta2**self.t) / (1 - self.beta1**self.t)
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            p -= scale * m / (np.sqrt(v) + self.eps)


def finite_difference_grads(model, x, y, eps=1e-6, scheme="central"):
    """Gradient of ``model.loss`` by perturbing one parameter entry at a time (the slow way).

    scheme: "forward" (J(w + eps) - J(w)) / eps, one extra forward pass per parameter, or "central"
    (J(w + eps) - J(w - eps)) / (2 eps), two per parameter and far more accurate. Returns a list like ``params``.
    """
    x, y = model._check_xy(x, y)
    check_positive(eps, "eps")
    check_choice(scheme, "scheme", ("forward", "central"))
    base = model._loss(x, y) if scheme == "forward" else None
    grads = []
    for p in model.params:
        g = np.empty_like(p)
        for idx in np.ndindex(p.shape):
            keep = p[idx]
            p[idx] = keep + eps
            up = model._loss(x, y)
            if scheme == "central":
                p[idx] = keep - eps
                g[idx] = (up - model._loss(x, y)) / (2 * eps)
            else:
                g[idx] = (up - base) / eps
            p[idx] = keep
        grads.append(g)
    return grads


def max_relative_error(grads, reference):
    """Largest entry-wise error, each array scaled by its largest reference entry: max |g - r| / max |r|.

    Scaling by the array rather than by each entry keeps gradients that are zero up to rounding from
    reporting spurious 100 % errors. Both arguments are lists of arrays in the same order.
    """
    if len(grads) != len(reference):
        raise ValueError(f"grads and reference must list the same arrays; got {len(grads)} and {len(reference)}")
    worst = 0.0
    for i, (g, r) in enumerate(zip(grads, reference)):
        g, r = np.asarray(g, dtype=np.float64), np.asarray(r, dtype=np.float64)
        if g.shape != r.shape:
            raise ValueError(f"grads[{i}] has shape {g.shape} but reference[{i}] has shape {r.shape}")
        scale = max(np.max(np.abs(r)), np.max(np.abs(g)), np.finfo(np.float64).tiny)
        worst = max(worst, float(np.max(np.abs(g - r)) / scale))
    return worst


def gradient_check(model, x, y, eps=1e-6):
    """Compare back propagation with central finite differences; returns ``max_relative_error`` of the two.

    Costs two forward passes per parameter: keep the network and the batch small.
    """
    _, grads = model.loss_and_grads(x, y)
    return max_relative_error(grads, finite_difference_grads(model, x, y, eps=eps))


def autograd_loss_and_grads(model, x, y):
    """The same loss and gradients computed by torch autograd in float64, as a reference for ``loss_and_grads``."""
    import torch

    from ..core.nets import make_activation

    x, y = model._check_xy(x, y)
    params = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in model.params]
    a = torch.from_numpy(x)
    for layer in range(len(model.weights)):
        name = model.output_activation if layer == len(model.weights) - 1 else model.activation
        a = make_activation(name)(a @ params[2 * layer] + params[2 * layer + 1])
    loss = torch.nn.functional.mse_loss(a, torch.from_numpy(y))
    loss.backward()
    return float(loss.detach()), [p.grad.numpy() for p in params]
