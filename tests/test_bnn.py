"""SVGD Bayesian MLP and deterministic baseline: the log posterior against torch.distributions, batched particles
against a loop, the predictive decomposition, calibration on data with known noise, bad input."""
import math

import numpy as np
import pytest
import torch

from nnkit.inference.baseline import MLPRegressor
from nnkit.inference.bnn import SVGDRegressor
from nnkit.inference.metrics import coverage, r2_score


def smooth_data(n, noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 3))
    f = np.stack([np.sin(2 * x[:, 0]) + x[:, 1] ** 2, x[:, 0] * x[:, 2] - x[:, 1]], axis=1)
    return x, f + noise * rng.standard_normal(f.shape), f


def prepared(n_particles=4, hidden=6):
    x, y, _ = smooth_data(30)
    reg = SVGDRegressor(hidden=hidden, n_particles=n_particles, n_iter=1)
    xs, ys = reg.prepare(x, y)
    xt, yt = torch.tensor(xs, dtype=torch.float32), torch.tensor(ys, dtype=torch.float32)
    particles = reg.initial_particles(xt, yt, np.random.default_rng(0))
    particles += 0.1 * torch.randn(particles.shape)  # move the biases and precisions off their initial values
    return reg, xt, yt, particles


def reference_log_posterior(reg, theta, x, y):
    """The paper's model written with torch.distributions, one particle at a time (constants included)."""
    w1, b1, w2, b2, log_gamma, log_lambda = reg.unflatten(theta)
    pred = torch.relu(x @ w1 + b1) @ w2 + b2
    weights = torch.cat([w1.flatten(), b1, w2.flatten(), b2])
    gamma, lam = log_gamma.exp(), log_lambda.exp()
    lik = torch.distributions.Normal(pred, 1 / gamma.sqrt()).log_prob(y).sum()
    prior_w = torch.distributions.Normal(0.0, 1 / lam.sqrt()).log_prob(weights).sum()
    hyper = torch.distributions.Gamma(reg.a0, reg.b0)  # rate b0
    log_jacobian = log_gamma.sum() + log_lambda  # densities of log gamma and log lambda
    return lik + prior_w + hyper.log_prob(gamma).sum() + hyper.log_prob(lam) + log_jacobian


def test_log_posterior_matches_torch_distributions_up_to_a_constant():
    reg, x, y, particles = prepared()
    ours = reg.log_posterior(particles, x, y, x.shape[0]).double()
    ref = torch.stack([reference_log_posterior(reg, p, x, y) for p in particles]).double()
    np.testing.assert_allclose((ours - ours[0]).numpy(), (ref - ref[0]).numpy(), rtol=1e-4, atol=1e-2)


def test_minibatch_likelihood_is_scaled_to_the_full_data():
    reg, x, y, particles = prepared()
    full = reg.log_posterior(particles, x, y, 30)
    halves = [reg.log_posterior(particles, x[i::2], y[i::2], 30) for i in (0, 1)]
    np.testing.assert_allclose(((halves[0] + halves[1]) / 2).numpy(), full.numpy(), rtol=1e-5)


def test_batched_forward_equals_a_loop_over_particles():
    reg, x, _, particles = prepared(n_particles=5)
    batched = reg.particle_outputs(particles, x)
    looped = torch.stack([reg.network(p, x) for p in particles])
    np.testing.assert_allclose(batched.numpy(), looped.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.slow
def test_fit_learns_a_smooth_function_and_splits_the_variance():
    x, y, f = smooth_data(600)  # 60 held-out rows only monitor: the particles' own gamma sets the noise
    reg = SVGDRegressor(hidden=20, n_particles=10, n_iter=800, lr=3e-3, val_fraction=0.1, seed=1).fit(x, y)
    x_test, y_test, f_test = smooth_data(500, seed=5)
    pred = reg.predict(x_test)
    assert pred.mean.shape == pred.variance.shape == (500, 2)
    assert np.all(r2_score(f_test, pred.mean) > 0.95)
    np.testing.assert_allclose(pred.variance, pred.aleatoric + pred.epistemic)
    with torch.no_grad():
        outputs = reg.particle_outputs(reg.particles, reg.inputs(x_test)).numpy()
    particle_means = outputs * reg.y_scale.std + reg.y_scale.mean
    np.testing.assert_allclose(pred.epistemic, particle_means.var(axis=0), rtol=1e-4, atol=1e-10)
    np.testing.assert_allclose(pred.mean, particle_means.mean(axis=0), rtol=1e-5, atol=1e-6)
    # the noise sd 0.1 dominates and is recovered; the 2-sigma band holds about 95 % of new noisy data
    assert np.all(np.abs(np.sqrt(pred.aleatoric.mean(axis=0)) - 0.1) < 0.04)
    assert 0.9 <= coverage(y_test, pred.mean, pred.std) <= 0.99
    history = reg.history
    assert history["train_loss"][-1] < 0.1 * history["train_loss"][0] and history["step"][-1] == 799
    assert len(history["val_loss"]) == len(history["step"]) == len(history["log_posterior"])
    assert history["val_loss"][-1] < history["val_loss"][0] and history["best_step"] == 799


def test_each_particle_keeps_its_own_gamma_at_its_conditional_mode():
    x, y, _ = smooth_data(300)
    reg = SVGDRegressor(hidden=10, n_particles=6, n_iter=300, lr=3e-3, seed=2).fit(x, y)
    xs, ys = reg.inputs(x), torch.as_tensor(reg.y_scale(y), dtype=torch.float32)
    with torch.no_grad():
        sse = ((reg.particle_outputs(reg.particles, xs) - ys) ** 2).sum(dim=1)  # (S, k)
        gamma = reg.log_gamma(reg.particles).exp()
    torch.testing.assert_close(gamma, (150 + reg.a0) / (0.5 * sse + reg.b0))
    assert gamma.std(dim=0).min() > 0  # per particle, not one shared value


def test_refit_gamma_to_coverage_is_an_explicit_option_on_held_out_rows():
    x, y, _ = smooth_data(400)
    reg = SVGDRegressor(hidden=10, n_particles=6, n_iter=300, lr=3e-3, val_fraction=0.2, seed=2,
                        refit_gamma_to_coverage=True).fit(x, y)
    gamma = reg.log_gamma(reg.particles).exp()
    assert torch.allclose(gamma, gamma[0].expand_as(gamma))  # one band-matching value for all particles
    x_test, y_test, _ = smooth_data(2000, seed=7)
    pred = reg.predict(x_test)
    assert 0.92 <= coverage(y_test, pred.mean, pred.std) <= 0.98
    with pytest.raises(ValueError, match="needs held-out rows: set val_fraction > 0"):
        SVGDRegressor(refit_gamma_to_coverage=True)
    with pytest.raises(ValueError, match="at least 20 held-out rows"):
        SVGDRegressor(n_iter=2, val_fraction=0.1, refit_gamma_to_coverage=True).fit(x[:50], y[:50])
    with pytest.raises(TypeError, match="refit_gamma_to_coverage must be True or False"):
        SVGDRegressor(refit_gamma_to_coverage="yes")


def test_same_seed_same_prediction():
    x, y, _ = smooth_data(40)
    a = SVGDRegressor(hidden=8, n_particles=5, n_iter=50, seed=3).fit(x, y).predict(x[:5])
    b = SVGDRegressor(hidden=8, n_particles=5, n_iter=50, seed=3).fit(x, y).predict(x[:5])
    np.testing.assert_array_equal(a.mean, b.mean)
    np.testing.assert_array_equal(a.variance, b.variance)


def test_one_dimensional_targets_and_parameter_count():
    x, y, _ = smooth_data(40)
    reg = SVGDRegressor(hidden=8, n_particles=3, n_iter=20).fit(x, y[:, 0])
    assert reg.predict(x).mean.shape == (40, 1)
    assert reg.n_network_parameters == 8 * 4 + 1 * 9
    assert reg.particles.shape == (3, reg.n_network_parameters + 1 + 1)


def test_deterministic_baseline_fits_and_early_stopping_keeps_the_best_weights():
    x, y, f = smooth_data(200)
    plain = MLPRegressor(hidden=20, n_iter=800).fit(x, y)
    x_test, _, f_test = smooth_data(200, seed=5)
    assert np.all(r2_score(f_test, plain.predict(x_test)) > 0.9)
    stopped = MLPRegressor(hidden=50, n_iter=3000, lr=3e-2, val_fraction=0.2, patience=50).fit(x[:40], y[:40])
    history = stopped.history
    assert len(history["train_loss"]) < 3000  # stopped early
    assert history["val_loss"][history["best_step"]] == min(history["val_loss"])
    assert history["step"] == list(range(len(history["train_loss"])))
    assert plain.history["val_loss"] == [] and plain.history["best_step"] == 799
    assert stopped.n_network_parameters == 50 * 4 + 2 * 51


@pytest.mark.parametrize("call, message", [
    (lambda r: r.fit(np.zeros(5), np.zeros(5)), "x must be 2-D"),
    (lambda r: r.fit(np.zeros((5, 2)), np.zeros(4)), "same number of samples"),
    (lambda r: r.fit(np.full((5, 2), np.nan), np.zeros(5)), "NaN"),
    (lambda r: r.fit(np.zeros((1, 2)), np.zeros(1)), "at least 2"),
    (lambda r: r.fit(np.zeros((5, 2)), np.zeros(5)).predict(np.zeros((3, 3))), "2 columns"),
])
def test_bad_data_is_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call(SVGDRegressor(hidden=4, n_particles=2, n_iter=2))


def test_bad_settings_and_unfitted_use_are_refused():
    with pytest.raises(ValueError, match="n_particles"):
        SVGDRegressor(n_particles=0)
    with pytest.raises(ValueError, match="activation"):
        SVGDRegressor(activation="gelu")
    with pytest.raises(ValueError, match=r"val_fraction must be in \[0, 1\)"):
        SVGDRegressor(val_fraction=1.5)
    with pytest.raises(ValueError, match="weight_decay"):
        MLPRegressor(weight_decay=-1)
    with pytest.raises(RuntimeError, match="not fitted"):
        MLPRegressor().predict(np.zeros((2, 2)))
    with pytest.raises(FloatingPointError, match="lower lr"):
        x, y, _ = smooth_data(20)
        SVGDRegressor(hidden=4, n_particles=3, n_iter=30, lr=1e6).fit(x, y * 1e30)


@pytest.mark.gpu
def test_fits_on_cuda():
    x, y, _ = smooth_data(100)
    pred = SVGDRegressor(hidden=8, n_particles=10, n_iter=100, device="cuda").fit(x, y).predict(x)
    assert np.all(np.isfinite(pred.mean)) and math.isfinite(float(pred.variance.sum()))


def test_log_posterior_terms_match_the_densities_of_the_model():
    """Up to a constant, the log posterior in (W, log gamma, log lambda) is the sum of Gaussian and Gamma log densities
    plus the log-Jacobians log gamma_k and log lambda: compared at two particles, the constants cancel."""
    from scipy import stats

    from nnkit.inference.bnn import log_posterior_terms, settled_gamma

    rng = np.random.default_rng(0)
    y = rng.normal(size=(7, 2))
    a0, b0 = 1.0, 0.1

    def by_hand(pred, w, log_gamma, log_lambda):
        gamma, lam = np.exp(log_gamma), np.exp(log_lambda)
        return (stats.norm.logpdf(y, pred, 1 / np.sqrt(gamma)).sum() + stats.norm.logpdf(w, 0, 1 / np.sqrt(lam)).sum()
                + stats.gamma.logpdf(gamma, a0, scale=1 / b0).sum() + log_gamma.sum()
                + stats.gamma.logpdf(lam, a0, scale=1 / b0) + log_lambda)

    particles = [(rng.normal(size=(7, 2)), rng.normal(size=5), rng.normal(size=2), float(rng.normal()))
                 for _ in range(2)]
    pred, w, log_gamma, log_lambda = (torch.tensor(np.stack(values)) for values in zip(*particles))
    ours = log_posterior_terms(pred, torch.tensor(y), w, log_gamma, log_lambda, a0, b0)
    assert float(ours[0] - ours[1]) == pytest.approx(by_hand(*particles[0]) - by_hand(*particles[1]), rel=1e-10)
    # the settled gamma is the maximum over log gamma given the network
    sse = ((particles[0][0] - y) ** 2).sum(axis=0)
    best = np.log(settled_gamma(sse, 7, a0, b0))
    for shift in (-1e-3, 1e-3):
        assert by_hand(particles[0][0], particles[0][1], best + shift, particles[0][3]) < by_hand(
            particles[0][0], particles[0][1], best, particles[0][3])
