"""Invertible networks from affine coupling layers (RealNVP / GLOW style, as in Ardizzone et al. 2019).

A coupling block splits its input u (n, d) into halves u1 (first d // 2 columns) and u2 and computes
    v1 = u1 * exp(s2(u2)) + t2(u2),     v2 = u2 * exp(s1(v1)) + t1(v1),
with small MLPs giving [s, t]. Each half is transformed using only the other, so the block is invertible in
closed form whatever the MLPs are:  u2 = (v2 - t1(v1)) * exp(-s1(v1)),  u1 = (v1 - t2(u2)) * exp(-s2(u2)),
and its log |det Jacobian| is sum(s1) + sum(s2). The scales are soft-clamped, s = clamp * (2/pi) atan(raw / clamp),
so no dimension is stretched by more than exp(clamp) per step. An INN stacks blocks with fixed random
permutations between them so every coordinate gets transformed.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from .validation import check_positive


def soft_clamp(raw, clamp):
    """clamp * (2/pi) * atan(raw / clamp): slope 2/pi at 0, increasing, always inside (-clamp, clamp)."""
    return clamp * (2 / math.pi) * torch.atan(raw / clamp)


def _subnet(d_in, d_out, hidden):
    """Linear-ReLU-Linear-ReLU-Linear giving [s, t] (2 * d_out); the last layer starts at zero, so a new block is
    the identity."""
    net = nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                        nn.Linear(hidden, 2 * d_out))
    nn.init.zeros_(net[-1].weight)
    nn.init.zeros_(net[-1].bias)
    return net


class AffineCoupling(nn.Module):
    """One GLOW-style affine coupling block on vectors of ``dim`` >= 2 entries."""

    def __init__(self, dim, hidden=64, clamp=2.0):
        super().__init__()
        if not isinstance(dim, int) or dim < 2:
            raise ValueError(f"dim must be an int >= 2 (a coupling layer needs two halves); got {dim!r}")
        check_positive(hidden, "hidden", integer=True)
        self.clamp = check_positive(clamp, "clamp")
        self.d1 = dim // 2
        self.d2 = dim - self.d1
        self.net1 = _subnet(self.d1, self.d2, hidden)  # conditions the second half on the (new) first half
        self.net2 = _subnet(self.d2, self.d1, hidden)  # conditions the first half on the second half

    def _scale_shift(self, net, cond):
        raw_s, t = net(cond).chunk(2, dim=1)
        return soft_clamp(raw_s, self.clamp), t

    def forward(self, u):
        """v (n, dim) and log |det dv/du| (n,)."""
        u1, u2 = u[:, :self.d1], u[:, self.d1:]
        s2, t2 = self._scale_shift(self.net2, u2)
        v1 = u1 * torch.exp(s2) + t2
        s1, t1 = self._scale_shift(self.net1, v1)
        v2 = u2 * torch.exp(s1) + t1
        return torch.cat([v1, v2], dim=1), s1.sum(dim=1) + s2.sum(dim=1)

    def inverse(self, v):
        """u (n, dim) with forward(u)[0] == v."""
        v1, v2 = v[:, :self.d1], v[:, self.d1:]
        s1, t1 = self._scale_shift(self.net1, v1)
        u2 = (v2 - t1) * torch.exp(-s1)
        s2, t2 = self._scale_shift(self.net2, u2)
        u1 = (v1 - t2) * torch.exp(-s2)
        return torch.cat([u1, u2], dim=1)


class INN(nn.Module):
    """``n_blocks`` coupling blocks on ``dim``-vectors, each followed by a fixed random permutation (seeded).

    forward(x) -> (y, log_det) and inverse(y) -> x, exact up to floating point.
    """

    def __init__(self, dim, n_blocks=4, hidden=64, clamp=2.0, seed=0):
        super().__init__()
        check_positive(n_blocks, "n_blocks", integer=True)
        self.dim = dim
        self.blocks = nn.ModuleList(AffineCoupling(dim, hidden, clamp) for _ in range(n_blocks))
        gen = torch.Generator().manual_seed(seed)
        perms = torch.stack([torch.randperm(dim, generator=gen) for _ in range(n_blocks)])
        self.register_buffer("perms", perms)
        self.register_buffer("inverse_perms", torch.argsort(perms, dim=1))

    def _check(self, v, name):
        if not isinstance(v, torch.Tensor) or v.ndim != 2 or v.shape[1] != self.dim:
            got = tuple(v.shape) if isinstance(v, torch.Tensor) else type(v).__name__
            raise ValueError(f"{name} must be a tensor of shape (n, {self.dim}); got {got}")

    def forward(self, x):
        """y (n, dim) and log |det dy/dx| (n,)."""
        self._check(x, "x")
        log_det = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        for block, perm in zip(self.blocks, self.perms):
            x, ld = block(x)
            x = x[:, perm]
            log_det = log_det + ld
        return x, log_det

    def inverse(self, y):
        """x (n, dim) with forward(x)[0] == y."""
        self._check(y, "y")
        for block, inv in zip(reversed(self.blocks), reversed(self.inverse_perms)):
            y = block.inverse(y[:, inv])
        return y
