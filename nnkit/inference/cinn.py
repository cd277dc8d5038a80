"""Conditional INN (cINN): an amortised posterior sampler learnt from prior runs by maximum likelihood.

An INN f(x; y) whose coupling blocks all see the observation y (``flows.INN`` with a context) maps parameters x to
z, with the model density
    log q(x | y) = log N(f(x; y); 0, I) + log |det df/dx|.
Trained on prior runs (x_j, y_j) to minimise the mean of -log q(x_j | y_j), it approaches the posterior: over the
joint p(x, y) that loss is E_y KL(p(x | y) || q(x | y)) plus a constant (Papamakarios & Murray 2016; Ardizzone et
al. 2019b). Then x = f^{-1}(z; y0), z ~ N(0, I), samples p(x | y0) for any y0 in one pass, and q(x | y0) is the
posterior density. Unlike the INN of ``flows.INNCalibrator`` there is no forward surrogate and no MMD term: the
loss is one exact likelihood.

With ``noise_sd`` the y_j are noiseless model outputs and every batch adds fresh N(0, noise_sd^2) noise: the
observation model of the calibration. Columns with noise 0 are inputs known exactly (site descriptors).
"""
from __future__ import annotations

import math
import time

import numpy as np
import torch

from ..core.nets import to_tensor
from ..core.runtime import check_seed, get_device, seeded
from ..core.scaling import BoxTransform, Standardizer
from ..core.training import KeepBest, check_fitted, new_history, progress as with_progress, record
from ..core.validation import (as_float_array, check_fraction, check_nonnegative, check_observation, check_per_output,
                               check_positive, check_same_rows)
from .flows import INN


def gaussian_flow_nll(z, log_det):
    """Mean negative log-likelihood of the runs behind z = f(x; y) (n, d) and log |det df/dx| (n,) under a flow
    onto N(0, I): mean over runs of |z|^2 / 2 + (d / 2) log(2 pi) - log |det|, in nats per run."""
    return (0.5 * (z**2).sum(dim=1) - log_det).mean() + 0.5 * z.shape[1] * math.log(2 * math.pi)


class ConditionalINN:
    """Amortised posterior sampler: ``fit(x, y)`` on prior runs, then ``sample(y_obs, n, seed)`` or
    ``log_prob(x, y_obs)``.

    noise_sd: the observation noise sd of each column of y, in its units (see the module docstring); None: y is
    used as given. box: a ``BoxTransform`` of a uniform prior on x; x is then given and sampled in its own units
    while the flow works on w = logit(u). n_blocks, hidden, clamp: the INN (``flows.INN``, context y). Training:
    Adam with cosine decay for ``n_iter`` steps of ``batch_size`` rows, weight decay ``weight_decay``, gradients
    clipped to norm 10. Every ``val_every`` steps the loss on the held-out ``val_fraction`` of the runs (with one
    fixed draw of noise) is measured, and the best weights are kept: a few thousand runs over-fit within a few
    thousand steps (6000 land-model runs: the held-out loss is lowest near step 1500).
    ``history``: step, train_loss and val_loss (mean negative log-likelihood per run, z-scored x), best_step,
    seconds.
    """

    def __init__(self, noise_sd=None, box=None, n_blocks=5, hidden=64, clamp=2.0, n_iter=2000, lr=1e-3,
                 batch_size=256, weight_decay=0.0, val_fraction=0.1, val_every=100, seed=0, device="cpu",
                 progress=False):
        self.noise_sd = noise_sd
        if box is not None and not isinstance(box, BoxTransform):
            raise TypeError(f"box must be a BoxTransform or None; got {type(box).__name__}")
        self.n_blocks = check_positive(n_blocks, "n_blocks", integer=True)
        self.hidden = check_positive(hidden, "hidden", integer=True)
        self.clamp = check_positive(clamp, "clamp")
        self.n_iter = check_positive(n_iter, "n_iter", integer=True)
        self.lr = check_positive(lr, "lr")
        self.batch_size = check_positive(batch_size, "batch_size", integer=True)
        self.weight_decay = check_nonnegative(weight_decay, "weight_decay")
        self.val_fraction = check_fraction(val_fraction, "val_fraction")
        self.val_every = check_positive(val_every, "val_every", integer=True)
        self.box, self.seed, self.device, self.progress = box, seed, get_device(device), progress

    def _unbounded(self, x, name="x"):
        """x (n, d) checked and, with a box, mapped to w = logit(u)."""
        x = as_float_array(x, name, ndim=2)
        if self.box is not None and x.shape[1] != self.box.dim:
            raise ValueError(f"{name} must have {self.box.dim} columns like the box; got {x.shape[1]}")
        return x if self.box is None else self.box.to_unbounded(x)

    def _nll(self, x, context, noise=None):
        """Mean negative log-likelihood of z-scored x (n, d) given z-scored y (n, k) (+ scaled noise (n, k))."""
        return gaussian_flow_nll(*self.inn(x, context if noise is None else context + noise))

    def fit(self, x, y):
        """Train on prior runs: parameters x (n, d) and outputs y (n, k); returns self."""
        w, y = self._unbounded(x), as_float_array(y, "y", ndim=2)
        check_same_rows(w, y, "x", "y")
        if w.shape[0] < 2 or w.shape[1] < 2:
            raise ValueError(f"x must hold at least 2 runs of at least 2 parameters (the coupling blocks split x "
                             f"in two); got shape {w.shape}")
        self.x_dim, self.y_dim = w.shape[1], y.shape[1]
        noise = np.zeros(self.y_dim) if self.noise_sd is None else \
            check_per_output(self.noise_sd, "noise_sd", self.y_dim, allow_zero=True)
        self.x_scale, self.y_scale = Standardizer(w), Standardizer(y)
        self.y_scale.std = np.sqrt(self.y_scale.std**2 + noise**2)   # observations carry the noise
        with seeded(self.seed):
            self.inn = INN(self.x_dim, self.n_blocks, self.hidden, self.clamp, self.seed, self.y_dim)
        self.inn.to(self.device)
        gen = torch.Generator(device="cpu").manual_seed(self.seed)
        order = torch.randperm(len(w), generator=gen).to(self.device)
        xt, yt = to_tensor(self.x_scale(w), self.device)[order], to_tensor(self.y_scale(y), self.device)[order]
        sd = to_tensor(noise / self.y_scale.std, self.device)
        n_val = int(round(self.val_fraction * len(xt)))
        val_x, val_y = xt[:n_val], yt[:n_val] + sd * torch.randn(n_val, self.y_dim, generator=gen).to(self.device)
        train_x, train_y = xt[n_val:], yt[n_val:]
        opt = torch.optim.Adam(self.inn.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, self.n_iter)
        batch = min(self.batch_size, len(train_x))
        self.history, best, since = new_history(), KeepBest(self.inn), []
        start = time.perf_counter()
        for it in with_progress(range(self.n_iter), "cINN", self.progress):
            rows = torch.randint(0, len(train_x), (batch,), generator=gen).to(self.device)
            eps = sd * torch.randn(batch, self.y_dim, generator=gen).to(self.device)
            loss = self._nll(train_x[rows], train_y[rows], eps)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.inn.parameters(), 10.0)
            opt.step()
            sched.step()
            since.append(loss.detach())
            if (it + 1) % self.val_every == 0 or it == self.n_iter - 1:
                val = None
                if n_val:
                    with torch.no_grad():
                        val = float(self._nll(val_x, val_y))
                    best.update(val, it)
                record(self.history, it, torch.stack(since).mean(), val)
                since = []
        if not np.all(np.isfinite(self.history["train_loss"])):
            raise FloatingPointError(f"cINN training diverged; lower lr={self.lr}")
        self.history["best_step"] = best.restore() if n_val else self.n_iter - 1
        self.history["seconds"] = time.perf_counter() - start
        self.inn.eval()
        return self

    def _context(self, y_obs, n):
        y_obs = check_observation(y_obs, self.y_dim, "column of y")
        return to_tensor(self.y_scale(y_obs), self.device).expand(n, -1)

    def sample(self, y_obs, n=1000, seed=0):
        """n posterior draws (n, d) for one observation y_obs (k,), in the units of x (inside the box if any)."""
        check_positive(n, "n", integer=True)
        check_fitted(self, "inn")
        gen = torch.Generator(device="cpu").manual_seed(check_seed(seed))
        z = torch.randn(n, self.x_dim, generator=gen).to(self.device)
        with torch.no_grad():
            w = self.inn.inverse(z, self._context(y_obs, n))
        w = self.x_scale.inverse(w.double().cpu().numpy())
        return w if self.box is None else self.box.to_box(w)

    def log_prob(self, x, y_obs):
        """log q(x | y_obs) (n,): the learnt posterior density at parameters x (n, d), per unit of x."""
        check_fitted(self, "inn")
        w = self._unbounded(x)
        if w.shape[1] != self.x_dim:
            raise ValueError(f"x must have {self.x_dim} columns (as in fit); got {w.shape[1]}")
        with torch.no_grad():
            z, log_det = self.inn(to_tensor(self.x_scale(w), self.device), self._context(y_obs, len(w)))
        log_q = (-0.5 * (z**2).sum(dim=1) + log_det).double().cpu().numpy()
        log_q += -0.5 * self.x_dim * math.log(2 * math.pi) - np.log(self.x_scale.std).sum()
        if self.box is not None:   # dw/dx = 1 / (u (1 - u) (upper - lower)) per parameter
            u = np.clip(self.box.to_unit(x), 1e-9, 1 - 1e-9)
            log_q -= (np.log(u) + np.log1p(-u)).sum(axis=1) + np.log(self.box.upper - self.box.lower).sum()
        return log_q
