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
from ..core.validation import as_float_array, check_positive, check_same_rows
from .fourier import SineLayer, dominant_frequency, kappa_for_frequency


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

    widths: hidden width of each stage (its length is the most stages ``fit`` may use); depth: hidden layers per
    stage; n_iter: Adam steps per stage, then lbfgs_iter L-BFGS iterations; lr: Adam learning rate; seed: fixes
    every stage's start; threads: CPU threads torch may use while fitting (1, the default, is 2-3x faster than 2
    for networks this small on a 2-core CPU; None keeps torch's setting).
    After ``fit``, ``history`` has one entry per stage: "step" (the stage), "train_loss" (its final mean squared
    error on its scaled residue), "error" (relative L2 of the sum so far on the training data), "held_out_error"
    (the same on the held-out points passed to ``fit``, e.g. between the training points; empty without them),
    "eps", "kappa", "frequency" (dominant frequency of the residue, cycles per unit of h), "loss_curve" (per Adam
    step, then per L-BFGS function evaluation) and "stage_seconds"; "seconds" is the total and "threads" the torch
    CPU threads used.
    """

    def __init__(self, widths=(20, 20, 30, 30), depth=3, n_iter=2000, lbfgs_iter=4000, lr=1e-3, seed=0,
                 device="cpu", threads=1, progress=False):
        self.widths = tuple(check_positive(w, "widths[i]", integer=True) for w in widths)
        if not self.widths:
            raise ValueError("widths must list at least one stage width")
        self.depth = check_positive(depth, "depth", integer=True)
        self.n_iter = check_positive(n_iter, "n_iter", integer=True)
        self.lbfgs_iter = check_positive(lbfgs_iter, "lbfgs_iter", integer=True)
        self.lr = check_positive(lr, "lr")
        self.seed, self.device, self.progress = seed, get_device(device), progress
        self.threads = None if threads is None else check_positive(threads, "threads", integer=True)

    def _to_h(self, x):
        return torch.tensor(2 * (x - self.lo) / (self.hi - self.lo) - 1, dtype=torch.float64, device=self.device)

    def fit(self, x, y, n_stages=None, grid_shape=None, x_held_out=None, y_held_out=None):
        """Fit y (n, k) at points x (n, d) with n_stages stages (default: one per entry of ``widths``); returns self.

        The residue's dominant frequency is read by FFT, so x must be a uniform grid: sorted 1-D points, or, for
        d > 1, points ordered like ``np.meshgrid(..., indexing="ij")`` with ``grid_shape`` giving the grid's shape.
        x_held_out (m, d), y_held_out (m, k): points the stages never train on (say, between the training points);
        their relative error after each stage goes to history["held_out_error"].
        """
        x = as_float_array(x, "x", ndim=2)
        y = as_float_array(y, "y", ndim=2)
        check_same_rows(x, y, "x", "y")
        held_out = self._check_held_out(x_held_out, y_held_out, x.shape[1], y.shape[1])
        n_stages = len(self.widths) if n_stages is None else check_positive(n_stages, "n_stages", integer=True)
        if n_stages > len(self.widths):
            raise ValueError(f"n_stages must be at most len(widths) = {len(self.widths)}; got {n_stages}")
        grid_shape = self._check_grid(x, grid_shape)
        self.lo, self.hi = x.min(axis=0), x.max(axis=0)
        if np.any(self.hi <= self.lo):
            raise ValueError("x must span a range in every dimension")
        self.stages = []  # (network, eps)
        self.history = new_history("error", "held_out_error", "eps", "kappa", "frequency", "loss_curve",
                                   "stage_seconds")
        limit = self.threads is not None and self.device.type == "cpu"
        with torch_threads(self.threads) if limit else nullcontext():
            self.history["threads"] = torch.get_num_threads()
            self._fit_stages(x, y, n_stages, grid_shape, held_out)
        self.history["best_step"] = n_stages - 1
        self.history["seconds"] = float(np.sum(self.history["stage_seconds"]))
        return self

    def _fit_stages(self, x, y, n_stages, grid_shape, held_out):
        h = self._to_h(x)
        prediction, y_norm = np.zeros_like(y), np.linalg.norm(y)
        if held_out is not None:
            x_ho, y_ho = held_out
            h_ho, held_out_prediction = self._to_h(x_ho), np.zeros_like(y_ho)
        for stage in range(n_stages):
            start = time.perf_counter()
            residue = y - prediction
            eps = float(np.sqrt(np.mean(residue**2)))
            width = self.widths[stage]
            if stage == 0:
                freq, kappa = 0.0, 1.0
            else:
                freq = dominant_frequency(residue[:, 0].reshape(grid_shape), length=2.0)
                kappa = kappa_for_frequency(max(freq, 0.5), x.shape[1], width)
            with seeded(self.seed + stage):
                first = None if stage == 0 else SineLayer(x.shape[1], width, kappa)
                net = mlp(x.shape[1], y.shape[1], width, self.depth, "tanh", first_layer=first,
                          dtype=torch.float64).to(self.device)
            target = torch.tensor(residue / eps, dtype=torch.float64, device=self.device)
            losses, final_loss = self._train(net, h, target)
            self.stages.append((net, eps))
            with torch.no_grad():
                prediction = prediction + eps * net(h).cpu().numpy()
            record(self.history, stage, final_loss, error=np.linalg.norm(y - prediction) / y_norm, eps=eps,
                   kappa=kappa, frequency=freq, loss_curve=losses, stage_seconds=time.perf_counter() - start)
            if held_out is not None:
                with torch.no_grad():
                    held_out_prediction = held_out_prediction + eps * net(h_ho).cpu().numpy()
                self.history["held_out_error"].append(np.linalg.norm(y_ho - held_out_prediction) / np.linalg.norm(y_ho))
            if self.progress:
                print(f"stage {stage}: relative error {self.history['error'][-1]:.2e}, eps {eps:.2e}, "
                      f"kappa {kappa:.1f} ({self.history['stage_seconds'][-1]:.1f} s)")

    @staticmethod
    def _check_held_out(x_held_out, y_held_out, d, k):
        """(x_held_out (m, d), y_held_out (m, k)) checked, or None when neither is given."""
        if x_held_out is None and y_held_out is None:
            return None
        if x_held_out is None or y_held_out is None:
            raise ValueError("x_held_out and y_held_out go together: pass both or neither")
        x_held_out = as_float_array(x_held_out, "x_held_out", ndim=2)
        y_held_out = as_float_array(y_held_out, "y_held_out", ndim=2)
        check_same_rows(x_held_out, y_held_out, "x_held_out", "y_held_out")
        if x_held_out.shape[1] != d or y_held_out.shape[1] != k:
            raise ValueError(f"x_held_out and y_held_out must have {d} and {k} columns like x and y; got "
                             f"{x_held_out.shape[1]} and {y_held_out.shape[1]}")
        if not np.any(y_held_out):
            raise ValueError("y_held_out must not be all zeros (the error is relative to its norm)")
        return x_held_out, y_held_out

    def _check_grid(self, x, grid_shape):
        n, d = x.shape
        if grid_shape is None:
            if d != 1:
                raise ValueError(f"x has {d} dimensions: pass grid_shape, the shape of the grid its points form")
            steps = np.diff(x[:, 0])
            if not np.allclose(steps, steps[0], rtol=1e-6) or steps[0] <= 0:
                raise ValueError("x must be sorted, equally spaced points (the residue's spectrum is read by FFT)")
            return (n,)
        grid_shape = tuple(int(s) for s in grid_shape)
        if len(grid_shape) != d or int(np.prod(grid_shape)) != n:
            raise ValueError(f"grid_shape must have {d} entries whose product is {n}; got {grid_shape}")
        return grid_shape

    def _train(self, net, h, target):
        losses = train_full_batch(net, h, target, self.n_iter, self.lr)

        def loss_fn(model):
            loss = torch.mean((model(h) - target) ** 2)
            losses.append(float(loss.detach()))
            return loss

        final = lbfgs(net, loss_fn, self.lbfgs_iter)
        return np.array(losses), final

    def predict(self, x, n_stages=None):
        """Sum of the first n_stages stages (all by default) at x of shape (n, d); returns (n, k)."""
        check_fitted(self, "stages")
        x = as_float_array(x, "x", ndim=2)
        if x.shape[1] != len(self.lo):
            raise ValueError(f"x must have shape (n, {len(self.lo)}); got {x.shape}")
        n_stages = len(self.stages) if n_stages is None else n_stages
        if not 1 <= n_stages <= len(self.stages):
            raise ValueError(f"n_stages must be in [1, {len(self.stages)}]; got {n_stages}")
        h = self._to_h(x)
        with torch.no_grad():
            return sum(eps * net(h).cpu().numpy() for net, eps in self.stages[:n_stages])
