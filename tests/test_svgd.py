import math

import numpy as np
import pytest
import torch

from nnkit.inference import svgd
from nnkit.problems import densities


def numpy_svgd_direction(x, grad, h):
    """Liu & Wang (2016), Eq. 8, written pair by pair: phi(x_i) = 1/n sum_j [k_ji grad_j + d k(x_j, x_i) / d x_j]."""
    n = len(x)
    phi = np.zeros_like(x)
    for i in range(n):
        for j in range(n):
            k = np.exp(-np.sum((x[j] - x[i]) ** 2) / h)
            phi[i] += k * grad[j] + k * (-2.0 / h) * (x[j] - x[i])
    return phi / n


def test_direction_matches_the_paper_formula():
    rng = np.random.default_rng(0)
    x, grad = rng.normal(size=(7, 3)), rng.normal(size=(7, 3))
    dist = [np.linalg.norm(x[i] - x[j]) for i in range(7) for j in range(i + 1, 7)]
    h = np.median(dist) ** 2 / math.log(7)
    phi, attractive, repulsive = svgd.svgd_direction(torch.tensor(x), torch.tensor(grad))
    np.testing.assert_allclose(phi.numpy(), numpy_svgd_direction(x, grad, h), rtol=1e-12)
    np.testing.assert_allclose((attractive + repulsive).numpy(), phi.numpy(), rtol=1e-15)
    assert svgd.median_bandwidth(torch.tensor(x)) == pytest.approx(h, rel=1e-12)


@pytest.mark.parametrize("n", [2, 4, 8])  # 1, 6 and 28 pairs: the even counts pin down the averaged median
def test_median_bandwidth_matches_numpy(n):
    x = np.random.default_rng(n).normal(size=(n, 3))
    dist = [np.linalg.norm(x[i] - x[j]) for i in range(n) for j in range(i + 1, n)]
    assert svgd.median_bandwidth(torch.tensor(x)) == pytest.approx(np.median(dist) ** 2 / math.log(n), rel=1e-12)


def test_fixed_bandwidth_is_used_as_given():
    rng = np.random.default_rng(1)
    x, grad = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    phi, _, _ = svgd.svgd_direction(torch.tensor(x), torch.tensor(grad), bandwidth=0.7)
    np.testing.assert_allclose(phi.numpy(), numpy_svgd_direction(x, grad, 0.7), rtol=1e-12)


def test_one_particle_is_gradient_ascent():
    x = torch.tensor([[0.3, -0.2]], dtype=torch.float64)
    phi, _, repulsive = svgd.svgd_direction(x, torch.tensor([[1.0, 2.0]], dtype=torch.float64))
    torch.testing.assert_close(phi, torch.tensor([[1.0, 2.0]], dtype=torch.float64))
    assert torch.all(repulsive == 0)


def test_particles_recover_a_gaussian():
    torch.manual_seed(0)
    mean, cov = torch.tensor([1.0, -1.0], dtype=torch.float64), torch.tensor([[1.0, 0.8], [0.8, 1.0]],
                                                                              dtype=torch.float64)
    start = torch.randn(200, 2, dtype=torch.float64) * 0.5 - 3.0
    x, history = svgd.svgd(densities.gaussian_log_prob(mean, cov), start, n_iter=600, lr=0.05, record_every=100)
    torch.testing.assert_close(x.mean(0), mean, atol=0.05, rtol=0)
    torch.testing.assert_close(torch.cov(x.T), cov, atol=0.15, rtol=0)
    assert history["step"] == [0, 100, 200, 300, 400, 500, 600]
    assert len(history["particles"]) == 7 and torch.equal(history["particles"][0], start)


def test_mixture_keeps_both_modes():
    torch.manual_seed(1)
    x, _ = svgd.svgd(densities.density_2d("mixture"), torch.randn(100, 2, dtype=torch.float64), n_iter=400,
                     lr=0.05)
    share_right = float((x[:, 0] > 0).double().mean())
    assert 0.3 < share_right < 0.7


def test_same_start_same_result():
    start = torch.randn(20, 2, dtype=torch.float64)
    a, _ = svgd.svgd(densities.banana_log_prob, start, n_iter=20)
    b, _ = svgd.svgd(densities.banana_log_prob, start, n_iter=20)
    torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_bad_inputs():
    start = torch.zeros(4, 2, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"particles must be a floating-point tensor of shape \(n, d\)"):
        svgd.svgd(densities.banana_log_prob, torch.zeros(4), n_iter=1)
    with pytest.raises(ValueError, match="particles contain NaN"):
        svgd.svgd(densities.banana_log_prob, torch.full((4, 2), float("nan")), n_iter=1)
    with pytest.raises(ValueError, match="lr must be a positive"):
        svgd.svgd(densities.banana_log_prob, start, lr=0)
    with pytest.raises(ValueError, match="bandwidth must be a positive"):
        svgd.svgd(densities.banana_log_prob, start, bandwidth="mean")
    with pytest.raises(ValueError, match=r"log_prob must map particles \(n, d\) to shape \(n,\)"):
        svgd.svgd(lambda x: x.sum(), start, n_iter=1)
    with pytest.raises(ValueError, match="target must be one of"):
        densities.density_2d("donut")
