"""Calibration problems: the square toy's exact posterior, the box logit map, the surrogate posterior."""
import math

import numpy as np
import pytest
import torch

from nnkit.bnn import SVGDRegressor
from nnkit.calibration import (BoxTransform, SurrogatePosterior, sample_grid_density, square_toy,
                               square_toy_log_posterior, square_toy_posterior)


def test_square_toy_posterior_is_normalised_with_two_modes():
    grid, density = square_toy_posterior(1.0)
    assert np.trapezoid(density, grid) == pytest.approx(1.0)
    np.testing.assert_allclose(density, density[::-1], rtol=1e-12)
    peaks = grid[np.argsort(density)[-2:]]
    np.testing.assert_allclose(np.sort(np.abs(peaks)), [1.0, 1.0], atol=0.01)
    samples = sample_grid_density(grid, density, 20000, seed=0)
    assert np.mean(samples > 0) == pytest.approx(0.5, abs=0.02)
    assert np.abs(samples).mean() == pytest.approx(np.trapezoid(np.abs(grid) * density, grid), abs=0.005)


def test_square_toy_samples_and_log_posterior():
    x, y = square_toy(5000, seed=1)
    assert x.shape == y.shape == (5000, 1) and np.abs(x).max() <= 2
    assert np.std(y - x**2) == pytest.approx(0.1, rel=0.05)
    log_p = square_toy_log_posterior(1.0)(torch.tensor([[1.0], [0.0], [2.5]]))
    assert log_p[0] == 0 and log_p[1] == pytest.approx(-50.0) and log_p[2] == -math.inf
    with pytest.raises(ValueError, match="y_obs of the square toy must be one number"):
        square_toy_posterior([1.0, 2.0])


def test_box_transform_round_trip_and_prior_density():
    box = BoxTransform(np.array([0.0, 10.0]), np.array([1.0, 20.0]))
    x = np.array([[0.3, 12.0], [0.9, 19.0]])
    np.testing.assert_allclose(box.to_box(box.to_unbounded(x)), x)
    w = torch.linspace(-8, 8, 4001, dtype=torch.float64)[:, None]
    density = torch.exp(BoxTransform(np.zeros(1), np.ones(1)).log_prior_unbounded(w)).numpy()
    assert np.trapezoid(density, w[:, 0].numpy()) == pytest.approx(1.0, abs=1e-3)  # a standard logistic density
    np.testing.assert_allclose(box.to_box_tensor(torch.tensor(box.to_unbounded(x))).numpy(), x)
    with pytest.raises(ValueError, match="upper > lower"):
        BoxTransform(np.ones(2), np.zeros(2))


@pytest.fixture(scope="module")
def surrogate():
    rng = np.random.default_rng(0)
    u = rng.random((200, 2))
    y = np.c_[u.sum(axis=1), u[:, 0] - u[:, 1]]
    return SVGDRegressor(n_iter=200, n_particles=5, hidden=10).fit(u, y)


def test_predictive_tensors_match_predict(surrogate):
    u = np.random.default_rng(1).random((7, 2))
    mean, var = surrogate.predictive_tensors(torch.tensor(u))
    pred = surrogate.predict(u)
    np.testing.assert_allclose(mean.detach().numpy(), pred.mean, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(var.detach().numpy(), pred.variance, rtol=1e-3, atol=1e-6)


def test_surrogate_posterior_is_the_gaussian_likelihood_on_the_box(surrogate):
    post = SurrogatePosterior(surrogate, [1.0, 0.0], noise_sd=[0.1, 0.2])
    u = torch.tensor([[0.5, 0.5], [0.2, 0.9], [1.2, 0.5]], dtype=torch.float64)
    mean, var = surrogate.predictive_tensors(u[:2])
    var = var + torch.tensor([0.01, 0.04])
    manual = -0.5 * (((mean - torch.tensor([1.0, 0.0])) ** 2) / var + torch.log(var)).sum(dim=1)
    log_p = post.log_prob(u)
    torch.testing.assert_close(log_p[:2].float(), manual)
    assert log_p[2] == -math.inf
    w = torch.tensor([[0.3, -1.0]], dtype=torch.float64)
    u_w = torch.sigmoid(w)
    jacobian = torch.log(u_w * (1 - u_w)).sum(dim=1)
    torch.testing.assert_close(post.log_prob_unbounded(w), post.log_prob(u_w) + jacobian, rtol=1e-5, atol=1e-5)


def test_surrogate_posterior_bad_input(surrogate):
    with pytest.raises(ValueError, match="y_obs must hold 2 values"):
        SurrogatePosterior(surrogate, [1.0, 2.0, 3.0], 0.1)
    with pytest.raises(ValueError, match="y_obs contains 1 NaN"):
        SurrogatePosterior(surrogate, [1.0, np.nan], 0.1)
    with pytest.raises(ValueError, match="noise_sd must be a positive number or 2 positive numbers"):
        SurrogatePosterior(surrogate, [1.0, 2.0], [0.1, 0.0])
    with pytest.raises(TypeError, match="surrogate must provide predictive_tensors"):
        SurrogatePosterior(object(), [1.0], 0.1)
