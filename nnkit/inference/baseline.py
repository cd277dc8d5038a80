"""The deterministic baseline of the BNN lesson: the same one-hidden-layer network, trained by full-batch Adam."""
from __future__ import annotations

import time

import numpy as np
import torch

from ..core.nets import ACTIVATIONS, mlp, to_tensor
from ..core.runtime import get_device, seeded
from ..core.training import KeepBest, new_history, progress as with_progress, record
from ..core.validation import check_choice, check_fraction, check_nonnegative, check_positive
from .regression import Regressor, split_validation


class MLPRegressor(Regressor):
    """One hidden layer of ``hidden`` units trained by full-batch Adam on the mean squared error (standardised
    units) for ``n_iter`` steps. With ``val_fraction`` > 0 that share of the rows is held out and the weights with
    the lowest validation error are kept (early stopping: training stops after ``patience`` steps without
    improvement). ``predict`` returns the mean (n, k)."""

    def __init__(self, hidden=50, n_iter=2000, lr=1e-2, activation="relu", weight_decay=0.0, val_fraction=0.0,
                 patience=200, seed=0, device="cpu", progress=False):
        self.hidden = check_positive(hidden, "hidden", integer=True)
        self.n_iter = check_positive(n_iter, "n_iter", integer=True)
        self.lr = check_positive(lr, "lr")
        self.activation = check_choice(activation, "activation", ACTIVATIONS)
        self.weight_decay = check_nonnegative(weight_decay, "weight_decay")
        self.val_fraction = check_fraction(val_fraction, "val_fraction")
        self.patience = check_positive(patience, "patience", integer=True)
        self.seed, self.device, self.progress = seed, get_device(device), progress

    def fit(self, x, y):
        """Train on x (n, d), y (n, k) or (n,); returns self. ``history`` has the losses of every step."""
        xs, ys = self.prepare(x, y)
        train, val = split_validation(xs.shape[0], self.val_fraction, 1, np.random.default_rng(self.seed))
        with seeded(self.seed):
            self.model = mlp(self.n_inputs, self.n_outputs, self.hidden, 1, self.activation).to(self.device)
        opt = torch.optim.Adam(self.model.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        x_train, y_train = to_tensor(xs[train], self.device), to_tensor(ys[train], self.device)
        x_val, y_val = to_tensor(xs[val], self.device), to_tensor(ys[val], self.device)
        self.history, best = new_history(), KeepBest(self.model)
        start = time.perf_counter()
        for it in with_progress(range(self.n_iter), "MLP", self.progress):
            loss = ((self.model(x_train) - y_train) ** 2).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            val_loss = None
            if val.size:
                with torch.no_grad():
                    val_loss = float(((self.model(x_val) - y_val) ** 2).mean())
            record(self.history, it, loss.item(), val_loss)
            if val_loss is not None and not best.update(val_loss, it) and best.waited >= self.patience:
                break
        kept = best.restore()
        self.history["best_step"] = self.history["step"][-1] if kept is None else kept
        self.history["seconds"] = time.perf_counter() - start
        return self

    def predict(self, x):
        """Predicted mean (n, k) in the units of y."""
        xt = self.inputs(x)
        with torch.no_grad():
            return self.y_scale.inverse(self.model(xt).double().cpu().numpy())
