"""Multi-stage neural networks (Wang & Lai, J. Comput. Phys. 2024): regression to near machine precision, float64.

Stage 0 fits the data. Stage n fits the residue r_n = y - (sum of the earlier stages) divided by its RMS eps_n, so
every stage learns an O(1) target; its first layer is sin(kappa W h + b) with kappa set from the dominant frequency
of r_n (FFT on the training grid), because each residue is of higher frequency than the last. Each stage trains
with Adam, then L-BFGS (scipy's L-BFGS-B, which keeps converging where torch.optim.LBFGS stalls near loss 1e-6).
Inputs are mapped to h in [-1, 1]^d by the bounding box of the training points.
"""
from __future__ import annotations

import time
from contextlib import nullcontext

import numpy as np
import torch
from scipy.optimize import minimize
from torch.nn.utils import parameters_to_vector, vector_to_parameters

from ..core.nets import mlp, torch_threads, train_full_batch
from ..core.runtime import get_device, seeded
from ..core.training import check_fitted, new_history, record
from ..core.validation import as_float_array, check_choice, check_fraction, check_positive, check_same_rows
from .fourier import (SineLayer, check_nyquist_fraction, dominant_frequency, kappa_for_frequency, spectrum_features,
                      spectrum_sine_layer)


def lbfgs(model, loss_fn, max_iter, history_size=50):
    """Minimise loss_fn(model) -> scalar tensor over the model's parameters with scipy's L-BFGS-B, in place.

    Runs max_iter iterations at most (tolerances set to zero: the budget decides). Returns the final loss.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    dtype = params[0].dtype

    def value_and_grad(v):
        vector_to_parameters(torch.from_numpy(v).to(dtype=dtype, device=params[0].device), params)
        for p in params:
            p.grad = None
        loss = loss_fn(model)
        loss.backward()
        return float(loss.detach()), parameters_to_vector([p.grad for p in params]).detach().cpu().double().numpy()

    start = parameters_to_vector(params).detach().cpu().double().numpy()
    result = minimize(value_and_grad, start, jac=True, method="L-BFGS-B",
                      options={"maxiter": max_iter, "maxfun": int(1.25 * max_iter) + 1, "maxcor": history_size,
                               "ftol": 0.0, "gtol": 0.0})
    vector_to_parameters(torch.from_numpy(result.x).to(dtype=dtype, device=params[0].device), params)
    return float(result.fun)


class MultiStageNN:
    """Sum of networks fitted stage by stage to scaled residues.

    widths: hidden width of each stage (its length is the most stages ``fit`` may use); depth: hidden layers per stage;
    n_iter: Adam steps per stage, then lbfgs_iter L-BFGS iterations; lr: Adam learning rate; seed: fixes every stage's
    start; frequency_cap: None, or the most a stage's frequency may be as a fraction of its training grid's Nyquist
    frequency (a guard against stages that oscillate between the points; for "spectrum" and "fourier", along each axis,
    for the modes they start from); first_layer: "kappa" (Wang & Lai: stage 0 tanh, later stages a sine layer of Xavier
    rows scaled by kappa_scale x kappa), "spectrum" (Ng, Wang & Lai 2024: every stage's sine layer starts at its
    residue's strongest Fourier modes, ``spectrum_sine_layer``) or "fourier" (every stage starts with fixed cosine and
    sine features of its residue's ``modes`` strongest Fourier modes, ``spectrum_features``, in place of the first
    hidden layer; computed once per stage, so a stage trains faster per mode; in 2-D it fits far better than either);
    kappa_scale: multiplies Wang & Lai's kappa ("kappa" stages from 1 on): below 1, a stage's sine rows start below its
    residue's dominant frequency and its tanh layers make fewer waves above it, so the next residue is of lower
    frequency (0.25 gains 3x after 4 stages on a target with a small fast term); modes: Fourier modes per stage for
    "fourier"; dense_from: the first stage that trains on the denser points passed to ``fit`` (if any); band: None, or a
    fraction in (0, 1] of the Nyquist frequency of each stage's training grid, along every axis, above which the stage
    is penalised by band_weight x the mean square of the part of its output above the band (FFT of its output on the
    grid: for fields periodic on the grid, such as a band-limited field upsampled with ``spectral_upsample``, whose
    power above the band is zero). A stage kept out of the upper band also keeps down the waves its tanh layers make
    beyond the grid's resolution, which are its error between the points. min_held_out_gain: None (fit every stage), or
    a fraction: ``fit`` stops at the first stage whose held-out error is above (1 - min_held_out_gain) x the previous
    stage's and drops it from the sum (its history entry stays; needs held-out points). threads: CPU threads torch may
    use while fitting (1, the default, is 2-3x faster than 2 for networks this small on a 2-core CPU; None keeps
    torch's). After ``fit``, ``history`` has one entry per stage: "step" (the stage), "train_loss" (its final mean
    squared error on its scaled residue, plus the band penalty), "error" (relative L2 of the sum so far on the points
    the stage trained on), "held_out_error" (the same on the held-out points passed to ``fit``, e.g. between the
    training points; empty without them), "eps", "kappa", "frequency" (dominant frequency of the residue, cycles per
    unit of h, after the cap), "points" (how many points the stage trained on), "loss_curve" (per Adam step, then per
    L-BFGS function evaluation) and "stage_seconds"; "best_step" is the last stage kept, "seconds" the total and
    "threads" the torch CPU threads used.
    """

    def __init__(self, widths=(20, 20, 30, 30), depth=3, n_iter=2000, lbfgs_iter=4000, lr=1e-3, seed=0,
                 frequency_cap=None, first_layer="kappa", kappa_scale=1.0, modes=128, dense_from=2, band=None,
                 band_weight=1e3, min_held_out_gain=None, device="cpu", threads=1, progress=False):
        self.widths = tuple(check_positive(w, "widths[i]", integer=True) for w in widths)
        if not self.widths:
            raise ValueError("widths must list at least one stage width")
        self.depth = check_positive(depth, "depth", integer=True)
        self.n_iter = check_positive(n_iter, "n_iter", integer=True)
        self.lbfgs_iter = check_positive(lbfgs_iter, "lbfgs_iter", integer=True)
        self.lr = check_positive(lr, "lr")
        self.seed, self.device, self.progress = seed, get_device(device), progress
        self.frequency_cap = check_nyquist_fraction(frequency_cap, "frequency_cap")
        self.first_layer = check_choice(first_layer, "first_layer", ("kappa", "spectrum", "fourier"))
        self.kappa_scale = check_positive(kappa_scale, "kappa_scale")
        if self.kappa_scale != 1.0 and self.first_layer != "kappa":
            raise ValueError(f"kappa_scale scales the rows of first_layer='kappa' only; first_layer={first_layer!r} "
                             "starts its stages at their residue's modes")
        self.modes = check_positive(modes, "modes", integer=True)
        if self.first_layer == "fourier" and self.depth < 2:
            raise ValueError(f"first_layer='fourier' needs depth >= 2 (its features take the first hidden layer's "
                             f"place); got depth {depth}")
        self.dense_from = check_positive(dense_from, "dense_from", integer=True)
        self.band = check_nyquist_fraction(band, "band")
        self.band_weight = check_positive(band_weight, "band_weight")
        self.min_held_out_gain = (None if min_held_out_gain is None
                                  else check_fraction(min_held_out_gain, "min_held_out_gain"))
        self.threads = None if threads is None else check_positive(threads, "threads", integer=True)

    def _to_h(self, x):
        return torch.tensor(2 * (x - self.lo) / (self.hi - self.lo) - 1, dtype=torch.float64, device=self.device)

    def fit(self, x, y, n_stages=None, grid_shape=None, x_held_out=None, y_held_out=None, x_dense=None, y_dense=None,
            dense_grid_shape=None):
        """Fit y (n, k) at points x (n, d) with n_stages stages (default: one per entry of ``widths``); returns self.

        The residue's dominant frequency is read by FFT, so x must be a uniform grid: sorted 1-D points, or, for
        d > 1, points ordered like ``np.meshgrid(..., indexing="ij")`` with ``grid_shape`` giving the grid's shape.
        x_held_out (m, d), y_held_out (m, k): points the stages never train on (say, between the training points);
        their relative error after each stage goes to history["held_out_error"].
        x_dense (m, d), y_dense (m, k): a finer uniform grid of the same function within x's bounding box, or for a
        periodic field the finer periodic grid, which may end up to one of x's steps past it (d > 1:
        ``dense_grid_shape``); stages from ``dense_from`` on train there, as Wang & Lai do for stages 3-4, because
        later residues oscillate faster than the coarse grid resolves.
        """
        x = as_float_array(x, "x", ndim=2)
        y = as_float_array(y, "y", ndim=2)
        check_same_rows(x, y, "x", "y")
        held_out = self._check_held_out(x_held_out, y_held_out, x.shape[1], y.shape[1])
        if self.min_held_out_gain is not None and held_out is None:
            raise ValueError("min_held_out_gain stops on the held-out error: pass x_held_out and y_held_out")
        n_stages = len(self.widths) if n_stages is None else check_positive(n_stages, "n_stages", integer=True)
        if n_stages > len(self.widths):
            raise ValueError(f"n_stages must be at most len(widths) = {len(self.widths)}; got {n_stages}")
        grid_shape = self._check_grid(x, grid_shape)
        self.lo, self.hi = x.min(axis=0), x.max(axis=0)
        if np.any(self.hi <= self.lo):
            raise ValueError("x must span a range in every dimension")
        dense = self._check_dense(x_dense, y_dense, dense_grid_shape, grid_shape, y.shape[1])
        self.stages = []  # (network, eps)
        self.history = new_history("error", "held_out_error", "eps", "kappa", "frequency", "points", "loss_curve",
                                   "stage_seconds")
        limit = self.threads is not None and self.device.type == "cpu"
        with torch_threads(self.threads) if limit else nullcontext():
            self.history["threads"] = torch.get_num_threads()
            self._fit_stages((x, y, grid_shape), dense, n_stages, held_out)
        self.history["best_step"] = len(self.stages) - 1
        self.history["seconds"] = float(np.sum(self.history["stage_seconds"]))
        return self

    def _fit_stages(self, coarse, dense, n_stages, held_out):
        for stage in range(n_stages):
            start = time.perf_counter()
            x, y, grid_shape = dense if dense is not None and stage >= self.dense_from else coarse
            h = self._to_h(x)
            residue = y - self._sum_of_stages(h)
            eps = float(np.sqrt(np.mean(residue**2)))
            residue_grid = residue[:, 0].reshape(grid_shape)
            width = self.widths[stage]
            if stage == 0:
                freq, kappa = 0.0, 1.0
            else:
                freq = dominant_frequency(residue_grid, length=2.0)
                if self.frequency_cap is not None:  # a fraction of the Nyquist frequency of the coarsest axis
                    freq = min(freq, self.frequency_cap * (min(grid_shape) - 1) / 4)
                kappa = (1.0 if self.first_layer != "kappa"  # the modes' rows carry the frequencies themselves
                         else self.kappa_scale * kappa_for_frequency(max(freq, 0.5), x.shape[1], width))
            spans = [float(h[:, a].max() - h[:, a].min()) for a in range(h.shape[1])]  # 2, or more on a dense grid
            with seeded(self.seed + stage):
                net = self._stage_network(stage, residue_grid, spans, kappa, y.shape[1])
            target = torch.tensor(residue / eps, dtype=torch.float64, device=self.device)
            losses, final_loss = self._train(net, h, target, grid_shape)
            self.stages.append((net, eps))
            error = np.linalg.norm(y - self._sum_of_stages(h)) / np.linalg.norm(y)
            record(self.history, stage, final_loss, error=error, eps=eps, kappa=kappa, frequency=freq,
                   loss_curve=losses, stage_seconds=time.perf_counter() - start, points=len(x))
            if held_out is not None:
                x_ho, y_ho = held_out
                self.history["held_out_error"].append(
                    np.linalg.norm(y_ho - self._sum_of_stages(self._to_h(x_ho))) / np.linalg.norm(y_ho))
            if self.progress:
                print(f"stage {stage}: relative error {error:.2e}, eps {eps:.2e}, kappa {kappa:.1f}, "
                      f"{len(x)} points ({self.history['stage_seconds'][-1]:.1f} s)")
            if self._stalls():
                self.stages.pop()  # its entry stays in history; best_step names the last stage kept
                break

    def _stalls(self):
        """True when the latest stage's held-out error is not below (1 - min_held_out_gain) x the one before."""
        errors = self.history["held_out_error"]
        return (self.min_held_out_gain is not None and len(errors) > 1
                and errors[-1] > (1 - self.min_held_out_gain) * errors[-2])

    def _stage_network(self, stage, residue_grid, spans, kappa, k):
        """The network of one stage, started from its residue on the grid (first layer by ``first_layer``); spans:
        the grid's extent in h along each axis."""
        width, cap, d = self.widths[stage], self.frequency_cap, len(spans)
        features, first, depth = None, None, self.depth
        if self.first_layer == "fourier":
            features, depth = spectrum_features(residue_grid, self.modes, spans, cap=cap), self.depth - 1
        elif self.first_layer == "spectrum":
            first = spectrum_sine_layer(residue_grid, width, spans, cap=cap)
        elif stage > 0:
            first = SineLayer(d, width, kappa)
        return mlp(d, k, width, depth, "tanh", encoding=features, first_layer=first,
                   dtype=torch.float64).to(self.device)

    def _sum_of_stages(self, h):
        """Sum of the stages fitted so far at normalised inputs h (tensor (n, d)); numpy (n, k)."""
        with torch.no_grad():
            return sum((eps * net(h) for net, eps in self.stages), torch.zeros(())).cpu().numpy()

    @staticmethod
    def _check_pair(x_extra, y_extra, name, d, k):
        """Extra points (x_<name> (m, d), y_<name> (m, k)) checked, or None when neither is given."""
        if x_extra is None and y_extra is None:
            return None
        xn, yn = f"x_{name}", f"y_{name}"
        if x_extra is None or y_extra is None:
            raise ValueError(f"{xn} and {yn} go together: pass both or neither")
        x_extra, y_extra = as_float_array(x_extra, xn, ndim=2), as_float_array(y_extra, yn, ndim=2)
        check_same_rows(x_extra, y_extra, xn, yn)
        if x_extra.shape[1] != d or y_extra.shape[1] != k:
            raise ValueError(f"{xn} and {yn} must have {d} and {k} columns like x and y; got "
                             f"{x_extra.shape[1]} and {y_extra.shape[1]}")
        return x_extra, y_extra

    def _check_held_out(self, x_held_out, y_held_out, d, k):
        """(x_held_out (m, d), y_held_out (m, k)) checked, or None when neither is given."""
        held_out = self._check_pair(x_held_out, y_held_out, "held_out", d, k)
        if held_out is not None and not np.any(held_out[1]):
            raise ValueError("y_held_out must not be all zeros (the error is relative to its norm)")
        return held_out

    def _check_dense(self, x_dense, y_dense, grid_shape, coarse_shape, k):
        """(x_dense, y_dense, grid shape) checked against the coarse grid (its shape, k outputs, bounding box), or
        None."""
        d = len(coarse_shape)
        dense = self._check_pair(x_dense, y_dense, "dense", d, k)
        if dense is None:
            return None
        step = (self.hi - self.lo) / (np.array(coarse_shape) - 1) * (1 + 1e-9)  # x's grid step along each axis
        if np.any(dense[0] < self.lo - step) or np.any(dense[0] > self.hi + step):
            raise ValueError("x_dense must lie within one grid step of x's bounding box (the inputs are scaled by it; "
                             "a finer periodic grid ends less than one of x's steps after x's last point)")
        return (*dense, self._check_grid(dense[0], grid_shape, "x_dense", "dense_grid_shape"))

    def _check_grid(self, x, grid_shape, name="x", shape_name="grid_shape"):
        n, d = x.shape
        if grid_shape is None:
            if d != 1:
                raise ValueError(f"{name} has {d} dimensions: pass {shape_name}, the shape of the grid its points form")
            steps = np.diff(x[:, 0])
            if not np.allclose(steps, steps[0], rtol=1e-6) or steps[0] <= 0:
                raise ValueError(f"{name} must be sorted, equally spaced points (the residue's spectrum is read by "
                                 "FFT)")
            return (n,)
        grid_shape = tuple(int(s) for s in grid_shape)
        if len(grid_shape) != d or int(np.prod(grid_shape)) != n:
            raise ValueError(f"{shape_name} must have {d} entries whose product is {n}; got {grid_shape}")
        return grid_shape

    def _train(self, net, h, target, grid_shape):
        if self.first_layer == "fourier":  # fixed features: computed once, then the layers after them train on them
            with torch.no_grad():
                h = net[0](h)
            net = net[1:]
        penalty = None if self.band is None else self._band_penalty(grid_shape)
        losses = train_full_batch(net, h, target, self.n_iter, self.lr, penalty=penalty)

        def loss_fn(model):
            prediction = model(h)
            loss = torch.mean((prediction - target) ** 2)
            if penalty is not None:
                loss = loss + penalty(prediction)
            losses.append(float(loss.detach()))
            return loss

        final = lbfgs(net, loss_fn, self.lbfgs_iter)
        return np.array(losses), final

    def _band_penalty(self, grid_shape):
        """penalty(prediction): band_weight x the mean square of the part above ``band`` of a prediction (n, k) on the
        grid (its first output)."""
        above = torch.zeros(grid_shape, dtype=torch.bool, device=self.device)
        for axis, n in enumerate(grid_shape):
            k = torch.fft.fftfreq(n, device=self.device).abs() * 2  # fraction of the axis's Nyquist frequency
            above |= (k > self.band).reshape([-1 if a == axis else 1 for a in range(len(grid_shape))])
        size = int(np.prod(grid_shape))

        def penalty(prediction):
            spectrum = torch.fft.fftn(prediction[:, 0].reshape(grid_shape))
            return self.band_weight * (spectrum[above].abs() ** 2).sum() / size**2
        return penalty

    def predict(self, x, n_stages=None):
        """Sum of the first n_stages stages (all by default) at x of shape (n, d); returns (n, k)."""
        check_fitted(self, "stages")
        x = as_float_array(x, "x", ndim=2)
        if x.shape[1] != len(self.lo):
            raise ValueError(f"x must have shape (n, {len(self.lo)}); got {x.shape}")
        n_stages = len(self.stages) if n_stages is None else n_stages
        if not 1 <= n_stages <= len(self.stages):
            raise ValueError(f"n_stages must be in [1, {len(self.stages)}]; got {n_stages}")
        with torch.no_grad():
            h = self._to_h(x)
            return sum(eps * net(h).cpu().numpy() for net, eps in self.stages[:n_stages])
