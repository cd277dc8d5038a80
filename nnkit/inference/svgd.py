"""Stein variational gradient descent (Liu & Wang, NeurIPS 2016) for any differentiable log-density, in torch.

n particles x_i in R^d move along
    phi(x_i) = 1/n sum_j [ k(x_j, x_i) grad log p(x_j)  +  grad_{x_j} k(x_j, x_i) ]
                           (attractive: kernel-smoothed gradient)   (repulsive: keeps particles apart)
with the RBF kernel k(x, y) = exp(-||x - y||^2 / h). Bandwidth convention ("median"): h = med^2 / log(n), med the
median distance over the pairs i < j (the paper's rule, as in BlackJAX): a particle at the median distance then
weighs exp(-log n) = 1/n, so the n - 1 others together count about as much as the particle itself. All particles
are updated at once as (n, d) tensors; steps ascend phi with Adam. The 2-D densities the lesson samples live in
``nnkit.problems.densities``.
"""
from __future__ import annotations

import math

import torch

from ..core.training import progress as with_progress
from ..core.validation import check_positive


def median_bandwidth(x, distances=None):
    """h = median(||x_i - x_j||, i < j)^2 / log(n) for particles x (n, d); 1.0 when n < 2 or all coincide.

    distances: the (n, n) matrix of ||x_i - x_j|| when already at hand. The median averages the two middle
    distances when their count is even, as numpy's does.
    """
    n = x.shape[0]
    if n < 2:
        return 1.0
    distances = torch.cdist(x, x) if distances is None else distances
    i, j = torch.triu_indices(n, n, offset=1, device=x.device)
    pairs = distances[i, j]
    m = pairs.numel()  # two order statistics are much cheaper than torch.quantile's full sort
    med = 0.5 * (torch.kthvalue(pairs, (m + 1) // 2).values + torch.kthvalue(pairs, m // 2 + 1).values)
    h = float(med**2 / math.log(n))
    return h if h > 0 else 1.0


def rbf_kernel(x, bandwidth="median"):
    """Kernel matrix K_ij = exp(-||x_i - x_j||^2 / h) (n, n), the repulsive term sum_j grad_{x_j} k(x_j, x_i) (n, d),
    and h. bandwidth: "median" (see ``median_bandwidth``) or a positive number h.
    """
    distances = torch.cdist(x, x)
    h = median_bandwidth(x, distances) if bandwidth == "median" else float(check_positive(bandwidth, "bandwidth"))
    sq_dist = distances**2
    K = torch.exp(-sq_dist / h)
    repulsive = (2.0 / h) * (x * K.sum(dim=1, keepdim=True) - K @ x)  # sum_j (2/h)(x_i - x_j) k_ij
    return K, repulsive, h


def svgd_direction(x, grad_log_p, bandwidth="median"):
    """The SVGD update direction for particles x (n, d) with scores grad_log_p (n, d).

    Returns (phi, attractive, repulsive), each (n, d), with phi = attractive + repulsive.
    """
    K, repulsive, _ = rbf_kernel(x, bandwidth)
    n = x.shape[0]
    attractive = K @ grad_log_p / n
    repulsive = repulsive / n
    return attractive + repulsive, attractive, repulsive


def score(log_prob, x):
    """grad log p at particles x (n, d), for log_prob mapping (n, d) to (n,); returns (n, d), detached."""
    x = x.detach().requires_grad_(True)
    logp = log_prob(x)
    if logp.shape != (x.shape[0],):
        raise ValueError(f"log_prob must map particles (n, d) to shape (n,); got {tuple(logp.shape)} for n = "
                         f"{x.shape[0]}")
    (grad,) = torch.autograd.grad(logp.sum(), x)
    return grad.detach()


def svgd(log_prob, particles, n_iter=500, lr=1e-2, bandwidth="median", record_every=None, progress=False):
    """Move ``particles`` (n, d) towards p by n_iter SVGD steps with Adam (learning rate lr).

    log_prob: differentiable, (n, d) tensor -> (n,) log density up to a constant. Returns (particles, history):
    history["particles"] holds copies every ``record_every`` steps (first and last included) and history["step"]
    their step numbers.
    """
    particles = torch.as_tensor(particles)
    if particles.ndim != 2 or not particles.is_floating_point():
        raise ValueError(f"particles must be a floating-point tensor of shape (n, d); got {tuple(particles.shape)} "
                         f"{particles.dtype}")
    if not torch.all(torch.isfinite(particles)):
        raise ValueError("particles contain NaN or inf")
    check_positive(n_iter, "n_iter", integer=True)
    check_positive(lr, "lr")
    if bandwidth != "median":
        check_positive(bandwidth, "bandwidth")
    record_every = n_iter if record_every is None else check_positive(record_every, "record_every", integer=True)
    x = particles.detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=lr)
    history = {"step": [0], "particles": [x.detach().clone()]}
    for it in with_progress(range(1, n_iter + 1), "SVGD", progress):
        phi, _, _ = svgd_direction(x.detach(), score(log_prob, x), bandwidth)
        opt.zero_grad(set_to_none=True)
        x.grad = -phi  # Adam descends, SVGD ascends
        opt.step()
        if it % record_every == 0 or it == n_iter:
            history["step"].append(it)
            history["particles"].append(x.detach().clone())
    if not torch.all(torch.isfinite(x)):
        raise FloatingPointError(f"particles diverged; lower lr={lr}")
    return x.detach(), history
