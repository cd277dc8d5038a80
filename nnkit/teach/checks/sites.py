"""Self-checks for lesson 13 (many sites): the kernel weights over sites, interval coverage across sites, the
break-even number of sites of an amortised sampler and the maximum-likelihood loss of a conditional INN."""
from __future__ import annotations

import numpy as np
import torch

from ...inference.cinn import gaussian_flow_nll
from ...inference.dbuq import kernel_log_weights
from ...inference.sbc import interval_coverage
from . import compare


def check_site_kernel_weights(fn):
    """fn(c_runs, c_obs, bandwidth) -> (n,): normalised kernel weights of n runs whose conditioning vectors are
    c_runs (n, m) (a site's LH and descriptors side by side) for one target c_obs (m,), with kernel width h (m,):
    w_j proportional to exp(-sum_k (c_jk - c_obs,k)^2 / (2 h_k^2)), summing to 1. The last case has runs so far
    away that exp underflows to 0 unless the largest log weight is subtracted first."""
    rng = np.random.default_rng(23)
    cases = [(rng.normal(size=(n, m)) * scale, rng.normal(size=m) * scale, rng.uniform(0.5, 2.0, size=m))
             for n, m, scale in ((3, 1, 1.0), (50, 8, 2.0), (200, 8, 60.0))]

    def reference(c_runs, c_obs, bandwidth):
        log_w = kernel_log_weights(torch.as_tensor(c_obs)[None], torch.as_tensor(c_runs),
                                   torch.as_tensor(bandwidth))[0].numpy()
        w = np.exp(log_w - log_w.max())
        return (w / w.sum(),)

    return compare("site_kernel_weights", fn, cases, reference, ("weights",))


def check_coverage_across_sites(fn):
    """fn(truth, draws, level) -> (d,): the fraction of the m sites whose true parameter (truth (m, d)) lies in the
    central ``level`` interval of its posterior draws (m, n, d), bounds included: between the np.quantile of the
    draws at (1 - level) / 2 and at (1 + level) / 2."""
    rng = np.random.default_rng(24)
    cases = []
    for m, n, d, level in ((2, 5, 1, 0.5), (30, 40, 3, 0.8), (200, 100, 8, 0.95)):
        draws = rng.normal(size=(m, n, d))
        cases.append((rng.normal(scale=1.3, size=(m, d)), draws, level))
    return compare("coverage_across_sites", fn, cases,
                   lambda truth, draws, level: (interval_coverage(truth, draws, level),), ("coverage",))


def check_break_even_sites(fn):
    """fn(train_seconds, amortised_per_site, per_site) -> the smallest whole number of sites N >= 1 at which
    training once and then answering each site (train_seconds + N amortised_per_site) costs no more than a method
    that starts from scratch at each site (N per_site); inf when the amortised answer is not the faster one."""
    cases = [(100.0, 0.01, 5.0), (30.0, 0.5, 0.8), (0.0, 0.1, 1.0), (10.0, 2.0, 2.0), (7.0, 1.0, 3.0)]

    def reference(train_seconds, amortised_per_site, per_site):
        saving = per_site - amortised_per_site
        if saving <= 0:
            return (np.inf,)
        return (max(1.0, float(np.ceil(train_seconds / saving))),)

    return compare("break_even_sites", fn, cases, reference, ("break-even number of sites",))


def check_flow_nll(fn):
    """fn(z, log_det) -> float: the mean negative log-likelihood (nats per run) of n runs that a flow maps to
    z (n, d), with log |det dz/dx| (n,), when z ~ N(0, I): the mean of |z|^2 / 2 + (d / 2) log(2 pi) - log_det."""
    rng = np.random.default_rng(25)
    cases = [(rng.normal(size=(n, d)) * scale, rng.normal(size=n)) for n, d, scale in ((1, 1, 1.0), (7, 3, 2.0),
                                                                                       (100, 8, 0.5))]
    return compare("flow_nll", fn, cases,
                   lambda z, log_det: (float(gaussian_flow_nll(torch.as_tensor(z), torch.as_tensor(log_det))),),
                   ("negative log-likelihood",))
