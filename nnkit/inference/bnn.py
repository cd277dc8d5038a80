"""Bayesian neural-network regression with SVGD (Liu & Wang 2016), as in the SVGD-BNN paper.

Model: one hidden layer f(x; W) = act(x W1 + b1) W2 + b2, Gaussian likelihood y_k ~ N(f_k(x), 1/gamma_k) with one
precision per output (standardised units), every weight and bias ~ N(0, 1/lambda), and Gamma(a0, b0) priors (b0 a
rate) on gamma_k and lambda. A particle is the flat vector [W1, b1, W2, b2, log gamma (k), log lambda]; the S
particles are one (S, P) tensor, the forward pass is vmapped over them with torch.func and every score comes from
one backward pass. Predictions (Eqs. 7-8 of the paper): mean = 1/S sum_s f_s(x); variance = aleatoric
1/S sum_s 1/gamma_s + epistemic 1/S sum_s f_s^2 - mean^2. The deterministic baseline is ``baseline.MLPRegressor``.
"""
from __future__ import annotations

import math
import time

import numpy as np
import torch

from ..core.nets import make_activation, to_tensor
from ..core.runtime import get_device
from ..core.training import check_fitted, new_history, progress as with_progress, record
from ..core.validation import check_fraction, check_positive
from .regression import Prediction, Regressor, split_validation
from .svgd import svgd_direction


def predictive_moments(f, noise_var):
    """Eqs. 7-8 of the SVGD-BNN paper for particle outputs f (S, n, k) and noise variances 1/gamma (S, k):
    returns (mean, aleatoric, epistemic), each (n, k): mean = 1/S sum_s f_s, aleatoric = 1/S sum_s 1/gamma_s,
    epistemic = 1/S sum_s f_s^2 - mean^2."""
    mean = f.mean(axis=0)
    aleatoric = np.broadcast_to(noise_var.mean(axis=0), mean.shape).copy()
    epistemic = (f**2).mean(axis=0) - mean**2
    return mean, aleatoric, np.maximum(epistemic, 0.0)


def log_posterior_terms(pred, y, weights, log_gamma, log_lambda, a0, b0, scale=1.0):
    """The BNN's log posterior up to a constant, per particle (S,), in the log-precision coordinates SVGD moves:

    scale x sum_k [n/2 log gamma_k - gamma_k/2 SSE_k]   (Gaussian likelihood; scale = n_total / n for a batch)
    + P/2 log lambda - lambda/2 ||w||^2                  (every weight ~ N(0, 1/lambda))
    + sum_k [a0 log gamma_k - b0 gamma_k] + a0 log lambda - b0 lambda   (Gamma(a0, rate b0), Jacobian included)

    pred (S, n, k) and y (n, k) in z-scored units; weights (S, P); log_gamma (S, k); log_lambda (S,).
    """
    n, n_weights = y.shape[0], weights.shape[1]
    sq_err = ((pred - y) ** 2).sum(dim=1)  # (S, k)
    log_lik = scale * (0.5 * n * log_gamma - 0.5 * log_gamma.exp() * sq_err).sum(dim=1)
    log_prior_w = 0.5 * n_weights * log_lambda - 0.5 * log_lambda.exp() * (weights**2).sum(dim=1)
    log_prior_gamma = (a0 * log_gamma - b0 * log_gamma.exp()).sum(dim=1)
    log_prior_lambda = a0 * log_lambda - b0 * log_lambda.exp()
    return log_lik + log_prior_w + log_prior_gamma + log_prior_lambda


def settled_gamma(sq_err, n, a0, b0):
    """The noise precision that maximises the log posterior given a particle's network: (n/2 + a0) / (SSE/2 + b0)
    for its sum of squared errors SSE over n rows (array or tensor, one per output)."""
    return (0.5 * n + a0) / (0.5 * sq_err + b0)


class SVGDRegressor(Regressor):
    """Bayesian MLP (one hidden layer of ``hidden`` units) whose weight posterior is S = ``n_particles`` SVGD
    particles; ``fit(x, y)`` on x (n, d), y (n, k) or (n,), ``predict(x)`` -> ``Prediction``.

    Training: ``n_iter`` SVGD steps on cyclic mini-batches of ``batch_size`` rows (the whole set when smaller; the
    likelihood scaled by n / batch) with Adam at learning rate ``lr``. The defaults follow the reference code (20
    particles, 50 hidden units, batch 100, step 1e-3, 2000 iterations); larger steps let the weights collapse onto
    their prior (lambda grows, W -> 0) on small training sets. Each particle keeps the noise precision gamma_s it
    was sampled with, as in the paper. ``refit_gamma_to_coverage=True`` instead re-fits every particle's gamma_k
    after training on held-out rows (``val_fraction`` of the data, which must then make at least 20 rows) so that
    the 2-sd band holds 95.45 % of their errors. Held-out rows are not trained on; with the default
    val_fraction=0 the network sees every row, as a deterministic baseline does. device: "cpu", "cuda", "auto".
    ``history`` records every 10 steps the training (and, with held-out rows, validation) MSE of the predictive
    mean (standardised units) and "log_posterior", the particles' mean log posterior per training row.
    """

    def __init__(self, hidden=50, n_particles=20, n_iter=2000, lr=1e-3, activation="relu", a0=1.0, b0=0.1,
                 batch_size=100, val_fraction=0.0, refit_gamma_to_coverage=False, seed=0, device="cpu",
                 progress=False):
        self.hidden = check_positive(hidden, "hidden", integer=True)
        self.n_particles = check_positive(n_particles, "n_particles", integer=True)
        self.n_iter = check_positive(n_iter, "n_iter", integer=True)
        self.lr = check_positive(lr, "lr")
        self.activation, self._act = activation, make_activation(activation)
        self.a0, self.b0 = check_positive(a0, "a0"), check_positive(b0, "b0")
        self.batch_size = check_positive(batch_size, "batch_size", integer=True)
        self.val_fraction = check_fraction(val_fraction, "val_fraction")
        if not isinstance(refit_gamma_to_coverage, bool):
            raise TypeError(f"refit_gamma_to_coverage must be True or False; got {refit_gamma_to_coverage!r}")
        if refit_gamma_to_coverage and val_fraction == 0:
            raise ValueError("refit_gamma_to_coverage=True needs held-out rows: set val_fraction > 0 (e.g. 0.1)")
        self.refit_gamma_to_coverage = refit_gamma_to_coverage
        self.seed, self.device, self.progress = seed, get_device(device), progress

    # particle layout ------------------------------------------------------------------------------------------
    def unflatten(self, theta):
        """Views of one particle theta (P,): W1 (d, H), b1 (H,), W2 (H, k), b2 (k,), log_gamma (k,), log_lambda."""
        d, h, k = self.n_inputs, self.hidden, self.n_outputs
        sizes = (d * h, h, h * k, k, k, 1)
        w1, b1, w2, b2, log_gamma, log_lambda = torch.split(theta, sizes)
        return w1.view(d, h), b1, w2.view(h, k), b2, log_gamma, log_lambda[0]

    def log_gamma(self, particles):
        """View of the log noise precisions of every particle (S, k)."""
        return particles[:, -self.n_outputs - 1:-1]

    def network(self, theta, x):
        """f(x; W) (n, k) of one particle theta (P,) for z-scored inputs x (n, d)."""
        w1, b1, w2, b2, _, _ = self.unflatten(theta)
        return self._act(x @ w1 + b1) @ w2 + b2

    def particle_outputs(self, particles, x):
        """Outputs of every particle (S, n, k) for z-scored inputs x (n, d), vmapped over the particles."""
        return torch.func.vmap(self.network, in_dims=(0, None))(particles, x)

    def log_posterior(self, particles, x, y, n_total):
        """log p(W, log gamma, log lambda | data) up to a constant, per particle (S,), from a batch x (n, d),
        y (n, k) (z-scored tensors) of a training set of ``n_total`` rows: the likelihood is scaled by n_total / n."""
        n_weights = particles.shape[1] - self.n_outputs - 1
        return log_posterior_terms(self.particle_outputs(particles, x), y, particles[:, :n_weights],
                                   self.log_gamma(particles), particles[:, -1], self.a0, self.b0,
                                   n_total / x.shape[0])

    def initial_particles(self, x, y, rng):
        """As the reference code: W1 ~ N(0, 1/(d+1)), W2 ~ N(0, 1/(H+1)), zero biases, lambda ~ Gamma(a0, scale
        b0) (mean 0.1: a weak prior while the network first fits), gamma_k = 1 / MSE_k of the untrained network."""
        d, h, k, s = self.n_inputs, self.hidden, self.n_outputs, self.n_particles
        w1 = rng.standard_normal((s, d * h)) / math.sqrt(d + 1)
        w2 = rng.standard_normal((s, h * k)) / math.sqrt(h + 1)
        log_lambda = np.log(rng.gamma(self.a0, self.b0, (s, 1)))
        theta = np.hstack([w1, np.zeros((s, h)), w2, np.zeros((s, 2 * k)), log_lambda])
        theta = to_tensor(theta, self.device)
        with torch.no_grad():
            mse = ((self.particle_outputs(theta, x) - y) ** 2).mean(dim=1)  # (S, k)
        self.log_gamma(theta)[:] = -torch.log(mse.clamp_min(1e-8))  # a constant target would give gamma = inf
        return theta

    def fit(self, x, y):
        """Train on x (n, d), y (n, k) or (n,); returns self."""
        xs, ys = self.prepare(x, y)
        rng = np.random.default_rng(self.seed)
        train, val = split_validation(xs.shape[0], self.val_fraction, 20, rng)
        if self.refit_gamma_to_coverage and not len(val):
            raise ValueError(f"refit_gamma_to_coverage needs at least 20 held-out rows; val_fraction="
                             f"{self.val_fraction} of {xs.shape[0]} rows gives fewer: raise val_fraction or the rows")
        x_train, y_train = to_tensor(xs[train], self.device), to_tensor(ys[train], self.device)
        x_val, y_val = to_tensor(xs[val], self.device), to_tensor(ys[val], self.device)
        n = x_train.shape[0]
        particles = self.initial_particles(x_train, y_train, rng).requires_grad_(True)
        opt = torch.optim.Adam([particles], lr=self.lr)
        self.history = new_history("log_posterior")
        start = time.perf_counter()
        batch = min(self.batch_size, n)
        for it in with_progress(range(self.n_iter), "SVGD-BNN", self.progress):
            rows = torch.as_tensor((np.arange(batch) + it * batch) % n, device=self.device)  # cyclic mini-batches
            log_p = self.log_posterior(particles, x_train[rows], y_train[rows], n)
            (scores,) = torch.autograd.grad(log_p.sum(), particles)
            phi, _, _ = svgd_direction(particles.detach(), scores)
            opt.zero_grad(set_to_none=True)
            particles.grad = -phi  # Adam descends; SVGD ascends phi
            opt.step()
            if it % 10 == 0 or it == self.n_iter - 1:
                with torch.no_grad():
                    train_mse = self._mean_mse(particles, x_train, y_train)
                    val_mse = self._mean_mse(particles, x_val, y_val) if len(val) else None
                record(self.history, it, train_mse, val_mse, log_posterior=float(log_p.detach().mean()) / n)
        self.history["best_step"], self.history["seconds"] = self.n_iter - 1, time.perf_counter() - start
        if not torch.all(torch.isfinite(particles)):
            raise FloatingPointError(f"SVGD diverged; lower lr={self.lr}")
        self.particles = particles.detach()
        self._settle_gamma(x_train, y_train)
        if self.refit_gamma_to_coverage:
            self._refit_gamma_to_coverage(x_val, y_val)
        return self

    def _settle_gamma(self, x, y):
        """Move every particle's log gamma_k to the mode of its posterior given the particle's network, on the
        training rows: gamma = (n/2 + a0) / (SSE/2 + b0). That is where SVGD's gamma coordinates head (the log
        posterior is concave in log gamma), but Adam moves them by about lr per step: from the untrained network's
        error to the trained one's is several units of log gamma, thousands of steps at lr = 1e-3."""
        with torch.no_grad():
            sq_err = ((self.particle_outputs(self.particles, x) - y) ** 2).sum(dim=1)  # (S, k)
            self.log_gamma(self.particles)[:] = torch.log(settled_gamma(sq_err, x.shape[0], self.a0, self.b0))

    def _mean_mse(self, particles, x, y):
        return float(((self.particle_outputs(particles, x).mean(dim=0) - y) ** 2).mean())

    def _refit_gamma_to_coverage(self, x_dev, y_dev):
        """Set every particle's gamma_k so that the predictive band mean +- 2 sd, with variance aleatoric +
        epistemic, holds 95.45 % of the dev errors of output k, as a Gaussian band would (aleatoric floored at 1 %
        of the total). Matching the band rather than the mean squared error keeps it calibrated when the errors
        are heavy-tailed (a few hard members, e.g. dying forests, would otherwise widen every band)."""
        with torch.no_grad():
            f = self.particle_outputs(self.particles, x_dev)  # (S, n_dev, k)
            scale = torch.quantile((f.mean(dim=0) - y_dev).abs(), 0.9545, dim=0) / 2
            epistemic = f.var(dim=0, unbiased=False).mean(dim=0)
            aleatoric = torch.clamp(scale**2 - epistemic, min=0.01 * scale**2)
        self.log_gamma(self.particles)[:] = -torch.log(aleatoric)

    def predictive_tensors(self, x):
        """Differentiable predictive mean and total variance (n, k) in the units of y for a float tensor x (n, d)
        in the units of the training inputs (for log-likelihoods inside MCMC or SVGD). The inputs are z-scored in
        x's own dtype, then computed on in float32."""
        check_fitted(self, "particles")
        x = x.to(self.device)
        mean_x, std_x = (torch.as_tensor(v, dtype=x.dtype, device=self.device) for v in (self.x_scale.mean,
                                                                                           self.x_scale.std))
        f = self.particle_outputs(self.particles, ((x - mean_x) / std_x).float())  # (S, n, k)
        noise_var = torch.exp(-self.log_gamma(self.particles)).mean(dim=0)  # (k,)
        y_std = to_tensor(self.y_scale.std, self.device)
        mean = f.mean(dim=0) * y_std + to_tensor(self.y_scale.mean, self.device)
        return mean, (noise_var + f.var(dim=0, unbiased=False)) * y_std**2

    def predict(self, x):
        """Predictive mean, total variance and its aleatoric and epistemic parts (n, k), in the units of y."""
        xt = self.inputs(x)
        with torch.no_grad():
            f = self.particle_outputs(self.particles, xt)  # (S, n, k)
            noise_var = torch.exp(-self.log_gamma(self.particles))  # (S, k)
        mean, aleatoric, epistemic = predictive_moments(f.double().cpu().numpy(), noise_var.double().cpu().numpy())
        scale2 = self.y_scale.std**2
        aleatoric, epistemic = aleatoric * scale2, epistemic * scale2
        return Prediction(self.y_scale.inverse(mean), aleatoric + epistemic, aleatoric, epistemic)
