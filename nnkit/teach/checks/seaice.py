"""Self-checks for lesson 14 (the sea-ice surrogate): the partial convolution, the local + global loss and the
autoregressive rollout."""
from __future__ import annotations

import numpy as np
import torch

from ...problems.seaice import PartialConv2d
from ...problems.seaice.surrogate import local_global_loss
from . import compare


def _partial_conv_reference(x, mask, weight, bias):
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
    return compare("partial_conv", fn, cases, _partial_conv_reference, ("output",))


def check_local_global_loss(fn):
    """fn(error, mask, global_weight) -> float: mean over ocean cells and fields of error^2, plus global_weight x the
    mean over fields of the squared ocean mean of error; error (B, H, W) zero on land, mask (H, W) of 0/1."""
    rng = np.random.default_rng(13)
    cases = []
    for b, n, weight in ((1, 4, 0.0), (3, 6, 1.0), (8, 10, 2.5)):
        mask = (rng.random((n, n)) < 0.6).astype(float)
        mask[0, 0] = 1.0
        cases.append((rng.normal(loc=0.3, size=(b, n, n)) * mask, mask, weight))

    def reference(error, mask, weight):
        return (float(local_global_loss(torch.as_tensor(error), float(mask.sum()), weight)),)

    return compare("local_global_loss", fn, cases, reference, ("loss",))


def _toy_step(h_now, h_prev, f_now, f_next):
    """A stand-in for the network's step: a damped second-order update driven by the forcing."""
    return 1.5 * h_now - 0.6 * h_prev + 0.1 * (f_now + 2 * f_next)


def check_autoregressive_rollout(fn):
    """fn(step, h0, h_prev, forcing, n_leads) -> (n_leads, H, W): the autoregressive rollout in which step k
    (k = 0, 1, ...) computes step(h_k, h_{k-1}, forcing[k], forcing[k + 1]) from its own previous outputs, with
    h_0 = h0 and h_{-1} = h_prev; forcing has n_leads + 1 fields."""
    rng = np.random.default_rng(14)
    cases = [(_toy_step, rng.normal(size=(n, n)), rng.normal(size=(n, n)), rng.normal(size=(leads + 1, n, n)), leads)
             for n, leads in ((2, 1), (4, 3), (6, 12))]

    def reference(step, h0, h_prev, forcing, n_leads):
        out, now, prev = [], h0, h_prev
        for k in range(n_leads):
            prev, now = now, step(now, prev, forcing[k], forcing[k + 1])
            out.append(now)
        return (np.stack(out),)

    return compare("autoregressive_rollout", fn, cases, reference, ("rollout",))
