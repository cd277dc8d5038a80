"""Scores for surrogates and calibration, on numpy arrays shaped (n_samples, n_outputs)."""
from __future__ import annotations

import numpy as np

from ..core.scaling import Standardizer
from ..core.validation import as_float_array, check_fraction, check_positive


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


def mmd(x, y, scales=(0.2, 0.5, 0.9, 1.3)):
    """Squared maximum mean discrepancy between samples x (n, d) and y (m, d) with a sum of inverse multiquadric
    kernels k(a, b) = h^2 / (h^2 + ||a - b||^2), one per h in ``scales`` (biased V-statistic, >= 0).

    Torch in, torch out (differentiable, as a training loss); numpy arrays are converted.
    """
    import torch

    x, y = torch.as_tensor(x), torch.as_tensor(y)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must be (n, d) and (m, d) with the same d; got {tuple(x.shape)} and "
                         f"{tuple(y.shape)}")
    y = y.to(x)

    def mean_kernel(a, b):
        d2 = torch.cdist(a, b) ** 2
        return sum((h**2 / (h**2 + d2)).mean() for h in scales)

    return mean_kernel(x, x) + mean_kernel(y, y) - 2 * mean_kernel(x, y)


def marginal_w1(x, y):
    """Wasserstein-1 distance between the empirical marginals of x (n, d) and y (m, d), per dimension (d,)."""
    from scipy.stats import wasserstein_distance

    x = as_float_array(x, "x", ndim=2)
    y = as_float_array(y, "y", ndim=2)
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must have the same number of columns; got {x.shape[1]} and {y.shape[1]}")
    return np.array([wasserstein_distance(x[:, k], y[:, k]) for k in range(x.shape[1])])


def c2st(reference, samples, n_folds=5, seed=1, n_iter=500):
    """Classifier two-sample test: the k-fold cross-validated accuracy of an MLP (two hidden layers of 10 d ReLU
    units, Adam) telling ``reference`` (n, d) from ``samples`` (n, d), both z-scored with the reference's mean and
    sd. 0.5: indistinguishable; 1.0: fully separable. (sbibm's recipe, with a torch classifier.)"""
    import torch

    from ..core.nets import mlp
    from ..core.runtime import seeded

    reference = as_float_array(reference, "reference", ndim=2)
    samples = as_float_array(samples, "samples", ndim=2)
    if reference.shape[1] != samples.shape[1]:
        raise ValueError(f"reference and samples must have the same number of columns; got {reference.shape[1]} "
                         f"and {samples.shape[1]}")
    if len(reference) != len(samples):
        raise ValueError(f"reference and samples must have the same number of rows (with unequal classes a "
                         f"classifier that always answers the larger one beats 0.5); got {len(reference)} and "
                         f"{len(samples)}: subsample the larger set")
    check_positive(n_folds, "n_folds", integer=True)
    data = torch.as_tensor(Standardizer(reference)(np.vstack([reference, samples])), dtype=torch.float32)
    labels = torch.cat([torch.zeros(len(reference)), torch.ones(len(samples))])
    folds = np.array_split(np.random.default_rng(seed).permutation(len(data)), n_folds)
    d = data.shape[1]
    accuracies = []
    for k, test in enumerate(folds):
        train = np.concatenate([f for j, f in enumerate(folds) if j != k])
        with seeded(seed + k):
            clf = mlp(d, 1, width=10 * d, depth=2, activation="relu")
        opt = torch.optim.Adam(clf.parameters(), lr=1e-2)
        for _ in range(n_iter):
            loss = torch.nn.functional.binary_cross_entropy_with_logits(clf(data[train])[:, 0], labels[train])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        with torch.no_grad():
            predicted = clf(data[test])[:, 0] > 0
        accuracies.append(float((predicted == labels[test].bool()).float().mean()))
    return float(np.mean(accuracies))


def _truths_and_draws(truths, posterior_samples):
    truths = as_float_array(truths, "truths", ndim=2)
    posterior_samples = as_float_array(posterior_samples, "posterior_samples", ndim=3)
    if posterior_samples.shape[0] != truths.shape[0] or posterior_samples.shape[2] != truths.shape[1]:
        raise ValueError(f"posterior_samples must be (m, L, d) = ({truths.shape[0]}, L, {truths.shape[1]}) to "
                         f"match truths; got {posterior_samples.shape}")
    return truths, posterior_samples


def sbc_ranks(truths, posterior_samples):
    """Simulation-based calibration ranks: for each of m truths (m, d) the number of its posterior draws
    (m, L, d) below it, (m, d) in 0..L; uniform when the posteriors are calibrated."""
    truths, posterior_samples = _truths_and_draws(truths, posterior_samples)
    return (posterior_samples < truths[:, None, :]).sum(axis=1)


def interval_coverage(truths, posterior_samples, level=0.95):
    """Fraction of truths (m, d) inside the central ``level`` credible interval of their posterior draws
    (m, L, d), per dimension (d,)."""
    truths, posterior_samples = _truths_and_draws(truths, posterior_samples)
    check_fraction(level, "level", include_zero=False)
    lo, hi = np.quantile(posterior_samples, [(1 - level) / 2, (1 + level) / 2], axis=1)
    return np.mean((truths >= lo) & (truths <= hi), axis=0)
