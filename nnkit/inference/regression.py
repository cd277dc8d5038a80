"""What the two regressors of lesson 09 share: the predictive result, the train/validation split, and a base class
that checks and z-scores the data and turns inputs into tensors on the regressor's device."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.nets import to_tensor
from ..core.scaling import Standardizer
from ..core.training import check_fitted
from ..core.validation import as_float_array, check_regression_data


@dataclass
class Prediction:
    """Predictive mean and variances, each (n, k) in the units of y: variance = aleatoric + epistemic."""

    mean: np.ndarray
    variance: np.ndarray
    aleatoric: np.ndarray
    epistemic: np.ndarray

    @property
    def std(self):
        return np.sqrt(self.variance)


def split_validation(n, val_fraction, min_val, rng):
    """Shuffled (train, validation) row indices; no validation rows when fewer than ``min_val`` would be held out."""
    order = rng.permutation(n)
    n_val = int(round(n * val_fraction))
    n_val = n_val if n_val >= min_val and n - n_val >= 2 else 0
    return order[n_val:], order[:n_val]


class Regressor:
    """Base of the regressors: ``prepare`` fits the z-scores of x (n, d) and y (n, k), ``inputs`` checks new x."""

    def prepare(self, x, y):
        """z-scored x (n, d) and y (n, k) of checked training data (y may be (n,)); sets the scales."""
        x, y = check_regression_data(x, y)
        self.x_scale, self.y_scale = Standardizer(x), Standardizer(y)
        self.n_inputs, self.n_outputs = x.shape[1], y.shape[1]
        return self.x_scale(x), self.y_scale(y)

    def inputs(self, x):
        """New inputs x (n, d) in training units as a z-scored float32 tensor on the device."""
        check_fitted(self, "x_scale")
        x = as_float_array(x, "x", ndim=2)
        if x.shape[1] != self.n_inputs:
            raise ValueError(f"x must have {self.n_inputs} columns like the training inputs; got {x.shape[1]}")
        return to_tensor(self.x_scale(x), self.device)

    @property
    def n_network_parameters(self):
        """Weights and biases of the fitted network (of one particle, for the BNN)."""
        return self.hidden * (self.n_inputs + 1) + self.n_outputs * (self.hidden + 1)
