"""Diffusion-based uncertainty quantification (DBUQ; Lu, Liu, Zhang, Bao & Zhang 2024): a training-free
conditional diffusion model turned into an amortised posterior sampler x = F(y, z), z ~ N(0, I).

Notation: parameters x (d), observations y (k), prior set {(x_j, y_j)}, j = 1..J, from model runs. Everything runs
on z-scored x and y. Forward SDE dZ = b(t) Z dt + sigma(t) dW on t in [0, 1] with Z_t | x ~ N(alpha_t x, beta_t^2 I),
    alpha_t = 1 - (1 - eps) t,  beta_t^2 = eps + (1 - eps) t,  b(t) = -(1 - eps) / alpha_t,
    sigma^2(t) = d(beta_t^2)/dt - 2 b(t) beta_t^2,
so Z_0 is x smoothed by N(0, eps I) and Z_1 ~ N(0, I). Given y0, Z_t is the Gaussian mixture
sum_j w_j N(alpha_t x_j, beta_t^2 I) with w_j proportional to the kernel K_h(y0 - y_j), whose exact score is the
Monte Carlo estimate (no score network)
    S(z, t | y0) = (alpha_t m(z, t) - z) / beta_t^2,   m = sum_j softmax_j(log K_j - |z - alpha_t x_j|^2 / 2 beta_t^2) x_j.
The reverse probability-flow ODE dz/dt = b z - sigma^2 S / 2 maps z ~ N(0, I) at t = 1 to x ~ p(x | y0) at t = 0;
with S inserted it simplifies to dz/dt = (1 - eps) [(z - alpha_t m) / (2 beta_t^2) - m], free of the large,
cancelling terms b and sigma^2 have near t = 1. Solving it (RK4) for M pairs (y_m, z_m) gives a labelled set
(x_m, y_m, z_m); a network F(y, z) fitted to it by regression then samples any new observation in one pass.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch

from ..core.nets import ACTIVATIONS, mlp, to_tensor
from ..core.runtime import check_seed, get_device, seeded
from ..core.scaling import BoxTransform, Standardizer
from ..core.training import KeepBest, check_fitted, new_history, progress as with_progress, record
from ..core.validation import (as_float_array, check_choice, check_fraction, check_nonnegative, check_observation,
                               check_per_output, check_positive, check_same_rows)


@dataclass(frozen=True)
class Schedule:
    """The eps-regularised linear schedule of the forward SDE; eps in (0, 1) is the variance of the N(0, eps I)
    smoothing of x at t = 0 (in z-scored units). Methods take t as a float or a tensor in [0, 1]."""

    eps: float = 1e-4

    def __post_init__(self):
        if not 0 < self.eps < 1:
            raise ValueError(f"eps must be in (0, 1); got {self.eps!r}")

    def alpha(self, t):
        return 1 - (1 - self.eps) * t

    def beta2(self, t):
        return self.eps + (1 - self.eps) * t

    def drift(self, t):
        """b(t) = d log alpha_t / dt."""
        return -(1 - self.eps) / self.alpha(t)

    def diffusion2(self, t):
        """sigma^2(t) = d beta_t^2 / dt - 2 b(t) beta_t^2."""
        return (1 - self.eps) - 2 * self.drift(t) * self.beta2(t)


def kernel_log_weights(y, y_prior, y_bandwidth):
    """log K_h(y_m - y_j) = -sum_k (y_mk - y_jk)^2 / (2 h_k^2) for y (m, k), y_prior (J, k), h (k,): (m, J)."""
    return -0.5 * torch.cdist(y / y_bandwidth, y_prior / y_bandwidth) ** 2


def kernel_ess(log_weights):
    """Effective number of prior samples behind each conditional, (sum w)^2 / sum w^2, for log weights (m, J)."""
    w = torch.softmax(log_weights, dim=1)
    return 1.0 / (w**2).sum(dim=1)


def posterior_mean_of_x0(z, t, x_near, log_k, schedule):
    """m(z, t) = E[x | Z_t = z, y]: the softmax-weighted mean of the prior samples (m, d).

    z (m, d); x_near (m, K, d): each point's Monte Carlo set of prior x; log_k (m, K): their kernel log weights.
    """
    alpha, beta2 = schedule.alpha(t), schedule.beta2(t)
    sq = ((z[:, None, :] - alpha * x_near) ** 2).sum(dim=2)  # (m, K)
    w = torch.softmax(log_k - sq / (2 * beta2), dim=1)
    return torch.einsum("mk,mkd->md", w, x_near)


def mc_score(z, t, x_near, log_k, schedule):
    """The Monte Carlo score S(z, t | y) = (alpha_t m - z) / beta_t^2 (m, d); arguments as in posterior_mean_of_x0."""
    m = posterior_mean_of_x0(z, t, x_near, log_k, schedule)
    return (schedule.alpha(t) * m - z) / schedule.beta2(t)


def ode_velocity(z, t, x_near, log_k, schedule):
    """dz/dt of the reverse probability-flow ODE, b z - sigma^2 S / 2, in its cancellation-free form."""
    m = posterior_mean_of_x0(z, t, x_near, log_k, schedule)
    return (1 - schedule.eps) * ((z - schedule.alpha(t) * m) / (2 * schedule.beta2(t)) - m)


def rk4_step(z, t, dt, velocity):
    """One classical Runge-Kutta step of dz/dt = velocity(z, t) from t to t + dt (dt < 0 runs backwards in time);
    z an array or tensor, velocity returning the same shape."""
    k1 = velocity(z, t)
    k2 = velocity(z + 0.5 * dt * k1, t + 0.5 * dt)
    k3 = velocity(z + 0.5 * dt * k2, t + 0.5 * dt)
    k4 = velocity(z + dt * k3, t + dt)
    return z + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def reverse_ode(z1, x_near, log_k, schedule, ode_steps=100, return_path=False):
    """Integrate the reverse ODE from t = 1 (z1 (m, d)) to t = 0 with ode_steps classical RK4 steps; returns x
    (m, d), or with ``return_path`` the states at every step (ode_steps + 1, m, d), t = 1 first."""
    check_positive(ode_steps, "ode_steps", integer=True)
    z, dt = z1, -1.0 / ode_steps
    velocity = lambda z, t: ode_velocity(z, max(t, 0.0), x_near, log_k, schedule)  # noqa: E731 (t + dt may be -0)
    path = [z]
    for i in range(ode_steps):
        z = rk4_step(z, 1.0 + i * dt, dt, velocity)
        path.append(z)
    return torch.stack(path) if return_path else z


def monte_carlo_set(y, x_prior, y_prior, y_bandwidth, n_neighbours):
    """For each conditioning y (m, k): the K = min(J, n_neighbours) prior samples with the largest kernel weight,
    as (x_near (m, K, d), log_k (m, K)). Dropped samples carry weights below the K-th largest: negligible once K is
    well above the kernel ESS."""
    log_k = kernel_log_weights(y, y_prior, y_bandwidth)
    if n_neighbours >= y_prior.shape[0]:
        return x_prior.expand(y.shape[0], -1, -1), log_k
    log_k, idx = torch.topk(log_k, n_neighbours, dim=1)
    return x_prior[idx], log_k


@dataclass
class LabelledSet:
    """M triples of z-scored tensors: x (M, d) the reverse ODE's end points for the conditioning y (M, k) and the
    start points z (M, d); kernel_ess (min(M, 1000),), the kernel ESS behind the first labels."""

    x: torch.Tensor
    y: torch.Tensor
    z: torch.Tensor
    kernel_ess: torch.Tensor


MIN_NEIGHBOURS = 250  # the automatic Monte Carlo set is never smaller


class DBUQ:
    """Amortised posterior sampler built from prior samples: ``fit(x_prior, y_prior)`` then ``sample(y_obs, n)``.

    y_bandwidth: kernel width h on y, in the units of y (a number or one per output); conditioning on y0 weighs the
    prior runs by N(y0; y_j, h^2), so h acts as the observation noise sd when y_prior are noiseless model outputs.
    Default: 0.1 prior sd per output. eps: x-smoothing variance of the schedule (z-scored units): the reverse ODE
    ends on the kernel-weighted prior samples blurred by sqrt(eps). The default 0.03 suits a few hundred effective
    samples in several dimensions (1000 land-model runs, 8 parameters: C2ST against the exact posterior 0.63 at
    eps = 0.03, 0.86-0.92 at 1e-4, where the posterior is the clumps of the few runs near y0); a sharp posterior
    from many samples (the 1-D square toy) wants 1e-4, and then about 100 ODE steps. ode_steps: RK4 steps of the
    reverse ODE (50 end within W1 0.001 of 200 at eps = 0.01). n_labels: size M of the labelled set, whose y_m are
    prior y's plus N(0, h^2) jitter and z_m ~ N(0, I). n_neighbours: Monte Carlo set per labelled point (the prior
    samples with the largest kernel weights); None (default) takes 3 x the median kernel ESS of the prior y's, at
    least 250 (``neighbours``, set by ``set_prior``): the set must hold well more samples than the kernel spreads
    over (10,000 land-model runs, ESS about 690: C2ST 0.55-0.58 with 2000 neighbours, 0.70-0.77 with 250).
    hidden, depth, activation, n_iter, lr, batch_size, weight_decay: the generator MLP F(y, z) and its Adam
    training on the squared error in z-scored x, with ``val_fraction`` of the labels held out to keep the best
    weights. ReLU keeps a sharp jump between well-separated modes (the square toy: W1 0.038 against SiLU's 0.047
    at 128 units); SiLU is smooth. box: a ``BoxTransform`` of a uniform prior on x; then x is given and sampled in
    its own units while the diffusion runs on w = logit(u), where the prior has no bounds.
    ``history``: the generator's losses every 25 steps, "label_ess" (the kernel ESS of the labels), "ode_seconds"
    and "train_seconds" (building the labelled set, training the generator) and "seconds" (both).
    """

    def __init__(self, y_bandwidth=None, eps=0.03, ode_steps=50, n_labels=10000, n_neighbours=None, hidden=64,
                 depth=3, activation="silu", n_iter=3000, lr=2e-3, batch_size=1024, weight_decay=0.0,
                 val_fraction=0.1, box=None, seed=0, device="cpu", progress=False):
        self.y_bandwidth = y_bandwidth
        self.schedule = Schedule(eps)
        self.ode_steps = check_positive(ode_steps, "ode_steps", integer=True)
        self.n_labels = check_positive(n_labels, "n_labels", integer=True)
        self.n_neighbours = None if n_neighbours is None else check_positive(n_neighbours, "n_neighbours",
                                                                             integer=True)
        self.hidden = check_positive(hidden, "hidden", integer=True)
        self.depth = check_positive(depth, "depth", integer=True)
        self.activation = check_choice(activation, "activation", ACTIVATIONS)
        self.n_iter = check_positive(n_iter, "n_iter", integer=True)
        self.lr = check_positive(lr, "lr")
        self.batch_size = check_positive(batch_size, "batch_size", integer=True)
        self.weight_decay = check_nonnegative(weight_decay, "weight_decay")
        self.val_fraction = check_fraction(val_fraction, "val_fraction")
        if box is not None and not isinstance(box, BoxTransform):
            raise TypeError(f"box must be a BoxTransform or None; got {type(box).__name__}")
        self.box, self.seed, self.device, self.progress = box, seed, get_device(device), progress

    # --- step 1: the prior set -----------------------------------------------------------------------------
    def set_prior(self, x_prior, y_prior):
        """Store the z-scored prior set (x (J, d) in its own units, y (J, k)) and the kernel width; returns self."""
        x_prior = as_float_array(x_prior, "x_prior", ndim=2)
        y_prior = as_float_array(y_prior, "y_prior", ndim=2)
        check_same_rows(x_prior, y_prior, "x_prior", "y_prior")
        if x_prior.shape[0] < 2:
            raise ValueError(f"x_prior needs at least 2 samples; got {x_prior.shape[0]}")
        if self.box is not None:
            if x_prior.shape[1] != self.box.dim:
                raise ValueError(f"x_prior must have {self.box.dim} columns like the box; got {x_prior.shape[1]}")
            x_prior = self.box.to_unbounded(x_prior)
        self.x_scale, self.y_scale = Standardizer(x_prior), Standardizer(y_prior)
        self.x_dim, self.y_dim = x_prior.shape[1], y_prior.shape[1]
        h = 0.1 * self.y_scale.std if self.y_bandwidth is None else self.y_bandwidth
        self.h = check_per_output(h, "y_bandwidth", self.y_dim)  # units of y
        self._h = to_tensor(self.h / self.y_scale.std, self.device)  # z-scored units
        self._x_prior = to_tensor(self.x_scale(x_prior), self.device)
        self._y_prior = to_tensor(self.y_scale(y_prior), self.device)
        self.neighbours = min(self._y_prior.shape[0], self.n_neighbours or self._auto_neighbours())
        return self

    def _auto_neighbours(self, n_probe=256, chunk=64):
        """3 x the median kernel ESS at up to n_probe prior y's (evenly spaced rows), at least MIN_NEIGHBOURS."""
        rows = torch.linspace(0, self._y_prior.shape[0] - 1, min(n_probe, self._y_prior.shape[0])).long()
        with torch.no_grad():
            ess = torch.cat([kernel_ess(kernel_log_weights(self._y_prior[rows[i:i + chunk]], self._y_prior, self._h))
                             for i in range(0, len(rows), chunk)])
        return max(MIN_NEIGHBOURS, int(math.ceil(3 * float(ess.median()))))

    # --- step 2: the labelled set by the reverse ODE ------------------------------------------------------
    def solve(self, y, z):
        """x (m, d) at t = 0 of the reverse ODE from z (m, d) at t = 1, conditioned on y (m, k) (both z-scored
        tensors). Points go in chunks whose (rows, K, d) temporaries hold at most 2^18 numbers on the CPU (1 MB):
        larger blocks bypass the allocator's cache, and re-faulting their pages made the ODE up to 4x slower."""
        out = []
        k = self.neighbours
        budget = 2**18 if self.device.type == "cpu" else 2**26
        chunk = max(1, budget // (k * self.x_dim))
        for start in range(0, y.shape[0], chunk):
            x_near, log_k = monte_carlo_set(y[start:start + chunk], self._x_prior, self._y_prior, self._h, k)
            out.append(reverse_ode(z[start:start + chunk], x_near, log_k, self.schedule, self.ode_steps))
        return torch.cat(out)

    def labelled_set(self):
        """A ``LabelledSet`` of M triples: y_m = a random prior y + N(0, h^2), z_m ~ N(0, I), x_m = the reverse
        ODE's end point."""
        check_fitted(self, "x_scale", "set_prior(x_prior, y_prior)")
        gen = torch.Generator(device="cpu").manual_seed(self.seed)
        m = self.n_labels
        rows = torch.randint(0, self._y_prior.shape[0], (m,), generator=gen).to(self.device)
        y = self._y_prior[rows] + self._h * torch.randn(m, self.y_dim, generator=gen).to(self.device)
        z = torch.randn(m, self.x_dim, generator=gen).to(self.device)
        with torch.no_grad():
            x = self.solve(y, z)
            ess = kernel_ess(kernel_log_weights(y[:1000], self._y_prior, self._h)).cpu()
        return LabelledSet(x, y, z, ess)

    # --- step 3: the generator F(y, z) by regression ---------------------------------------------------------
    def train_generator(self, labels):
        """Fit F: (y, z) -> x on a ``LabelledSet``; sets ``generator`` and ``history`` (losses); returns self."""
        with seeded(self.seed):
            self.generator = mlp(self.y_dim + self.x_dim, self.x_dim, self.hidden, self.depth, self.activation)
        self.generator.to(self.device)
        inputs = torch.cat([labels.y, labels.z], dim=1)
        n_val = int(round(self.val_fraction * len(labels.x)))
        train_in, train_out = inputs[n_val:], labels.x[n_val:]
        val_in, val_out = inputs[:n_val], labels.x[:n_val]
        opt = torch.optim.Adam(self.generator.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, self.n_iter)
        gen = torch.Generator(device="cpu").manual_seed(self.seed + 1)
        batch = min(self.batch_size, len(train_in))
        self.history, best = new_history(), KeepBest(self.generator)
        start = time.perf_counter()
        for it in with_progress(range(self.n_iter), "DBUQ generator", self.progress):
            rows = torch.randint(0, len(train_in), (batch,), generator=gen).to(self.device)
            loss = ((self.generator(train_in[rows]) - train_out[rows]) ** 2).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            if it % 25 == 0 or it == self.n_iter - 1:
                val = None
                if n_val:
                    with torch.no_grad():
                        val = float(((self.generator(val_in) - val_out) ** 2).mean())
                    best.update(val, it)
                record(self.history, it, loss.item(), val)
        kept = best.restore()
        self.history["best_step"] = self.n_iter - 1 if kept is None else kept
        self.history["seconds"] = self.history["train_seconds"] = time.perf_counter() - start
        self.generator.eval()
        return self

    def fit(self, x_prior, y_prior):
        """Prior set -> labelled set (reverse ODE) -> generator; returns self."""
        start = time.perf_counter()
        labels = self.set_prior(x_prior, y_prior).labelled_set()
        ode_seconds = time.perf_counter() - start
        self.train_generator(labels)
        self.history.update(label_ess=labels.kernel_ess, ode_seconds=ode_seconds,
                            seconds=time.perf_counter() - start)
        return self

    # --- sampling ---------------------------------------------------------------------------------------------
    def _conditioning(self, y_obs, n, seed):
        """Checked y_obs repeated n times and z ~ N(0, I), both (n, .) z-scored tensors."""
        check_positive(n, "n", integer=True)
        check_fitted(self, "x_scale", "fit(x_prior, y_prior)")
        y_obs = check_observation(y_obs, self.y_dim, "output of y_prior")
        gen = torch.Generator(device="cpu").manual_seed(check_seed(seed))
        z = torch.randn(n, self.x_dim, generator=gen).to(self.device)
        return to_tensor(self.y_scale(y_obs), self.device).expand(n, -1), z

    def _to_x(self, x):
        x = self.x_scale.inverse(x.double().cpu().numpy())
        return x if self.box is None else self.box.to_box(x)

    def sample(self, y_obs, n=1000, seed=0):
        """n posterior samples (n, d) of x given one observation y_obs (k,): one pass of the trained generator."""
        y, z = self._conditioning(y_obs, n, seed)
        check_fitted(self, "generator", "fit(x_prior, y_prior)")
        with torch.no_grad():
            return self._to_x(self.generator(torch.cat([y, z], dim=1)))

    def sample_ode(self, y_obs, n=1000, seed=0):
        """n posterior samples (n, d) by solving the reverse ODE directly (no generator): slower, and the
        reference that the generator learns to reproduce."""
        y, z = self._conditioning(y_obs, n, seed)
        with torch.no_grad():
            return self._to_x(self.solve(y, z))
