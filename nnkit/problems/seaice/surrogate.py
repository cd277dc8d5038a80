"""Train the partial-convolution UNet to predict the 12 h thickness increment, and roll it out autoregressively.

Inputs at step t (8 channels, each z-scored over the ocean): thickness at t and t - 12 h, and the forcing (wind u,
v and air temperature) at t and t + 12 h, the latter known from the atmosphere model as in Durand et al. (2024).
Target: the increment h(t + 12 h) - h(t), scaled by its sd. A forecast adds the predicted increment, keeps the
thickness within the simulator's own bounds [0, H_MAX_M] (the model clips every step to them) and feeds itself back
in.

Loss (Durand et al. 2024): the mean squared error over ocean cells (local) plus global_weight x the squared error
of its ocean mean (global), which penalises a drift of the basin's total ice that cell-wise errors average away.
With n_unroll = k > 1 the model is trained through its own rollout: from the true state at t it steps k times,
each step fed its own previous output, and the loss is the mean over the k steps of the state errors (in increment
sd units, so k = 1 is the one-step loss). Gradients flow through the whole rollout, so the network learns to
correct the errors it feeds itself, the usual remedy for rollouts that drift out of the training distribution.
With input_noise = s > 0 the true state the rollout starts from (at t and t - 1 alike) is shifted by Gaussian
noise of sd s x the increment's sd on every ocean cell, while the targets stay true: the network learns to remove
texture it did not see in the data, as a rollout must remove the errors it made (Sanchez-Gonzalez et al. 2020).
"""
from __future__ import annotations

import time

import numpy as np
import torch

from ...core.runtime import get_device, seeded
from ...core.training import check_fitted, new_history, progress as with_progress, record
from ...core.validation import check_choice, check_nonnegative, check_positive
from .network import SeaIceResNet, SeaIceUNet
from .simulator import H_MAX_M, SeaIceRun

IN_CHANNELS = 8
ARCHITECTURES = {"unet": SeaIceUNet, "resnet": SeaIceResNet}


def local_global_loss(error, n_ocean, global_weight):
    """Mean over ocean cells and batch of error^2 (local), plus global_weight x the batch mean of the squared ocean
    mean of error (global). error: (B, H, W) in increment sd units, zero on land; n_ocean: ocean cells per field."""
    local = (error**2).sum() / (n_ocean * len(error))
    global_ = ((error.sum(dim=(1, 2)) / n_ocean) ** 2).mean()
    return local + global_weight * global_


class SeaIceSurrogate:
    """fit(run, steps) trains on the steps t in ``steps`` (indices into the run, t >= 1, t + n_unroll < T);
    forecast(run, starts, n_leads) rolls out from each start. architecture: "unet" (``SeaIceUNet``) or "resnet"
    (``SeaIceResNet``, FixUp), both of ``width`` channels; ``partial=False`` uses plain convolutions.
    global_weight (>= 0), n_unroll (steps of the training rollout) and input_noise (>= 0, in increment sd): the
    loss of the module docstring."""

    def __init__(self, width=16, partial=True, architecture="unet", n_epochs=10, batch_size=16, lr=2e-3,
                 global_weight=0.0, n_unroll=1, input_noise=0.0, seed=0, device="cpu", progress=False):
        self.width = check_positive(width, "width", integer=True)
        self.architecture = check_choice(architecture, "architecture", ARCHITECTURES)
        self.global_weight = check_nonnegative(global_weight, "global_weight")
        self.n_unroll = check_positive(n_unroll, "n_unroll", integer=True)
        self.input_noise = check_nonnegative(input_noise, "input_noise")
        self.partial = bool(partial)
        self.n_epochs = check_positive(n_epochs, "n_epochs", integer=True)
        self.batch_size = check_positive(batch_size, "batch_size", integer=True)
        self.lr = check_positive(lr, "lr")
        self.seed, self.device, self.progress = seed, get_device(device), progress

    # --- data ----------------------------------------------------------------------------------------------------
    def _check_run(self, run):
        if not isinstance(run, SeaIceRun):
            raise TypeError(f"run must be a seaice.SeaIceRun (from seaice.simulate); got {type(run).__name__}")

    def _tensors(self, run):
        """Normalised thickness (T, H, W), forcing (T, 3, H, W) and mask (1, 1, H, W) on the device."""
        h = torch.as_tensor((run.thickness - self.h_mean) / self.h_sd * run.mask, device=self.device)
        f = torch.as_tensor((run.forcing - self.f_mean[:, None, None]) / self.f_sd[:, None, None] * run.mask,
                            device=self.device)
        mask = torch.as_tensor(run.mask[None, None], dtype=torch.float32, device=self.device)
        return h.float(), f.float(), mask

    @staticmethod
    def _inputs(h_now, h_prev, f_now, f_next):
        """(B, 8, H, W) from thickness (B, H, W) at t and t - 1 and forcing (B, 3, H, W) at t and t + 1."""
        return torch.cat([h_now[:, None], h_prev[:, None], f_now, f_next], dim=1)

    def _check_steps(self, run, steps, name, ahead=1):
        """steps as an integer array; each needs t - 1 and the ``ahead`` steps after it inside the run."""
        steps = np.asarray(steps)
        if steps.ndim != 1 or steps.size == 0 or not np.issubdtype(steps.dtype, np.integer):
            raise ValueError(f"{name} must be a non-empty 1-D array of integer step indices; got {steps!r}")
        last = len(run.thickness) - 1 - ahead
        if steps.min() < 1 or steps.max() > last:
            needs = "t + 1" if ahead == 1 else f"t + 1 .. t + {ahead} (n_unroll = {ahead})"
            raise ValueError(f"{name} must lie in [1, {last}] (each needs t - 1 and {needs}); got "
                             f"{steps.min()}..{steps.max()}")
        return steps

    # --- training --------------------------------------------------------------------------------------------
    def fit(self, run, steps):
        """Train on the increments from the given steps of ``run``; returns self with ``history`` (step: the epoch,
        train_loss: its mean loss)."""
        self._check_run(run)
        steps = self._check_steps(run, steps, "steps", ahead=self.n_unroll)
        ocean = run.mask
        used = np.unique(np.concatenate([steps - 1, steps, steps + 1]))  # the scales: as for one-step training
        self.h_mean = float(run.thickness[used][:, ocean].mean())
        self.h_sd = float(run.thickness[used][:, ocean].std())
        forcing = run.forcing[used][:, :, ocean]                     # (n, 3, n_ocean)
        self.f_mean = forcing.mean(axis=(0, 2))
        self.f_sd = forcing.std(axis=(0, 2))
        increments = run.thickness[steps + 1] - run.thickness[steps]
        self.inc_sd = float(increments[:, ocean].std())
        h, f, mask = self._tensors(run)
        with seeded(self.seed):
            self.net = ARCHITECTURES[self.architecture](IN_CHANNELS, self.width, partial=self.partial).to(self.device)
        opt = torch.optim.AdamW(self.net.parameters(), lr=self.lr, weight_decay=1e-5)
        n_batches = int(np.ceil(len(steps) / self.batch_size))
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, self.lr, total_steps=self.n_epochs * n_batches)
        rng = np.random.default_rng(self.seed)
        noise = torch.Generator(device=self.device).manual_seed(self.seed) if self.input_noise > 0 else None
        self.history = new_history()
        start = time.perf_counter()
        self.net.train()
        for epoch in with_progress(range(self.n_epochs), self.architecture, self.progress):
            total = 0.0
            for batch in np.array_split(rng.permutation(steps), n_batches):
                loss = self._rollout_loss(h, f, mask, torch.as_tensor(batch, device=self.device), noise)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
                total += float(loss.detach()) * len(batch)
            record(self.history, epoch, total / len(steps))
        self.history["best_step"], self.history["seconds"] = self.n_epochs - 1, time.perf_counter() - start
        if not np.isfinite(self.history["train_loss"][-1]):
            raise FloatingPointError(f"training diverged; lower lr={self.lr}")
        self.net.eval()
        return self

    def _step(self, h_now, h_prev, f_now, f_next, mask):
        """One step in normalised units: h_now plus the predicted increment (B, H, W), zero on land, not yet
        clipped to [0, H_MAX_M] (the loss sees the raw step; ``_physical`` clips it before it is fed back)."""
        return h_now + self.inc_sd / self.h_sd * self.net(self._inputs(h_now, h_prev, f_now, f_next), mask)[:, 0]

    def _physical(self, h, mask):
        """h (B, H, W) in normalised units clipped to [0, H_MAX_M] m, as the simulator clips, and land at zero."""
        return torch.clamp(h, min=-self.h_mean / self.h_sd, max=(H_MAX_M - self.h_mean) / self.h_sd) * mask[0]

    def _rollout_loss(self, h, f, mask, t, noise=None):
        """Local + global_weight x global squared error, averaged over n_unroll steps from the true states at t
        (shifted by input_noise, drawn from the torch.Generator ``noise``, when one is given)."""
        to_increment_sd = self.h_sd / self.inc_sd
        n_ocean = mask.sum()
        h_now, h_prev, loss = h[t], h[t - 1], 0.0
        if noise is not None:
            shift = torch.randn(h_now.shape, generator=noise, device=self.device) * mask[0]
            shift = shift * (self.input_noise / to_increment_sd)
            h_now, h_prev = h_now + shift, h_prev + shift
        for j in range(self.n_unroll):
            h_next = self._step(h_now, h_prev, f[t + j], f[t + j + 1], mask)
            error = (h_next - h[t + j + 1]) * to_increment_sd          # (B, H, W), zero on land
            h_prev, h_now = h_now, self._physical(h_next, mask)
            loss = loss + local_global_loss(error, n_ocean, self.global_weight)
        return loss / self.n_unroll

    # --- forecasting -----------------------------------------------------------------------------------------
    def forecast(self, run, starts, n_leads):
        """Roll out from each start step s (the state at s and s - 1 from the run, forcing from the run): thickness
        (len(starts), n_leads, H, W) in m at steps s + 1 .. s + n_leads."""
        check_fitted(self, "net", "fit(run, steps)")
        self._check_run(run)
        check_positive(n_leads, "n_leads", integer=True)
        starts = self._check_steps(run, starts, "starts")
        if starts.max() + n_leads >= len(run.thickness):
            raise ValueError(f"starts + n_leads must stay inside the run's {len(run.thickness)} steps; the last "
                             f"start {starts.max()} with n_leads={n_leads} does not")
        h, f, mask = self._tensors(run)
        t = torch.as_tensor(starts, device=self.device)
        h_now, h_prev = h[t], h[t - 1]
        out = []
        with torch.no_grad():
            for lead in range(n_leads):
                h_prev, h_now = h_now, self._physical(self._step(h_now, h_prev, f[t + lead], f[t + lead + 1], mask),
                                                      mask)
                out.append(h_now)
        thickness = torch.stack(out, dim=1).cpu().numpy() * self.h_sd + self.h_mean
        return (thickness * run.mask).astype(np.float32)
