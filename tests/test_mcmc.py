"""Adaptive Metropolis against a known Gaussian, with converged diagnostics."""
import numpy as np
import pytest
import torch

from nnkit.inference.diagnostics import ess_bulk, rhat
from nnkit.inference.mcmc import adaptive_metropolis

MEAN = torch.tensor([1.0, -2.0], dtype=torch.float64)
COV = torch.tensor([[1.0, 0.9], [0.9, 1.0]], dtype=torch.float64) * torch.tensor([[1.0, 3.0], [3.0, 9.0]],
                                                                                  dtype=torch.float64) ** 0.5
PRECISION = torch.linalg.inv(COV)


def gaussian_log_prob(x):
    diff = x - MEAN
    return -0.5 * torch.einsum("ni,ij,nj->n", diff, PRECISION, diff)


def test_recovers_a_correlated_gaussian():
    x0 = torch.zeros(16, 2, dtype=torch.float64)
    result = adaptive_metropolis(gaussian_log_prob, x0, n_steps=4000, seed=1)
    flat = result.flat()
    assert result.samples.shape == (2000, 16, 2)
    np.testing.assert_allclose(flat.mean(axis=0), MEAN.numpy(), atol=0.1)
    np.testing.assert_allclose(np.cov(flat.T), COV.numpy(), rtol=0.1, atol=0.05)
    assert 0.15 < result.acceptance_rate < 0.5  # the adapted proposal is near the 2.38^2/d optimum
    assert np.all(rhat(result.samples) < 1.01)
    assert np.all(ess_bulk(result.samples) > 2000)


def test_same_seed_same_chains():
    x0 = torch.zeros(4, 2, dtype=torch.float64)
    a = adaptive_metropolis(gaussian_log_prob, x0, n_steps=200, seed=5).samples
    b = adaptive_metropolis(gaussian_log_prob, x0, n_steps=200, seed=5).samples
    np.testing.assert_array_equal(a, b)


def test_bad_input_is_refused():
    good = torch.zeros(3, 2, dtype=torch.float64)
    with pytest.raises(ValueError, match="x0 must be"):
        adaptive_metropolis(gaussian_log_prob, torch.zeros(3), 10)
    with pytest.raises(ValueError, match="not finite"):
        adaptive_metropolis(lambda x: torch.full((x.shape[0],), -torch.inf, dtype=x.dtype), good, 10)
    with pytest.raises(ValueError, match="shape \\(chains,\\)"):
        adaptive_metropolis(lambda x: x.sum(), good, 10)
    with pytest.raises(ValueError, match="n_adapt"):
        adaptive_metropolis(gaussian_log_prob, good, 10, n_adapt=10)
