"""Invertible networks from affine coupling layers (RealNVP / GLOW style, as in Ardizzone et al. 2019).

A coupling block splits its input u (n, d) into halves u1 (first d // 2 columns) and u2 and computes
    v1 = u1 * exp(s2(u2)) + t2(u2),     v2 = u2 * exp(s1(v1)) + t1(v1),
with small MLPs giving [s, t]. Each half is transformed using only the other, so the block is invertible in
closed form whatever the MLPs are:  u2 = (v2 - t1(v1)) * exp(-s1(v1)),  u1 = (v1 - t2(u2)) * exp(-s2(u2)),
and its log |det Jacobian| is sum(s1) + sum(s2). The scales are soft-clamped, s = clamp * (2/pi) atan(raw / clamp),
so no dimension is stretched by more than exp(clamp) per step. An INN stacks blocks with fixed random
permutations between them so every coordinate gets transformed. A conditional block (``context_dim`` > 0) also
feeds a context vector c to every MLP, s, t = MLP([u2, c]): still invertible in u for each c, with the same
log-det, so an INN conditioned on observations y maps x to z given y (the cINN of Ardizzone et al. 2019b).
"""
from __future__ import annotations

import math
import time

import numpy as np
import torch
from torch import nn

from ..core.nets import to_tensor
from ..core.runtime import check_seed, get_device, seeded
from ..core.scaling import BoxTransform, Standardizer
from ..core.training import check_fitted, new_history, progress as with_progress, record
from ..core.validation import (as_float_array, check_observation, check_per_output, check_positive,
                               check_same_rows)
from .metrics import mmd


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
    """One GLOW-style affine coupling block on vectors of ``dim`` >= 2 entries, conditioned on a context (n,
    context_dim) when context_dim > 0."""

    def __init__(self, dim, hidden=64, clamp=2.0, context_dim=0):
        super().__init__()
        if not isinstance(dim, int) or dim < 2:
            raise ValueError(f"dim must be an int >= 2 (a coupling layer needs two halves); got {dim!r}")
        check_positive(hidden, "hidden", integer=True)
        self.clamp = check_positive(clamp, "clamp")
        self.d1 = dim // 2
        self.d2 = dim - self.d1
        if isinstance(context_dim, bool) or not isinstance(context_dim, int) or context_dim < 0:
            raise ValueError(f"context_dim must be an int >= 0 (0: no context); got {context_dim!r}")
        self.context_dim = context_dim
        self.net1 = _subnet(self.d1 + context_dim, self.d2, hidden)  # the second half from the (new) first half
        self.net2 = _subnet(self.d2 + context_dim, self.d1, hidden)  # the first half from the second half

    def _scale_shift(self, net, cond, context):
        raw_s, t = net(cond if context is None else torch.cat([cond, context], dim=1)).chunk(2, dim=1)
        return soft_clamp(raw_s, self.clamp), t

    def forward(self, u, context=None):
        """v (n, dim) and log |det dv/du| (n,)."""
        u1, u2 = u[:, :self.d1], u[:, self.d1:]
        s2, t2 = self._scale_shift(self.net2, u2, context)
        v1 = u1 * torch.exp(s2) + t2
        s1, t1 = self._scale_shift(self.net1, v1, context)
        v2 = u2 * torch.exp(s1) + t1
        return torch.cat([v1, v2], dim=1), s1.sum(dim=1) + s2.sum(dim=1)

    def inverse(self, v, context=None):
        """u (n, dim) with forward(u, context)[0] == v."""
        v1, v2 = v[:, :self.d1], v[:, self.d1:]
        s1, t1 = self._scale_shift(self.net1, v1, context)
        u2 = (v2 - t1) * torch.exp(-s1)
        s2, t2 = self._scale_shift(self.net2, u2, context)
        u1 = (v1 - t2) * torch.exp(-s2)
        return torch.cat([u1, u2], dim=1)


class INN(nn.Module):
    """``n_blocks`` coupling blocks on ``dim``-vectors, each followed by a fixed random permutation (seeded).

    forward(x) -> (y, log_det) and inverse(y) -> x, exact up to floating point. With context_dim > 0 both take the
    context (n, context_dim) as well: forward(x, context), inverse(y, context).
    """

    def __init__(self, dim, n_blocks=4, hidden=64, clamp=2.0, seed=0, context_dim=0):
        super().__init__()
        check_positive(n_blocks, "n_blocks", integer=True)
        self.dim, self.context_dim = dim, context_dim
        self.blocks = nn.ModuleList(AffineCoupling(dim, hidden, clamp, context_dim) for _ in range(n_blocks))
        gen = torch.Generator().manual_seed(seed)
        perms = torch.stack([torch.randperm(dim, generator=gen) for _ in range(n_blocks)])
        self.register_buffer("perms", perms)
        self.register_buffer("inverse_perms", torch.argsort(perms, dim=1))

    def _check(self, v, name, dim, rows=None):
        if not isinstance(v, torch.Tensor) or v.ndim != 2 or v.shape[1] != dim or rows not in (None, v.shape[0]):
            got = tuple(v.shape) if isinstance(v, torch.Tensor) else type(v).__name__
            raise ValueError(f"{name} must be a tensor of shape ({rows or 'n'}, {dim}); got {got}")

    def _check_context(self, context, rows):
        if self.context_dim == 0:
            if context is not None:
                raise ValueError("context must be None for an INN without context (context_dim = 0)")
        else:
            self._check(context, "context", self.context_dim, rows)

    def forward(self, x, context=None):
        """y (n, dim) and log |det dy/dx| (n,)."""
        self._check(x, "x", self.dim)
        self._check_context(context, x.shape[0])
        log_det = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        for block, perm in zip(self.blocks, self.perms):
            x, ld = block(x, context)
            x = x[:, perm]
            log_det = log_det + ld
        return x, log_det

    def inverse(self, y, context=None):
        """x (n, dim) with forward(x, context)[0] == y."""
        self._check(y, "y", self.dim)
        self._check_context(context, y.shape[0])
        for block, inv in zip(reversed(self.blocks), reversed(self.inverse_perms)):
            y = block.inverse(y[:, inv], context)
        return y


class INNCalibrator:
    """Forward surrogate and amortised posterior in one invertible network (Ardizzone et al. 2019):
    [x, pad] <-> [y, z], with z ~ N(0, I) the information about x that y does not carry.

    Both sides are padded to width D = max(x_dim + pad, y_dim + z_dim). With ``noise_sd`` (observation noise sd in
    the units of y, a number or one per output) the x side carries y_dim noise channels eta ~ N(0, I) and the
    network is trained to output y + noise_sd * eta, so the forward map is deterministic and the inverse samples
    the posterior of x under that noise; without it the pads are zeros with ``pad_noise`` jitter. z_dim defaults to
    x_dim. x and y are z-scored inside.

    Losses per batch: L_y = squared error of the y outputs (forward supervised); L_nll = mean of
    |z_out|^2 / 2 - log |det J| over the width D (maximum likelihood of z ~ N(0, I): with y fitted exactly, the
    network's push-forward of the training distribution then matches p(y) N(z; 0, I)); L_z = MMD between
    [y_out (detached), z_out] and [y, N(0, I)] (independent Gaussian latents); L_x = MMD between x and the inverse
    of [y, z ~ N(0, I)] (the posterior's marginal over y is the prior), ramped in as in the reference code;
    outputs in the padding are pushed to 0. Adam with cosine decay, ``n_iter`` steps of ``batch_size`` rows.

    box: a ``BoxTransform`` of a uniform prior on x. Then ``fit`` and ``predict`` take x in its own units, the
    network works on w = logit(u), where the prior has no bounds, and ``sample`` maps its draws back into the box.
    ``history`` records every 25 steps the weighted total loss ("train_loss") and its four terms.
    """

    def __init__(self, x_dim, y_dim, z_dim=None, noise_sd=None, box=None, n_blocks=6, hidden=128, clamp=2.0,
                 n_iter=3000, batch_size=256, lr=1e-3, weight_y=10.0, weight_nll=1.0, weight_z=10.0, weight_x=10.0,
                 pad_noise=1e-2, seed=0, device="cpu", progress=False):
        self.x_dim = check_positive(x_dim, "x_dim", integer=True)
        self.y_dim = check_positive(y_dim, "y_dim", integer=True)
        self.z_dim = x_dim if z_dim is None else check_positive(z_dim, "z_dim", integer=True)
        self.noise_sd = None if noise_sd is None else check_per_output(noise_sd, "noise_sd", y_dim)
        self.n_noise = y_dim if noise_sd is not None else 0
        self.width = max(self.x_dim + self.n_noise, self.y_dim + self.z_dim, 2)
        self.n_iter = check_positive(n_iter, "n_iter", integer=True)
        self.batch_size = check_positive(batch_size, "batch_size", integer=True)
        self.lr = check_positive(lr, "lr")
        self.weights = {"y": weight_y, "nll": weight_nll, "z": weight_z, "x": weight_x}
        if any(not np.isfinite(w) or w < 0 for w in self.weights.values()):
            raise ValueError(f"loss weights must be finite and >= 0; got {self.weights}")
        if box is not None and (not isinstance(box, BoxTransform) or box.dim != self.x_dim):
            got = f"one of {box.dim} dimensions" if isinstance(box, BoxTransform) else type(box).__name__
            raise ValueError(f"box must be a BoxTransform of {self.x_dim} dimensions (x_dim) or None; got {got}")
        self.box, self.pad_noise, self.seed, self.progress = box, pad_noise, seed, progress
        self.device = get_device(device)
        with seeded(seed):
            self.inn = INN(self.width, n_blocks, hidden, clamp, seed).to(self.device)

    # --- packing the two sides ---------------------------------------------------------------------------------
    def _x_side(self, x, eta, gen=None):
        """[x, eta, pad] (n, D) from z-scored x (n, x_dim) and noise channels eta (n, n_noise)."""
        n_pad = self.width - self.x_dim - self.n_noise
        pad = self.pad_noise * torch.randn(x.shape[0], n_pad, generator=gen, device=x.device) if gen else \
            torch.zeros(x.shape[0], n_pad, device=x.device)
        return torch.cat([x, eta, pad], dim=1)

    def _y_side(self, y, z):
        pad = torch.zeros(y.shape[0], self.width - self.y_dim - self.z_dim, device=y.device)
        return torch.cat([y, z, pad], dim=1)

    def _normal(self, n, dim, gen):
        return torch.randn(n, dim, generator=gen, device=self.device)

    # --- training ----------------------------------------------------------------------------------------------
    def _network_x(self, x):
        """x (n, x_dim) checked and, with a box, mapped to w = logit(u): what the network sees, before z-scores."""
        x = as_float_array(x, "x", ndim=2)
        if x.shape[1] != self.x_dim:
            raise ValueError(f"x must have {self.x_dim} columns (the calibrator's x_dim); got {x.shape[1]}")
        return x if self.box is None else self.box.to_unbounded(x)

    def fit(self, x, y):
        """Train on prior samples x (n, x_dim) and model outputs y (n, y_dim) (noiseless when ``noise_sd`` is
        set: fresh noise is drawn every batch); returns self."""
        x = self._network_x(x)
        y = as_float_array(y, "y", ndim=2)
        check_same_rows(x, y, "x", "y")
        if y.shape[1] != self.y_dim:
            raise ValueError(f"y must have {self.y_dim} columns (the calibrator's y_dim); got {y.shape[1]}")
        self.x_scale = Standardizer(x)
        # y's scale includes the observation noise, so that noisy observations are z-scored like the targets
        noise_var = 0.0 if self.noise_sd is None else self.noise_sd**2
        self.y_scale = Standardizer(y)
        self.y_scale.std = np.sqrt(self.y_scale.std**2 + noise_var)
        xt, yt = to_tensor(self.x_scale(x), self.device), to_tensor(self.y_scale(y), self.device)
        sd = to_tensor(np.zeros(0) if self.noise_sd is None else self.noise_sd / self.y_scale.std, self.device)
        gen = torch.Generator(device=self.device).manual_seed(self.seed)
        opt = torch.optim.Adam(self.inn.parameters(), lr=self.lr, weight_decay=1e-5)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, self.n_iter)
        batch = min(self.batch_size, len(xt))
        self.history = new_history("loss_y", "loss_nll", "loss_z", "loss_x")
        start = time.perf_counter()
        for it in with_progress(range(self.n_iter), "INN", self.progress):
            rows = torch.randint(0, len(xt), (batch,), generator=gen, device=self.device)
            eta = self._normal(batch, self.n_noise, gen)
            x_b, y_b = xt[rows], (yt[rows] + eta * sd) if self.n_noise else yt[rows]
            out, log_det = self.inn(self._x_side(x_b, eta, gen))
            y_out, z_out = out[:, :self.y_dim], out[:, self.y_dim:self.y_dim + self.z_dim]
            loss_y = ((y_out - y_b) ** 2).sum(dim=1).mean() + (out[:, self.y_dim + self.z_dim:] ** 2).sum(1).mean()
            loss_nll = (0.5 * (z_out**2).sum(dim=1) - log_det).mean() / self.width
            loss_z = mmd(torch.cat([y_out.detach(), z_out], 1), torch.cat([y_b, self._normal(batch, self.z_dim,
                                                                                              gen)], 1))
            back = self.inn.inverse(self._y_side(y_b, self._normal(batch, self.z_dim, gen)))[:, :self.x_dim]
            loss_x = mmd(back, x_b)
            ramp = min(1.0, 2 * 0.002 ** (1 - it / self.n_iter))
            loss = (self.weights["y"] * loss_y + self.weights["nll"] * loss_nll + self.weights["z"] * loss_z
                    + ramp * self.weights["x"] * loss_x)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.inn.parameters(), 10.0)
            opt.step()
            sched.step()
            if it % 25 == 0 or it == self.n_iter - 1:
                terms = {"loss_y": loss_y, "loss_nll": loss_nll, "loss_z": loss_z, "loss_x": loss_x}
                record(self.history, it, loss.detach(), **{k: float(v.detach()) for k, v in terms.items()})
        self.history["best_step"], self.history["seconds"] = self.n_iter - 1, time.perf_counter() - start
        if not all(np.isfinite(self.history["loss_y"])):
            raise FloatingPointError(f"INN training diverged; lower lr={self.lr}")
        self.inn.eval()
        return self

    # --- use -----------------------------------------------------------------------------------------------------
    def predict(self, x):
        """Forward surrogate: the noiseless y (n, y_dim) for parameters x (n, x_dim), noise channels at 0."""
        check_fitted(self, "x_scale")
        xt = to_tensor(self.x_scale(self._network_x(x)), self.device)
        with torch.no_grad():
            out, _ = self.inn(self._x_side(xt, torch.zeros(len(xt), self.n_noise, device=self.device)))
        return self.y_scale.inverse(out[:, :self.y_dim].double().cpu().numpy())

    def sample(self, y_obs, n=1000, seed=0):
        """n posterior samples (n, x_dim) for one observation y_obs (y_dim,): the inverse of [y_obs, z ~ N(0, I)],
        in the units of x (inside the box when there is one)."""
        check_positive(n, "n", integer=True)
        check_fitted(self, "x_scale")
        y_obs = check_observation(y_obs, self.y_dim, "output of y")
        gen = torch.Generator(device=self.device).manual_seed(check_seed(seed))
        y = to_tensor(self.y_scale(y_obs), self.device).expand(n, -1)
        with torch.no_grad():
            x = self.inn.inverse(self._y_side(y, self._normal(n, self.z_dim, gen)))[:, :self.x_dim]
        x = self.x_scale.inverse(x.double().cpu().numpy())
        return x if self.box is None else self.box.to_box(x)
