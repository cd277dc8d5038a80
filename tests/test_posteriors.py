"""Posterior samplers on one contract: the square toy's exact posterior, the box maps, the surrogate posterior, and
MCMC, SVGD, the INN and DBUQ all answering sample(y_obs, n, seed) -> (n, d) in the parameters' units."""
import math

import numpy as np
import pytest
import torch

from nnkit.core.scaling import BoxTransform
from nnkit.inference.bnn import SVGDRegressor
from nnkit.inference.dbuq import DBUQ
from nnkit.inference.flows import INNCalibrator
from nnkit.inference.metrics import marginal_w1
from nnkit.inference.diagnostics import ess_bulk, rhat
from nnkit.inference.posteriors import MCMCSampler, SurrogatePosterior, SVGDSampler, residual_correlation
from nnkit.problems.square_toy import SquareToy, sample_grid_density


def test_square_toy_posterior_is_normalised_with_two_modes():
    toy = SquareToy()
    grid, density = toy.posterior_density(1.0)
    assert np.trapezoid(density, grid) == pytest.approx(1.0)
    np.testing.assert_allclose(density, density[::-1], rtol=1e-12)
    peaks = grid[np.argsort(density)[-2:]]
    np.testing.assert_allclose(np.sort(np.abs(peaks)), [1.0, 1.0], atol=0.01)
    samples = toy.sample(1.0, 20000, seed=0)
    np.testing.assert_array_equal(samples, sample_grid_density(grid, density, 20000, seed=0))
    assert np.mean(samples > 0) == pytest.approx(0.5, abs=0.02)
    assert np.abs(samples).mean() == pytest.approx(np.trapezoid(np.abs(grid) * density, grid), abs=0.005)


def test_square_toy_samples_and_log_posterior():
    x, y = SquareToy().simulate(5000, seed=1)
    assert x.shape == y.shape == (5000, 1) and np.abs(x).max() <= 2
    assert np.std(y - x**2) == pytest.approx(0.1, rel=0.05)
    log_p = SquareToy().log_posterior(1.0)(torch.tensor([[1.0], [0.0], [2.5]]))
    assert log_p[0] == 0 and log_p[1] == pytest.approx(-50.0) and log_p[2] == -math.inf
    with pytest.raises(ValueError, match=r"y_obs must hold 1 values \(one per output of the square toy\); got 2"):
        SquareToy().posterior_density([1.0, 2.0])
    with pytest.raises(ValueError, match="noise_sd must be a positive"):
        SquareToy(noise_sd=0.0)


def test_box_transform_round_trips_and_prior_density():
    box = BoxTransform(np.array([0.0, 10.0]), np.array([1.0, 20.0]))
    x = np.array([[0.3, 12.0], [0.9, 19.0]])
    np.testing.assert_allclose(box.to_box(box.to_unbounded(x)), x)
    np.testing.assert_allclose(box.from_unit(box.to_unit(x)), x)
    np.testing.assert_allclose(box.to_unit(x), [[0.3, 0.2], [0.9, 0.9]])
    w = torch.linspace(-8, 8, 4001, dtype=torch.float64)[:, None]
    density = torch.exp(BoxTransform(np.zeros(1), np.ones(1)).log_prior_unbounded(w)).numpy()
    assert np.trapezoid(density, w[:, 0].numpy()) == pytest.approx(1.0, abs=1e-3)  # a standard logistic density
    np.testing.assert_allclose(box.to_box_tensor(torch.tensor(box.to_unbounded(x))).numpy(), x)
    np.testing.assert_allclose(box.from_unit_tensor(torch.tensor(box.to_unit(x))).numpy(), x)
    assert np.all(np.isfinite(box.to_box(np.array([[-800.0, 800.0]]))))
    with pytest.raises(ValueError, match="upper > lower"):
        BoxTransform(np.ones(2), np.zeros(2))


# --- a surrogate posterior on a box far from the unit cube --------------------------------------------------------
BOX = BoxTransform([0.0, 100.0], [1.0, 300.0])


@pytest.fixture(scope="module")
def surrogate():
    rng = np.random.default_rng(0)
    x = BOX.from_unit(rng.random((200, 2)))
    u = BOX.to_unit(x)
    y = np.c_[u.sum(axis=1), u[:, 0] - u[:, 1]]
    return SVGDRegressor(n_iter=600, n_particles=5, hidden=10, lr=3e-3).fit(x, y)


def test_predictive_tensors_match_predict(surrogate):
    x = BOX.from_unit(np.random.default_rng(1).random((7, 2)))
    mean, var = surrogate.predictive_tensors(torch.tensor(x))
    pred = surrogate.predict(x)
    np.testing.assert_allclose(mean.detach().numpy(), pred.mean, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(var.detach().numpy(), pred.variance, rtol=1e-3, atol=1e-6)


def test_surrogate_posterior_is_the_gaussian_likelihood_on_the_box(surrogate):
    log_post = SurrogatePosterior(surrogate, noise_sd=[0.1, 0.2], box=BOX).log_posterior([1.0, 0.0])
    x = torch.tensor([[0.5, 150.0], [0.2, 290.0], [1.2, 150.0], [0.5, 99.0]], dtype=torch.float64)
    mean, var = surrogate.predictive_tensors(x[:2])
    var = var + torch.tensor([0.01, 0.04])
    manual = -0.5 * (((mean - torch.tensor([1.0, 0.0])) ** 2) / var + torch.log(var)).sum(dim=1)
    log_p = log_post(x)
    torch.testing.assert_close(log_p[:2].float(), manual)
    assert log_p[2] == log_p[3] == -math.inf and log_p.dtype == torch.float64


def test_correlated_errors_give_the_multivariate_gaussian_likelihood(surrogate):
    r = np.array([[1.0, 0.8], [0.8, 1.0]])
    posterior = SurrogatePosterior(surrogate, noise_sd=[0.1, 0.2], box=BOX, error_correlation=r)
    x = torch.tensor([[0.5, 150.0], [0.2, 290.0], [0.9, 120.0]], dtype=torch.float64)
    y_obs = torch.tensor([1.0, 0.0])
    mean, var = surrogate.predictive_tensors(x)
    sd = var.sqrt()
    noise = torch.diag(torch.tensor([0.01, 0.04]))
    cov = sd[:, :, None] * torch.tensor(r, dtype=torch.float32) * sd[:, None, :] + noise
    exact = torch.distributions.MultivariateNormal(mean, covariance_matrix=cov).log_prob(y_obs) + math.log(2 * math.pi)
    torch.testing.assert_close(posterior.log_likelihood(x, y_obs), exact, rtol=1e-5, atol=1e-5)
    independent = SurrogatePosterior(surrogate, [0.1, 0.2], BOX, error_correlation=np.eye(2))
    torch.testing.assert_close(independent.log_likelihood(x, y_obs),
                               SurrogatePosterior(surrogate, [0.1, 0.2], BOX).log_likelihood(x, y_obs))


def test_residual_correlation_recovers_correlated_errors(surrogate):
    rng = np.random.default_rng(3)
    x = BOX.from_unit(rng.random((4000, 2)))
    with torch.no_grad():
        mean, var = (v.double().numpy() for v in surrogate.predictive_tensors(torch.tensor(x)))
    z = rng.multivariate_normal([0, 0], [[1.0, -0.6], [-0.6, 1.0]], size=4000)
    r = residual_correlation(surrogate, x, mean + np.sqrt(var) * z)
    assert r[0, 1] == pytest.approx(-0.6, abs=0.03) and np.allclose(np.diag(r), 1.0)


def test_surrogate_posterior_bad_input(surrogate):
    with pytest.raises(ValueError, match="y_obs must hold 2 values"):
        SurrogatePosterior(surrogate, 0.1, BOX).log_posterior([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="y_obs contains 1 NaN"):
        SurrogatePosterior(surrogate, 0.1, BOX).log_posterior([1.0, np.nan])
    with pytest.raises(ValueError, match="noise_sd must be a positive number or 2 positive numbers"):
        SurrogatePosterior(surrogate, [0.1, 0.0], BOX)
    with pytest.raises(TypeError, match="surrogate must provide predictive_tensors"):
        SurrogatePosterior(object(), 0.1, BOX)
    with pytest.raises(ValueError, match="box must have 2 dimensions"):
        SurrogatePosterior(surrogate, 0.1, BoxTransform([0.0], [1.0]))
    with pytest.raises(ValueError, match="error_correlation must be a \\(2, 2\\) correlation matrix"):
        SurrogatePosterior(surrogate, 0.1, BOX, error_correlation=np.eye(3))
    with pytest.raises(ValueError, match="unit diagonal"):
        SurrogatePosterior(surrogate, 0.1, BOX, error_correlation=[[2.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="positive definite"):
        SurrogatePosterior(surrogate, 0.1, BOX, error_correlation=[[1.0, 1.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match="held-out runs"):
        residual_correlation(surrogate, np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(TypeError, match="posterior must have a box"):
        MCMCSampler(surrogate)


# --- every sampler on the square toy, against its exact posterior ------------------------------------------------
@pytest.fixture(scope="module")
def toy_samplers():
    toy = SquareToy()
    x, y = toy.simulate(5000, seed=0)
    return toy, {
        "MCMC": MCMCSampler(toy, n_chains=32, n_steps=1200, initial_scale=0.02),
        "SVGD": SVGDSampler(toy, n_iter=200, lr=0.05),
        "INN": INNCalibrator(1, 1, noise_sd=0.1, box=toy.box, hidden=32, n_blocks=3, n_iter=300).fit(x, x**2),
        "DBUQ": DBUQ(y_bandwidth=0.063, eps=1e-4, ode_steps=100, box=toy.box, n_labels=1500, n_neighbours=256,
                     n_iter=300).fit(x, y),
    }


@pytest.mark.slow
@pytest.mark.parametrize("name", ["MCMC", "SVGD", "INN", "DBUQ"])
def test_every_sampler_answers_the_same_call(toy_samplers, name):
    toy, samplers = toy_samplers
    draws = samplers[name].sample([1.0], n=200, seed=3)
    assert isinstance(draws, np.ndarray) and draws.shape == (200, 1)
    assert np.all(np.abs(draws) <= 2)
    np.testing.assert_array_equal(draws, samplers[name].sample([1.0], n=200, seed=3))
    exact = toy.sample(1.0, 4000, seed=9)
    # MCMC chains seldom cross between the roots, so the share in each comes from the starts: compare |x|
    # (the INN and DBUQ train for seconds here; test_flows and test_dbuq score them trained longer)
    assert marginal_w1(np.abs(draws), np.abs(exact))[0] < (0.05 if name in ("MCMC", "SVGD") else 0.35)
    assert 0.2 < np.mean(draws > 0) < 0.8   # both roots
    with pytest.raises(ValueError, match="n must be a positive integer"):
        samplers[name].sample([1.0], n=0)
    with pytest.raises(ValueError, match="y_obs must hold 1 values"):
        samplers[name].sample([1.0, 2.0], n=10)


@pytest.mark.slow
def test_mcmc_sampler_keeps_its_run_for_diagnostics(toy_samplers):
    _, samplers = toy_samplers
    mcmc = samplers["MCMC"]
    draws = mcmc.sample([0.0], n=1000, seed=1)              # one mode, around x = 0
    assert mcmc.result.samples.shape == (600, 32, 1)        # half the steps adapt and are dropped
    assert np.all(np.abs(mcmc.result.samples) <= 2)         # in the parameter's units, not the unit cube
    chain_of = {value: chain for chain in range(32) for value in mcmc.result.samples[:, chain, 0]}
    assert all(value in chain_of for value in draws[:, 0])
    assert len({chain_of[value] for value in draws[:, 0]}) == 32     # a subset of every chain, not of a few
    assert rhat(mcmc.result.samples).max() < 1.05 and ess_bulk(mcmc.result.samples).min() > 500
    with pytest.raises(ValueError, match="exceeds the 19200 draws the chains keep; raise n_steps"):
        mcmc.sample([0.0], n=20000)
    with pytest.raises(ValueError, match=r"n_adapt must be an int in \[0, n_steps = 100\)"):
        MCMCSampler(SquareToy(), n_steps=100, n_adapt=100)


def test_samplers_work_in_the_parameters_own_units(surrogate):
    """On a box of very different scales the sampler objects still move every parameter: they work on u or w."""
    posterior = SurrogatePosterior(surrogate, [0.05, 0.05], BOX)
    u_true = np.array([0.3, 0.6])
    y_obs = surrogate.predict(BOX.from_unit(u_true[None])).mean[0]
    for sampler in (MCMCSampler(posterior, n_chains=16, n_steps=600), SVGDSampler(posterior, n_iter=200)):
        draws = sampler.sample(y_obs, n=200, seed=0)
        assert np.all((draws >= BOX.lower) & (draws <= BOX.upper))
        np.testing.assert_allclose(BOX.to_unit(draws).mean(axis=0), u_true, atol=0.15)
