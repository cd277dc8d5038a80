"""DBUQ: the schedule, the Monte Carlo score against autograd of the mixture density, the reverse ODE against an
exact Gaussian posterior, the trained generator on the square toy, and bad input."""
import math

import numpy as np
import pytest
import torch

from nnkit.core.scaling import BoxTransform
from nnkit.inference.dbuq import (DBUQ, Schedule, kernel_ess, kernel_log_weights, mc_score, monte_carlo_set,
                                  ode_velocity, reverse_ode)
from nnkit.inference.metrics import marginal_w1
from nnkit.problems.square_toy import SquareToy, sample_grid_density


def test_schedule_ends_and_diffusion_coefficient():
    s = Schedule(eps=0.01)
    assert s.alpha(0.0) == 1 and s.beta2(0.0) == pytest.approx(0.01)
    assert s.alpha(1.0) == pytest.approx(0.01) and s.beta2(1.0) == pytest.approx(1.0)
    t, dt = 0.37, 1e-6  # sigma^2 = d beta^2/dt - 2 b beta^2 with b = d log alpha / dt
    b = (math.log(s.alpha(t + dt)) - math.log(s.alpha(t - dt))) / (2 * dt)
    assert s.drift(t) == pytest.approx(b, rel=1e-6)
    assert s.diffusion2(t) == pytest.approx((s.beta2(t + dt) - s.beta2(t - dt)) / (2 * dt) - 2 * b * s.beta2(t))
    with pytest.raises(ValueError, match="eps must be in"):
        Schedule(eps=0.0)


def test_mc_score_is_the_gradient_of_the_log_mixture():
    gen = torch.Generator().manual_seed(0)
    x_near = torch.randn(3, 7, 2, generator=gen, dtype=torch.float64)
    log_k = torch.randn(3, 7, generator=gen, dtype=torch.float64)
    z = torch.randn(3, 2, generator=gen, dtype=torch.float64, requires_grad=True)
    s, t = Schedule(0.05), 0.4
    alpha, beta2 = s.alpha(t), s.beta2(t)
    log_mix = torch.logsumexp(log_k - ((z[:, None] - alpha * x_near) ** 2).sum(2) / (2 * beta2), dim=1)
    (grad,) = torch.autograd.grad(log_mix.sum(), z)
    torch.testing.assert_close(mc_score(z.detach(), t, x_near, log_k, s), grad)


def test_cancellation_free_velocity_equals_b_z_minus_half_sigma2_score():
    gen = torch.Generator().manual_seed(1)
    x_near = torch.randn(4, 9, 3, generator=gen, dtype=torch.float64)
    log_k = torch.zeros(4, 9, dtype=torch.float64)
    z = torch.randn(4, 3, generator=gen, dtype=torch.float64)
    s = Schedule(1e-3)
    for t in (0.05, 0.5, 0.99):
        direct = s.drift(t) * z - 0.5 * s.diffusion2(t) * mc_score(z, t, x_near, log_k, s)
        torch.testing.assert_close(ode_velocity(z, t, x_near, log_k, s), direct)


@pytest.mark.slow
def test_reverse_ode_maps_the_normal_onto_a_gaussian_prior_posterior():
    """Prior x ~ N(0, 1), y = x + N(0, 0.5^2): the ODE with kernel h on noiseless y targets x | y0 with
    posterior N(y0 / (1 + h^2), h^2 / (1 + h^2)); many prior samples make the mixture close to it."""
    gen = torch.Generator().manual_seed(2)
    x_prior = torch.randn(5000, 1, generator=gen, dtype=torch.float64)
    h, y0 = 0.5, 0.8
    y = torch.full((1, 1), y0, dtype=torch.float64)
    x_near, log_k = monte_carlo_set(y, x_prior, x_prior, torch.tensor([h], dtype=torch.float64), 5000)
    z1 = torch.randn(1500, 1, generator=gen, dtype=torch.float64)
    x = torch.cat([reverse_ode(z, x_near.expand(len(z), -1, -1), log_k.expand(len(z), -1), Schedule(1e-4), ode_steps=50)
                   for z in z1.split(25)])  # 25 x 5000 temporaries (1 MB) stay in the allocator's cache
    assert x.mean().item() == pytest.approx(y0 / (1 + h**2), abs=0.03)
    assert x.std().item() == pytest.approx(math.sqrt(h**2 / (1 + h**2)), rel=0.05)


def test_kernel_ess_counts_equal_weights():
    y_prior = torch.zeros(50, 2)
    assert kernel_ess(kernel_log_weights(torch.zeros(1, 2), y_prior, torch.ones(2))).item() == pytest.approx(50)


@pytest.fixture(scope="module")
def toy_dbuq():
    x, y = SquareToy().simulate(20000, seed=0)  # enough runs near y = 1 that the two modes weigh alike
    return DBUQ(y_bandwidth=0.063, eps=1e-4, ode_steps=100, n_labels=5000, n_neighbours=512, n_iter=1500,
                seed=0).fit(x, y)


@pytest.mark.slow
def test_dbuq_toy_finds_both_modes_of_the_square(toy_dbuq):
    exact = SquareToy().sample(1.0, 8000, seed=1)
    samples = toy_dbuq.sample([1.0], 8000)
    assert abs(np.mean(samples > 0) - 0.5) < 0.05
    assert marginal_w1(samples, exact)[0] < 0.1
    # the ODE samples the kernel-smoothed target, whose noise variance is 0.1^2 + h^2
    grid, smoothed = SquareToy(noise_sd=np.hypot(0.1, 0.063)).posterior_density(1.0)
    ode = toy_dbuq.sample_ode([1.0], 2000)
    assert marginal_w1(ode, sample_grid_density(grid, smoothed, 8000, seed=1))[0] < 0.06
    assert toy_dbuq.history["label_ess"].median() > 50


@pytest.mark.slow
def test_dbuq_is_deterministic(toy_dbuq):
    np.testing.assert_array_equal(toy_dbuq.sample([0.5], 100, seed=3), toy_dbuq.sample([0.5], 100, seed=3))


@pytest.mark.slow
def test_dbuq_bad_input(toy_dbuq):
    with pytest.raises(ValueError, match="y_obs must hold 1 values"):
        toy_dbuq.sample([1.0, 2.0])
    with pytest.raises(ValueError, match="y_obs contains 1 NaN"):
        toy_dbuq.sample([np.nan])
    with pytest.raises(ValueError, match="x_prior and y_prior must have the same number of samples"):
        DBUQ().fit(np.zeros((10, 1)), np.zeros((9, 1)))
    with pytest.raises(ValueError, match="y_bandwidth must be a positive number or 2"):
        DBUQ(y_bandwidth=[1.0, 2.0, 3.0]).set_prior(np.random.rand(10, 1), np.random.rand(10, 2))
    with pytest.raises(RuntimeError, match="call fit"):
        DBUQ().sample([1.0])
    with pytest.raises(ValueError, match="activation must be one of"):
        DBUQ(activation="swish")
    with pytest.raises(ValueError, match="n_neighbours must be a positive integer"):
        DBUQ(n_neighbours=0)


def test_the_monte_carlo_set_grows_with_the_kernel_ess():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((4000, 2)), rng.standard_normal((4000, 1))
    narrow = DBUQ(y_bandwidth=0.01).set_prior(x, y)
    wide = DBUQ(y_bandwidth=0.1).set_prior(x, y)
    assert narrow.neighbours == 250                      # the floor: few samples under a narrow kernel
    with torch.no_grad():
        ess = kernel_ess(kernel_log_weights(wide._y_prior, wide._y_prior, wide._h)).median()
    assert abs(wide.neighbours - 3 * float(ess)) < 0.1 * 3 * float(ess) and wide.neighbours < 4000   # 256 probes
    assert DBUQ(y_bandwidth=1.0, n_neighbours=100).set_prior(x, y).neighbours == 100   # an explicit size is kept
    assert DBUQ(y_bandwidth=1.0, n_neighbours=10**6).set_prior(x, y).neighbours == 4000   # at most all samples


@pytest.mark.slow
def test_n_is_checked_before_it_is_used(toy_dbuq):
    for draw in (toy_dbuq.sample, toy_dbuq.sample_ode):
        with pytest.raises(ValueError, match="n must be a positive integer; got -5"):
            draw([1.0], n=-5)


@pytest.mark.slow
def test_history_has_the_keys_every_estimator_keeps(toy_dbuq):
    history = toy_dbuq.history
    assert {"step", "train_loss", "val_loss", "best_step", "seconds", "label_ess", "ode_seconds"} <= set(history)
    assert len(history["step"]) == len(history["train_loss"]) == len(history["val_loss"]) == 61   # every 25 of 1500
    assert history["val_loss"][history["step"].index(history["best_step"])] == min(history["val_loss"])
    assert history["seconds"] >= history["ode_seconds"] + history["train_seconds"]


def test_a_box_keeps_samples_inside_it_in_the_parameters_units():
    """u uniform on [0, 1]^2 with y = u1 + 2 u2 + noise: the posterior lies on a line, inside a box far from 0."""
    box = BoxTransform([10.0, -2e-6], [20.0, 2e-6])
    rng = np.random.default_rng(0)
    x = box.from_unit(rng.random((4000, 2)))
    y = box.to_unit(x) @ np.array([[1.0], [2.0]]) + 0.05 * rng.standard_normal((4000, 1))
    dbuq = DBUQ(y_bandwidth=0.05, box=box, ode_steps=50, n_labels=500, n_neighbours=512, n_iter=300).fit(x, y)
    for samples in (dbuq.sample([1.5], 2000), dbuq.sample_ode([1.5], 500)):
        assert np.all((samples >= box.lower) & (samples <= box.upper))
        assert abs(np.mean(box.to_unit(samples) @ [1.0, 2.0]) - 1.5) < 0.1
    with pytest.raises(ValueError, match="x_prior must have 2 columns like the box"):
        DBUQ(box=box).fit(x[:, :1], y)
