"""Self-checks for lessons 07-12 (MCMC, SVGD, BNN surrogates, invertible networks, DBUQ, calibration)."""
from __future__ import annotations

import numpy as np
import torch

from ...core.runtime import seeded
from ...core.scaling import BoxTransform
from ...inference.bnn import log_posterior_terms, predictive_moments, settled_gamma
from ...inference.dbuq import Schedule, mc_score, rk4_step
from ...inference.diagnostics import autocovariance, split_chains, split_rhat
from ...inference.metrics import mmd
from ...inference.posteriors import SurrogatePosterior
from ...inference.svgd import median_bandwidth, rbf_kernel, svgd_direction
from ...problems.densities import banana_log_prob
from . import compare


def _metropolis_step(x, logp, proposal, logp_proposal, u):
    """Each chain moves to its proposal when log u < logp_proposal - logp: (x (c, d), logp (c,)) after the step."""
    accept = np.log(u) < logp_proposal - logp
    return np.where(accept[:, None], proposal, x), np.where(accept, logp_proposal, logp)


def _reference_random_walk_metropolis(log_density, x0, n_steps, step_size, seed):
    rng = np.random.default_rng(seed)
    x, logp = x0.copy(), log_density(x0)
    draws, accepted = np.empty((n_steps, *x0.shape)), 0
    for t in range(n_steps):
        proposal = x + step_size * rng.standard_normal(x.shape)
        moved, logp = _metropolis_step(x, logp, proposal, log_density(proposal), rng.uniform(size=len(x)))
        accepted += np.any(moved != x, axis=1).sum()
        draws[t] = x = moved
    return draws, accepted / (n_steps * len(x0))


def check_random_walk_metropolis(fn):
    """fn(log_density, x0, n_steps, step_size, seed) -> (draws (n_steps, c, d), acceptance rate) for c chains
    started at x0 (c, d); log_density maps (c, d) to (c,). One generator rng = np.random.default_rng(seed); in
    every step first the proposal x + step_size * rng.standard_normal((c, d)), then u = rng.uniform(size=c), and
    a chain moves when log u < log p(proposal) - log p(x). draws[t] is every chain's point after step t."""
    rng = np.random.default_rng(21)
    cases = [(banana_log_prob, rng.normal(size=(c, 2)), n_steps, step, seed)   # plain arithmetic: numpy in, out
             for c, n_steps, step, seed in ((1, 5, 0.5, 0), (4, 30, 1.0, 1), (8, 200, 2.5, 2))]
    return compare("random_walk_metropolis", fn, cases, _reference_random_walk_metropolis,
                   ("draws", "acceptance rate"))


def check_split_r_hat(fn):
    """fn(draws) -> float: split-R-hat of one quantity's draws (n, m), m chains of n draws (n even): every chain
    cut into halves (2m chains of n / 2), W the mean of their variances (ddof 1), B / n' the variance (ddof 1) of
    their means, R-hat = sqrt(((n' - 1) / n' W + B / n') / W) with n' = n / 2."""
    rng = np.random.default_rng(22)
    cases = [(rng.normal(size=(4, 1)),), (rng.normal(size=(50, 3)) + [0.0, 0.3, 1.0],),
             (np.cumsum(rng.normal(size=(400, 4)), axis=0),)]
    return compare("split_r_hat", fn, cases, lambda draws: (float(split_rhat(split_chains(draws))[0]),),
                   ("split-R-hat",))


def check_autocorrelation(fn):
    """fn(x) -> rho (n,): the autocorrelation of one chain x (n,) at lags 0..n-1, the sum over t of
    (x_t - mean)(x_t+k - mean) divided by the same sum at lag 0 (both over n, not n - k)."""
    rng = np.random.default_rng(23)
    ar = np.zeros(500)
    for t in range(1, 500):
        ar[t] = 0.9 * ar[t - 1] + rng.normal()
    cases = [(rng.normal(size=3),), (rng.normal(size=40) + 5.0,), (ar,)]

    def reference(x):
        acov = autocovariance(x[:, None])[:, 0]
        return (acov / acov[0],)

    return compare("autocorrelation", fn, cases, reference, ("rho",))


def check_repulsive_term(fn):
    """fn(x, h) -> 1/n sum_j grad_{x_j} k(x_j, x_i) for k(x, y) = exp(-||x - y||^2 / h), x of shape (n, d)."""
    rng = np.random.default_rng(7)
    cases = [(rng.normal(size=(n, d)), h) for n, d, h in ((1, 2, 1.0), (5, 2, 0.5), (30, 3, 2.0))]
    return compare("repulsive_term", fn, cases,
                   lambda x, h: ((rbf_kernel(torch.tensor(x), h)[1] / len(x)).numpy(),), ("repulsive term",))


def check_svgd_step(fn):
    """fn(x, scores, h, step) -> x + step * phi(x) for particles x (n, d), their scores grad log p (n, d), the RBF
    bandwidth h and a step size; numpy. phi is ``nnkit.inference.svgd.svgd_direction``."""
    rng = np.random.default_rng(12)
    cases = [(rng.normal(size=(n, d)), rng.normal(size=(n, d)), h, step)
             for n, d, h, step in ((1, 2, 1.0, 0.1), (6, 2, 0.7, 0.5), (25, 3, 2.0, 0.05))]

    def reference(x, scores, h, step):
        phi = svgd_direction(torch.tensor(x), torch.tensor(scores), h)[0].numpy()
        return (x + step * phi,)

    return compare("svgd_step", fn, cases, reference, ("particles after the step",))


def _median_direction(x, scores):
    """phi for particles and scores (numpy (n, d)) with the median bandwidth, as the kit's SVGD uses it."""
    x = torch.tensor(x)
    return svgd_direction(x, torch.tensor(scores), median_bandwidth(x))[0].numpy()


def check_particle_loop(fn):
    """fn(x0, score_fn, step, n_iter, direction) -> particles (n, d) after n_iter plain steps x <- x + step * phi,
    with scores = score_fn(x) and phi = direction(x, scores) recomputed for all particles at once in every step."""
    rng = np.random.default_rng(13)
    centre = np.array([1.0, -0.5])
    cases = [(rng.normal(size=(n, 2)), lambda x: centre - x, step, n_iter, _median_direction)
             for n, step, n_iter in ((1, 0.1, 3), (8, 0.3, 10), (30, 0.2, 25))]

    def reference(x0, score_fn, step, n_iter, direction):
        x = x0.copy()
        for _ in range(n_iter):
            x = x + step * direction(x, score_fn(x))
        return (x,)

    return compare("particle_loop", fn, cases, reference, ("particles",))


def check_bnn_log_posterior(fn):
    """fn(pred, y, w, log_gamma, log_lambda, a0, b0) -> float: one particle's log posterior up to a constant, for
    outputs pred (n, k), targets y (n, k), all weights w (P,), log_gamma (k,), log_lambda (float); numpy. See
    ``nnkit.inference.bnn.log_posterior_terms``."""
    rng = np.random.default_rng(14)
    cases = [(rng.normal(size=(n, k)), rng.normal(size=(n, k)), rng.normal(size=p), rng.normal(size=k),
              float(rng.normal()), a0, b0) for n, k, p, a0, b0 in ((1, 1, 3, 1.0, 0.1), (8, 2, 20, 2.0, 0.5),
                                                                  (50, 3, 200, 1.0, 0.1))]

    def reference(pred, y, w, log_gamma, log_lambda, a0, b0):
        as_t = lambda a: torch.as_tensor(a)[None]  # noqa: E731  (one particle)
        return (float(log_posterior_terms(as_t(pred), torch.as_tensor(y), as_t(w), as_t(log_gamma),
                                          torch.tensor([log_lambda]), a0, b0)[0]),)

    return compare("bnn_log_posterior", fn, cases, reference, ("log posterior",))


def check_gamma_given_network(fn):
    """fn(sq_err, n, a0, b0) -> gamma (k,): the noise precision that maximises the log posterior over log gamma_k
    given a network with sums of squared errors sq_err (k,) over n rows; see ``bnn.settled_gamma``."""
    rng = np.random.default_rng(15)
    cases = [(rng.uniform(0.1, 50, size=k), n, a0, b0) for k, n, a0, b0 in ((1, 1, 1.0, 0.1), (3, 40, 2.0, 0.5),
                                                                            (15, 500, 1.0, 0.1))]
    return compare("gamma_given_network", fn, cases, lambda *a: (settled_gamma(*a),), ("gamma",))


def check_predictive_moments(fn):
    """fn(f, noise_var) -> (mean, aleatoric, epistemic) (n, k) for particle outputs f (S, n, k) and noise
    variances noise_var (S, k)."""
    rng = np.random.default_rng(8)
    cases = [(rng.normal(size=(s, n, k)), rng.uniform(0.1, 2, size=(s, k))) for s, n, k in ((1, 3, 1), (5, 4, 2),
                                                                                           (20, 7, 15))]
    return compare("predictive_moments", fn, cases, predictive_moments, ("mean", "aleatoric", "epistemic"))


def coupling_inverse(v, s, t):
    """Inverse of the coupling v1 = u1, v2 = u2 * exp(s(u1)) + t(u1), halves split at d // 2."""
    d1 = v.shape[1] // 2
    v1, v2 = v[:, :d1], v[:, d1:]
    return np.hstack([v1, (v2 - t(v1)) * np.exp(-s(v1))])


def check_coupling_inverse(fn):
    """fn(v, s, t) -> u (n, d) inverting v1 = u1, v2 = u2 * exp(s(u1)) + t(u1) (first half d // 2 columns), for
    any functions s, t mapping (n, d // 2) to (n, d - d // 2)."""
    return compare("coupling_inverse", fn, _coupling_cases(9), lambda v, s, t: (coupling_inverse(v, s, t),), ("u",))


def _coupling_cases(seed):
    rng = np.random.default_rng(seed)
    cases = []
    for n, d in ((1, 2), (4, 3), (10, 6)):
        d1 = d // 2
        a, c = rng.normal(size=(d1, d - d1)), rng.normal(size=(d1, d - d1))
        cases.append((rng.normal(size=(n, d)), lambda u, a=a: np.tanh(u @ a), lambda u, c=c: np.sin(u @ c) + 0.5))
    return cases


def check_coupling_forward(fn):
    """fn(u, s, t) -> (v (n, d), log|det J| (n,)) for v1 = u1, v2 = u2 * exp(s(u1)) + t(u1), first half d // 2."""
    def reference(u, s, t):
        d1 = u.shape[1] // 2
        u1, u2 = u[:, :d1], u[:, d1:]
        return np.hstack([u1, u2 * np.exp(s(u1)) + t(u1)]), s(u1).sum(axis=1)

    return compare("coupling_forward", fn, _coupling_cases(16), reference, ("v", "log|det J|"))


def check_mmd_squared(fn):
    """fn(a, b, scales) -> float: the biased squared MMD between samples a (n, d) and b (m, d) with the sum of
    inverse multiquadric kernels h^2 / (h^2 + ||x - y||^2) over h in scales; see ``metrics.mmd``."""
    rng = np.random.default_rng(17)
    cases = [(rng.normal(size=(n, d)), rng.normal(loc=shift, size=(m, d)), scales)
             for n, m, d, shift, scales in ((1, 2, 1, 0.5, (1.0,)), (20, 30, 2, 0.3, (0.2, 0.5, 0.9, 1.3)),
                                            (50, 40, 3, 1.0, (0.5, 2.0)))]
    return compare("mmd_squared", fn, cases, lambda a, b, scales: (float(mmd(a, b, scales)),), ("MMD^2",))


def _mc_score_reference(z, t, x_prior, log_k, eps):
    x_near = torch.as_tensor(x_prior).expand(len(z), *x_prior.shape)
    log_k = torch.as_tensor(log_k).expand(len(z), len(log_k))
    return (mc_score(torch.as_tensor(z), t, x_near, log_k, Schedule(eps)).numpy(),)


def check_mc_score(fn):
    """fn(z, t, x_prior, log_k, eps) -> S (n, d): the Monte Carlo score at points z (n, d) and time t for prior runs
    x_prior (J, d) with kernel log weights log_k (J,), under alpha_t = 1 - (1 - eps) t, beta_t^2 = eps + (1 - eps) t.
    The last case, at t = 1e-4 in 4 dimensions, underflows every exp unless the softmax subtracts its maximum first."""
    rng = np.random.default_rng(10)
    cases = [(rng.normal(size=(n, d)), t, rng.uniform(-2, 2, size=(j, d)), rng.normal(scale=3, size=j), eps)
             for n, d, j, t, eps in ((1, 1, 5, 0.5, 1e-4), (6, 2, 40, 0.9, 1e-2), (8, 3, 100, 0.1, 1e-3),
                                     (5, 4, 50, 1e-4, 1e-4))]
    return compare("mc_score", fn, cases, _mc_score_reference, ("S",))


def check_rk4_step(fn):
    """fn(z, t, dt, velocity) -> z after one classical Runge-Kutta step of dz/dt = velocity(z, t) from time t to
    t + dt (dt may be negative, as in the reverse ODE); z (n, d) numpy. See ``nnkit.inference.dbuq.rk4_step``."""
    rng = np.random.default_rng(18)
    velocities = (lambda z, t: -z * (1 + t), lambda z, t: np.sin(z) + t**2, lambda z, t: (1 - t) * z**2 - z)
    cases = [(rng.normal(size=(n, d)), t, dt, v) for (n, d, t, dt), v in zip(((1, 1, 1.0, -0.1), (5, 2, 0.5, -0.05),
                                                                              (8, 3, 0.2, 0.1)), velocities)]
    return compare("rk4_step", fn, cases, lambda *a: (rk4_step(*a),), ("z after the step",))


def _generator_case(seed, n, n_iter, batch):
    rng = np.random.default_rng(seed)
    y, z = rng.normal(size=(n, 1)), rng.normal(size=(n, 1))
    x = np.where(z > 0, 1.0, -1.0) * np.sqrt(np.abs(y) + 1) + 0.1 * z
    with seeded(seed):
        net = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1)).double()
    return net, torch.tensor(y), torch.tensor(z), torch.tensor(x), n_iter, 1e-2, batch, seed


def _reference_fit_generator(net, y, z, x, n_iter, lr, batch_size, seed):
    inputs = torch.cat([y, z], dim=1)
    opt, gen = torch.optim.Adam(net.parameters(), lr=lr), torch.Generator().manual_seed(seed)
    for _ in range(n_iter):
        rows = torch.randint(0, len(x), (batch_size,), generator=gen)
        opt.zero_grad()
        ((net(inputs[rows]) - x[rows]) ** 2).mean().backward()
        opt.step()
    return net


def check_fit_generator(fn):
    """fn(net, y, z, x, n_iter, lr, batch_size, seed) -> net trained by Adam on mean((net([y, z]) - x)^2) over
    mini-batches of rows drawn by torch.randint(0, n, (batch_size,), generator=torch.Generator().manual_seed(seed))
    (one generator, one draw per step); tensors y, z (n, 1), x (n, 1)."""
    cases = [(1, 8, 3, 4), (2, 64, 20, 16), (3, 200, 40, 32)]
    probe = torch.linspace(-2, 2, 9, dtype=torch.float64)[:, None]

    def run(fit, seed, n, n_iter, batch):
        trained = fit(*_generator_case(seed, n, n_iter, batch))
        with torch.no_grad():
            return (trained(torch.cat([probe, probe.flip(0)], dim=1)).numpy(),)

    return compare("fit_generator", lambda *a: run(fn, *a), cases, lambda *a: run(_reference_fit_generator, *a),
                   ("generator output after training",))


class _FixedPrediction:
    """A stand-in surrogate whose predictive mean and variance are given, for ``SurrogatePosterior``."""

    def __init__(self, mean, var):
        self.mean, self.var = torch.as_tensor(mean), torch.as_tensor(var)
        self.n_inputs, self.n_outputs = 1, self.mean.shape[1]

    def predictive_tensors(self, x):
        return self.mean, self.var


def check_surrogate_log_likelihood(fn):
    """fn(mean, var, y_obs, noise_sd) -> (n,): log N(y_obs; mean, noise_sd^2 + var) up to a constant, summed over
    the k outputs, for the surrogate's predictive mean and variance (n, k) at n parameter points; see
    ``nnkit.inference.posteriors.SurrogatePosterior``."""
    rng = np.random.default_rng(19)
    cases = [(rng.normal(size=(n, k)), rng.uniform(0.01, 2, size=(n, k)), rng.normal(size=k), noise)
             for n, k, noise in ((1, 1, np.array([1.5])), (4, 5, np.full(5, 1.5)), (9, 3, np.array([0.5, 1.0, 2.0])))]

    def reference(mean, var, y_obs, noise_sd):
        posterior = SurrogatePosterior(_FixedPrediction(mean, var), noise_sd, BoxTransform(np.zeros(1), np.ones(1)))
        return (posterior.log_likelihood(torch.zeros(len(mean), 1), torch.as_tensor(y_obs)).numpy(),)

    return compare("surrogate_log_likelihood", fn, cases, reference, ("log likelihood",))


def check_metropolis_step(fn):
    """fn(x, logp, proposal, logp_proposal, u) -> (x_new, logp_new) for chains x (c, d) with log densities logp (c,),
    proposals (c, d) with theirs, and uniforms u (c,): a chain moves to its proposal when log u < logp_proposal -
    logp and stays otherwise, keeping the log density of where it is."""
    rng = np.random.default_rng(20)
    cases = []
    for c, d in ((1, 1), (6, 2), (40, 3)):
        logp = rng.normal(size=c)
        cases.append((rng.normal(size=(c, d)), logp, rng.normal(size=(c, d)), logp + rng.normal(size=c),
                      rng.uniform(size=c)))

    return compare("metropolis_step", fn, cases, _metropolis_step, ("x after the step", "log p after the step"))


def check_logit_prior(fn):
    """fn(w) -> (n,): log density on w = logit(u) (n, d) of the uniform prior u ~ U[0, 1]^d, that is
    sum_i log(sigmoid(w_i) (1 - sigmoid(w_i))). The last case has |w| up to 800, where 1 + exp(w) overflows."""
    rng = np.random.default_rng(11)
    cases = [(rng.normal(scale=s, size=(n, d)),) for n, d, s in ((1, 1, 1.0), (5, 3, 4.0), (10, 8, 300.0))]

    def reference(w):
        box = BoxTransform(np.zeros(w.shape[1]), np.ones(w.shape[1]))
        return (box.log_prior_unbounded(torch.as_tensor(w)).numpy(),)

    return compare("logit_prior", fn, cases, reference, ("log density",))

