"""Self-check for lesson 12 (the sea-ice surrogate): the partial convolution."""
from __future__ import annotations

import numpy as np
import torch

from ...problems.seaice import PartialConv2d
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
