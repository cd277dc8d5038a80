"""Bayesian neural-network regression with SVGD (Liu & Wang 2016) and a deterministic MLP baseline.

Model (as in the SVGD-BNN paper): one hidden layer f(x; W) = act(x W1 + b1) W2 + b2, Gaussian likelihood
y_k ~ N(f_k(x), 1/gamma_k) with one precision per output (standardised units), every weight and bias
~ N(0, 1/lambda), and Gamma(a0, b0) priors (b0 a rate) on gamma_k and lambda. A particle is the flat vector
[W1, b1, W2, b2, log gamma (k), log lambda]; the S particles are one (S, P) tensor, the forward pass is vmapped over
them with torch.func and every score comes from one backward pass. Predictions (Eqs. 7-8 of the paper):
mean = 1/S sum_s f_s(x); variance = aleatoric 1/S sum_s 1/gamma_s + epistemic 1/S sum_s f_s^2 - mean^2.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from . import get_device
from .nets import mlp
from .svgd import svgd_direction
from .validation import as_float_array, check_choice, check_positive, check_same_rows

ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh}


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


class Standardizer:
    """z = (v - mean) / std per column, fitted on training data (a constant column gets std 1)."""

    def __init__(self, values):
        self.mean = values.mean(axis=0)
        std = values.std(axis=0)
        self.std = np.where(std > 0, std, 1.0)

    def __call__(self, values):
        return (values - self.mean) / self.std

    def inverse(self, z):
        return z * self.std + self.mean


def predictive_moments(f, noise_var):
    """Eqs. 7-8 of the SVGD-BNN paper for particle outputs f (S, n, k) and noise variances 1/gamma (S, k):
    returns (mean, aleatoric, epistemic), each (n, k): mean = 1/S sum_s f_s, aleatoric = 1/S sum_s 1/gamma_s,
    epistemic = 1/S sum_s f_s^2 - mean^2."""
    mean = f.mean(axis=0)
    aleatoric = np.broadcast_to(noise_var.mean(axis=0), mean.shape).copy()
    epistemic = (f**2).mean(axis=0) - mean**2
    return mean, aleatoric, np.maximum(epistemic, 0.0)


def _check_xy(x, y):
    x = as_float_array(x, "x", ndim=2)
    y = as_float_array(y, "y", ndim=(1, 2))
    y = y[:, None] if y.ndim == 1 else y
    check_same_rows(x, y, "x", "y")
    if x.shape[0] < 2:
        raise ValueError(f"x needs at least 2 samples to fit; got {x.shape[0]}")
    return x, y


def _split_dev(n, dev_fraction, min_dev, rng):
    """Shuffled train/dev row indices; no dev rows when fewer than ``min_dev`` would be held out."""
    order = rng.permutation(n)
    n_dev = int(round(n * dev_fraction))
    n_dev = n_dev if n_dev >= min_dev and n - n_dev >= 2 else 0
    return order[n_dev:], order[:n_dev]


class _Fitted:
    """Shared input checks and scaling of the two regressors."""

    def _prepare(self, x, y):
        x, y = _check_xy(x, y)
        self.x_scale, self.y_scale = Standardizer(x), Standardizer(y)
        self.n_inputs, self.n_outputs = x.shape[1], y.shape[1]
        return self.x_scale(x), self.y_scale(y)

    def _inputs(self, x):
        if not hasattr(self, "x_scale"):
            raise RuntimeError(f"{type(self).__name__} is not fitted; call fit(x, y) first")
        x = as_float_array(x, "x", ndim=2)
        if x.shape[1] != self.n_inputs:
            raise ValueError(f"x must have {self.n_inputs} columns like the training inputs; got {x.shape[1]}")
        return self._tensor(self.x_scale(x))

    def _tensor(self, values):
        """float32 tensor on the regressor's device."""
        return torch.as_tensor(values, dtype=torch.float32, device=self.device)

    @property
    def n_network_parameters(self):
        """Weights and biases of the fitted network (of one particle, for the BNN)."""
        return self.hidden * (self.n_inputs + 1) + self.n_outputs * (self.hidden + 1)


class SVGDRegressor(_Fitted):
    """Bayesian MLP (one hidden layer of ``hidden`` units) whose weight posterior is S = ``n_particles`` SVGD
    particles; ``fit(x, y)`` on x (n, d), y (n, k) or (n,), ``predict(x)`` -> ``Prediction``.

    Training: ``n_iter`` SVGD steps on cyclic mini-batches of ``batch_size`` rows (the whole set when smaller; the
    likelihood scaled by n / batch) with Adam at ``step_size``. The defaults follow the reference code (20
    particles, 50 hidden units, batch 100, step 1e-3, 2000 iterations); larger steps let the weights collapse onto
    their prior (lambda grows, W -> 0) on small training sets. After training, gamma_k is re-fitted on held-out
    dev rows (``dev_fraction`` of the data, used only when that makes at least 20 rows) so that the 2-sd band holds
    95.45 % of the dev errors, as the reference code re-fits gamma on its dev set. device: "cpu", "cuda", "auto".
    """

    def __init__(self, hidden=50, n_particles=20, n_iter=2000, step_size=1e-3, activation="relu", a0=1.0, b0=0.1,
                 batch_size=100, dev_fraction=0.1, seed=0, device="cpu", progress=False):
        self.hidden = check_positive(hidden, "hidden", integer=True)
        self.n_particles = check_positive(n_particles, "n_particles", integer=True)
        self.n_iter = check_positive(n_iter, "n_iter", integer=True)
        self.step_size = check_positive(step_size, "step_size")
        self.activation = check_choice(activation, "activation", ACTIVATIONS)
        self.a0, self.b0 = check_positive(a0, "a0"), check_positive(b0, "b0")
        self.batch_size = check_positive(batch_size, "batch_size", integer=True)
        if not 0 <= dev_fraction < 1:
            raise ValueError(f"dev_fraction must be in [0, 1); got {dev_fraction!r}")
        self.dev_fraction, self.seed, self.device, self.progress = dev_fraction, seed, get_device(device), progress

    # particle layout ------------------------------------------------------------------------------------------
    def _unflatten(self, theta):
        """Views of one particle theta (P,): W1 (d, H), b1 (H,), W2 (H, k), b2 (k,), log_gamma (k,), log_lambda."""
        d, h, k = self.n_inputs, self.hidden, self.n_outputs
        sizes = (d * h, h, h * k, k, k, 1)
        w1, b1, w2, b2, log_gamma, log_lambda = torch.split(theta, sizes)
        return w1.view(d, h), b1, w2.view(h, k), b2, log_gamma, log_lambda[0]

    def _log_gamma(self, particles):
        """View of the log noise precisions of every particle (S, k)."""
        return particles[:, -self.n_outputs - 1:-1]

    def _forward_one(self, theta, x):
        w1, b1, w2, b2, _, _ = self._unflatten(theta)
        return ACTIVATIONS[self.activation](x @ w1 + b1) @ w2 + b2

    def _forward(self, particles, x):
        """Outputs of every particle (S, n, k) for inputs x (n, d), vmapped over the particles."""
        return torch.func.vmap(self._forward_one, in_dims=(0, None))(particles, x)

    def _log_posterior(self, particles, x, y, n_total):
        """log p(W, log gamma, log lambda | data) up to a constant, per particle (S,)."""
        pred = self._forward(particles, x)
        n_weights = particles.shape[1] - self.n_outputs - 1
        weights = particles[:, :n_weights]
        log_gamma = self._log_gamma(particles)
        log_lambda = particles[:, -1]
        sq_err = ((pred - y) ** 2).sum(dim=1)  # (S, k)
        log_lik = (n_total / x.shape[0]) * (0.5 * x.shape[0] * log_gamma - 0.5 * log_gamma.exp() * sq_err).sum(1)
        log_prior_w = 0.5 * n_weights * log_lambda - 0.5 * log_lambda.exp() * (weights**2).sum(dim=1)
        a0, b0 = self.a0, self.b0  # Gamma(a0, rate b0) on gamma and lambda, with the log-transform Jacobian
        log_prior_gamma = (a0 * log_gamma - b0 * log_gamma.exp()).sum(dim=1)
        log_prior_lambda = a0 * log_lambda - b0 * log_lambda.exp()
        return log_lik + log_prior_w + log_prior_gamma + log_prior_lambda

    def _initial_particles(self, x, y, rng):
        """As the reference code: W1 ~ N(0, 1/(d+1)), W2 ~ N(0, 1/(H+1)), zero biases, lambda ~ Gamma(a0, scale
        b0) (mean 0.1: a weak prior while the network first fits), gamma_k = 1 / MSE_k of the untrained network."""
        d, h, k, s = self.n_inputs, self.hidden, self.n_outputs, self.n_particles
        w1 = rng.standard_normal((s, d * h)) / math.sqrt(d + 1)
        w2 = rng.standard_normal((s, h * k)) / math.sqrt(h + 1)
        log_lambda = np.log(rng.gamma(self.a0, self.b0, (s, 1)))
        theta = np.hstack([w1, np.zeros((s, h)), w2, np.zeros((s, 2 * k)), log_lambda])
        theta = self._tensor(theta)
        with torch.no_grad():
            mse = ((self._forward(theta, x) - y) ** 2).mean(dim=1)  # (S, k)
        self._log_gamma(theta)[:] = -torch.log(mse.clamp_min(1e-8))  # a constant target would give gamma = inf
        return theta

    def fit(self, x, y):
        """Train on x (n, d), y (n, k) or (n,); returns self. ``history`` holds the mean log posterior and the
        training RMSE (standardised units) every 10 iterations, and the wall time."""
        xs, ys = self._prepare(x, y)
        rng = np.random.default_rng(self.seed)
        train, dev = _split_dev(xs.shape[0], self.dev_fraction, 20, rng)
        x_train, y_train = self._tensor(xs[train]), self._tensor(ys[train])
        n = x_train.shape[0]
        particles = self._initial_particles(x_train, y_train, rng).requires_grad_(True)
        opt = torch.optim.Adam([particles], lr=self.step_size)
        self.history = {"iteration": [], "log_posterior": [], "train_rmse": []}
        steps = range(self.n_iter)
        if self.progress:
            from tqdm.auto import tqdm

            steps = tqdm(steps, desc="SVGD-BNN")
        start = time.perf_counter()
        batch = min(self.batch_size, n)
        for it in steps:
            rows = torch.as_tensor((np.arange(batch) + it * batch) % n, device=self.device)  # cyclic mini-batches
            log_p = self._log_posterior(particles, x_train[rows], y_train[rows], n)
            (scores,) = torch.autograd.grad(log_p.sum(), particles)
            phi, _, _ = svgd_direction(particles.detach(), scores)
            opt.zero_grad(set_to_none=True)
            particles.grad = -phi  # Adam descends; SVGD ascends phi
            opt.step()
            if it % 10 == 0 or it == self.n_iter - 1:
                with torch.no_grad():
                    mean = self._forward(particles, x_train).mean(dim=0)
                self.history["iteration"].append(it)
                self.history["log_posterior"].append(float(log_p.detach().mean()) / n)
                self.history["train_rmse"].append(float(((mean - y_train) ** 2).mean().sqrt()))
        self.history["seconds"] = time.perf_counter() - start
        if not torch.all(torch.isfinite(particles)):
            raise FloatingPointError(f"SVGD diverged; lower step_size={self.step_size}")
        self.particles = particles.detach()
        if dev.size:
            self._calibrate_noise(self._tensor(xs[dev]), self._tensor(ys[dev]))
        return self

    def _calibrate_noise(self, x_dev, y_dev):
        """Set every particle's gamma_k so that the predictive band mean +- 2 sd, with variance aleatoric +
        epistemic, holds 95.45 % of the dev errors of output k, as a Gaussian band would (aleatoric floored at 1 %
        of the total). Matching the band rather than the mean squared error keeps it calibrated when the errors
        are heavy-tailed (a few hard members, e.g. dying forests, would otherwise widen every band)."""
        with torch.no_grad():
            f = self._forward(self.particles, x_dev)  # (S, n_dev, k)
            scale = torch.quantile((f.mean(dim=0) - y_dev).abs(), 0.9545, dim=0) / 2
            epistemic = f.var(dim=0, unbiased=False).mean(dim=0)
            aleatoric = torch.clamp(scale**2 - epistemic, min=0.01 * scale**2)
        self._log_gamma(self.particles)[:] = -torch.log(aleatoric)

    def predictive_tensors(self, x):
        """Differentiable predictive mean and total variance (n, k) in the units of y for a float tensor x (n, d)
        in the units of the training inputs (for log-likelihoods inside MCMC or SVGD)."""
        if not hasattr(self, "particles"):
            raise RuntimeError("SVGDRegressor is not fitted; call fit(x, y) first")
        xs = (x.to(self.device, torch.float32) - self._tensor(self.x_scale.mean)) / self._tensor(self.x_scale.std)
        f = self._forward(self.particles, xs)  # (S, n, k)
        noise_var = torch.exp(-self._log_gamma(self.particles)).mean(dim=0)  # (k,)
        y_std = self._tensor(self.y_scale.std)
        mean = f.mean(dim=0) * y_std + self._tensor(self.y_scale.mean)
        return mean, (noise_var + f.var(dim=0, unbiased=False)) * y_std**2

    def predict(self, x):
        """Predictive mean, total variance and its aleatoric and epistemic parts (n, k), in the units of y."""
        xt = self._inputs(x)
        with torch.no_grad():
            f = self._forward(self.particles, xt)  # (S, n, k)
            noise_var = torch.exp(-self._log_gamma(self.particles))  # (S, k)
        mean, aleatoric, epistemic = predictive_moments(f.double().cpu().numpy(), noise_var.double().cpu().numpy())
        scale2 = self.y_scale.std**2
        aleatoric, epistemic = aleatoric * scale2, epistemic * scale2
        return Prediction(self.y_scale.inverse(mean), aleatoric + epistemic, aleatoric, epistemic)


class MLPRegressor(_Fitted):
    """Deterministic baseline: the same one-hidden-layer network trained by full-batch Adam on the mean squared
    error (standardised units) for ``n_iter`` steps; with ``early_stopping`` a ``validation_fraction`` of the rows
    is held out and the weights with the lowest validation error are kept (stop after ``patience`` steps without
    improvement). ``predict`` returns the mean (n, k)."""

    def __init__(self, hidden=50, n_iter=2000, lr=1e-2, activation="relu", weight_decay=0.0, early_stopping=False,
                 validation_fraction=0.2, patience=200, seed=0, device="cpu"):
        self.hidden = check_positive(hidden, "hidden", integer=True)
        self.n_iter = check_positive(n_iter, "n_iter", integer=True)
        self.lr = check_positive(lr, "lr")
        self.activation = check_choice(activation, "activation", ACTIVATIONS)
        if weight_decay < 0:
            raise ValueError(f"weight_decay must be >= 0; got {weight_decay!r}")
        if not 0 < validation_fraction < 1:
            raise ValueError(f"validation_fraction must be in (0, 1); got {validation_fraction!r}")
        self.weight_decay, self.early_stopping = weight_decay, early_stopping
        self.validation_fraction = validation_fraction
        self.patience = check_positive(patience, "patience", integer=True)
        self.seed, self.device = seed, get_device(device)

    def fit(self, x, y):
        """Train on x (n, d), y (n, k) or (n,); returns self (``history``: losses per step, best step, seconds)."""
        xs, ys = self._prepare(x, y)
        rng = np.random.default_rng(self.seed)
        fraction = self.validation_fraction if self.early_stopping else 0.0
        train, val = _split_dev(xs.shape[0], fraction, 1, rng)
        torch.manual_seed(self.seed)
        self.model = mlp(self.n_inputs, self.n_outputs, self.hidden, 1, self.activation).to(self.device)
        opt = torch.optim.Adam(self.model.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        x_train, y_train = self._tensor(xs[train]), self._tensor(ys[train])
        x_val, y_val = self._tensor(xs[val]), self._tensor(ys[val])
        self.history = {"train_loss": [], "val_loss": [], "best_iteration": self.n_iter - 1}
        best, best_state, waited = math.inf, None, 0
        start = time.perf_counter()
        for it in range(self.n_iter):
            loss = ((self.model(x_train) - y_train) ** 2).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            self.history["train_loss"].append(loss.item())
            if val.size:
                with torch.no_grad():
                    val_loss = float(((self.model(x_val) - y_val) ** 2).mean())
                self.history["val_loss"].append(val_loss)
                if val_loss < best:
                    best, waited, self.history["best_iteration"] = val_loss, 0, it
                    best_state = {k: v.clone() for k, v in self.model.state_dict().items()}
                elif (waited := waited + 1) >= self.patience:
                    break
        if best_state is not None:
            self.model.load_state_dict(best_state)
        self.history["seconds"] = time.perf_counter() - start
        return self

    def predict(self, x):
        """Predicted mean (n, k) in the units of y."""
        xt = self._inputs(x)
        with torch.no_grad():
            return self.y_scale.inverse(self.model(xt).double().cpu().numpy())
