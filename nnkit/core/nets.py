"""The torch building blocks every torch module shares: the one activation table, the MLP builder, a full-batch
training loop, float32 tensors on a device, and a CPU-thread limit."""
from __future__ import annotations

from contextlib import contextmanager

import torch
from torch import nn

from .training import progress as with_progress
from .validation import check_choice, check_positive


class Sine(nn.Module):
    """sin(z) as a module, for networks with periodic activations."""

    def forward(self, z):
        return torch.sin(z)


# name -> module class; an instance is also the activation as a function, e.g. ACTIVATIONS["relu"]()(z)
ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "silu": nn.SiLU, "sigmoid": nn.Sigmoid, "sin": Sine,
               "identity": nn.Identity}


def make_activation(name):
    """The activation ``name`` (a key of ``ACTIVATIONS``) as a module, or a ValueError listing the choices."""
    return ACTIVATIONS[check_choice(name, "activation", ACTIVATIONS)]()


def to_tensor(values, device, dtype=torch.float32):
    """``values`` (array-like) as a tensor of ``dtype`` (float32 by default) on ``device``."""
    return torch.as_tensor(values, dtype=dtype, device=device)


def mlp(in_dim, out_dim, width=64, depth=3, activation="tanh", encoding=None, first_layer=None,
        dtype=torch.float32):
    """Fully connected network: ``depth`` hidden layers of ``width`` units, linear output, Xavier-normal weights.

    encoding: a fixed input map with an ``out_dim`` attribute (e.g. ``fourier.FourierFeatures``) placed before the
    first linear layer. first_layer: a module from in_dim to width (e.g. ``fourier.SineLayer``) used as the first
    hidden layer, activation included.
    """
    check_positive(in_dim, "in_dim", integer=True)
    check_positive(out_dim, "out_dim", integer=True)
    check_positive(width, "width", integer=True)
    check_positive(depth, "depth", integer=True)
    check_choice(activation, "activation", ACTIVATIONS)
    layers, d = [], in_dim
    if encoding is not None:
        layers.append(encoding)
        d = encoding.out_dim
    if first_layer is not None:
        layers.append(first_layer)
        d = width
    for _ in range(depth - (first_layer is not None)):
        layers += [nn.Linear(d, width), ACTIVATIONS[activation]()]
        d = width
    layers.append(nn.Linear(d, out_dim))
    for layer in layers:
        if isinstance(layer, nn.Linear):
            nn.init.xavier_normal_(layer.weight)
            nn.init.zeros_(layer.bias)
    return nn.Sequential(*layers).to(dtype)


def train_full_batch(model, x, y, n_iter, lr=1e-3, callback=None, every=1, progress=False, penalty=None):
    """Adam on the mean squared error of model(x) against y (tensors (n, d_in), (n, d_out)), plus penalty(model(x))
    (a scalar tensor, from the same forward pass) when one is given.

    callback(iteration, model) runs at iteration 0 and then every ``every`` iterations, and after the last one.
    Returns the loss per iteration as a list of floats.
    """
    check_positive(n_iter, "n_iter", integer=True)
    check_positive(lr, "lr")
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for it in with_progress(range(n_iter), "training", progress):
        if callback is not None and it % every == 0:
            callback(it, model)
        opt.zero_grad(set_to_none=True)
        prediction = model(x)
        loss = torch.mean((prediction - y) ** 2)
        if penalty is not None:
            loss = loss + penalty(prediction)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    if callback is not None:
        callback(n_iter, model)
    return losses


@contextmanager
def torch_threads(n):
    """Run the block with torch limited to n CPU threads, then restore the previous setting.

    Small networks (tens of units) spend more time synchronising threads than computing: one thread trains the
    multi-stage networks 2-3x faster than two on a 2-core CPU (benchmarks/spectral_fourier_msnn.py).
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
