"""Scores for surrogates and calibration, on numpy arrays shaped (n_samples, n_outputs). The calibration checks of
posteriors over many observations (SBC ranks, ECDF bands, interval coverage) are in ``sbc``."""
from __future__ import annotations

import numpy as np

from ..core.scaling import Standardizer
from ..core.validation import as_float_array, check_positive


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


def c2st(reference, samples, n_folds=5, seed=1, max_epochs=500, patience=10):
    """Classifier two-sample test (the recipe of sbibm): the k-fold cross-validated accuracy of an MLP (two hidden
    layers of 10 d ReLU units) telling ``reference`` (n, d) from ``samples`` (n, d), both z-scored with the
    reference's mean and sd. 0.5: indistinguishable; 1.0: fully separable.

    Each fold's classifier trains to convergence: Adam (learning rate 1e-3, L2 1e-4) on mini-batches of 200, for
    up to ``max_epochs`` epochs, stopping once the loss on a held-out tenth of the training folds has not fallen
    for ``patience`` epochs, and keeping the weights where it was lowest. Within 0.02 of scikit-learn's
    MLPClassifier as sbibm runs it on shifted Gaussians (tests/test_metrics.py), and 5-10x faster."""
    import torch

    from ..core.nets import mlp
    from ..core.runtime import seeded
    from ..core.training import KeepBest

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
    check_positive(max_epochs, "max_epochs", integer=True)
    check_positive(patience, "patience", integer=True)
    data = torch.as_tensor(Standardizer(reference)(np.vstack([reference, samples])), dtype=torch.float32)
    labels = torch.cat([torch.zeros(len(reference)), torch.ones(len(samples))])
    rng = np.random.default_rng(seed)
    folds = np.array_split(rng.permutation(len(data)), n_folds)
    d = data.shape[1]
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    accuracies = []
    for k, test in enumerate(folds):
        train = rng.permutation(np.concatenate([f for j, f in enumerate(folds) if j != k]))
        n_val = max(1, len(train) // 10)
        val, fit = torch.as_tensor(train[:n_val]), torch.as_tensor(train[n_val:])
        with seeded(seed + k):
            clf = mlp(d, 1, width=10 * d, depth=2, activation="relu")
        opt = torch.optim.Adam(clf.parameters(), lr=1e-3, weight_decay=1e-4)
        gen, best = torch.Generator().manual_seed(seed + k), KeepBest(clf)
        for epoch in range(max_epochs):
            for rows in fit[torch.randperm(len(fit), generator=gen)].split(200):
                loss = bce(clf(data[rows])[:, 0], labels[rows])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            with torch.no_grad():
                val_loss = float(bce(clf(data[val])[:, 0], labels[val]))
            if not best.update(val_loss, epoch) and best.waited >= patience:
                break
        best.restore()
        with torch.no_grad():
            predicted = clf(data[test])[:, 0] > 0
        accuracies.append(float((predicted == labels[test].bool()).float().mean()))
    return float(np.mean(accuracies))
