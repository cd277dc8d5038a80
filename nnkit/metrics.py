"""Scores for surrogates and calibration, on numpy arrays shaped (n_samples, n_outputs)."""
from __future__ import annotations

import numpy as np

from .validation import as_float_array, check_positive


def _pair(y_true, y_pred):
    y_true = as_float_array(y_true, "y_true", ndim=(1, 2))
    y_pred = as_float_array(y_pred, "y_pred", ndim=(1, 2))
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same shape; got {y_true.shape} and {y_pred.shape}")
    return y_true, y_pred


def r2_score(y_true, y_pred):
    """Coefficient of determination per output: 1 - SSE / SST (k,) (a float for 1-D input). Can be negative."""
    y_true, y_pred = _pair(y_true, y_pred)
    sse = ((y_true - y_pred) ** 2).sum(axis=0)
    sst = ((y_true - y_true.mean(axis=0)) ** 2).sum(axis=0)
    return 1 - sse / np.where(sst > 0, sst, np.nan)


def rmse(y_true, y_pred):
    """Root mean squared error per output (k,)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return np.sqrt(((y_true - y_pred) ** 2).mean(axis=0))


def coverage(y_true, mean, std, n_sigma=2.0):
    """Fraction of y_true inside mean +- n_sigma * std, over all entries."""
    y_true, mean = _pair(y_true, mean)
    std = as_float_array(std, "std", ndim=(1, 2))
    if std.shape != mean.shape or np.any(std < 0):
        raise ValueError(f"std must be non-negative with the shape of mean {mean.shape}; got {std.shape}")
    check_positive(n_sigma, "n_sigma")
    return float(np.mean(np.abs(y_true - mean) <= n_sigma * std))
