"""The one-box energy-balance model of lesson 07 and its exact grid posterior."""
import numpy as np
import pytest

from nnkit.problems import energy_balance as ebm


def test_yearly_update_is_exact_for_constant_forcing():
    """Against a fine explicit integration of C dT/dt = F - lambda T, year by year."""
    theta = np.array([[1.8, 8.0], [0.5, 2.0], [2.9, 39.0]])
    temperature = ebm.simulate(theta)
    forcing, sub = ebm.forcing(), 2000
    for (feedback, capacity), simulated in zip(theta, temperature):
        t, fine = 0.0, []
        for f in forcing:
            for _ in range(sub):
                t += (f - feedback * t) / capacity / sub
            fine.append(t)
        np.testing.assert_allclose(simulated, fine, atol=2e-3)


def test_equilibrium_is_forcing_over_feedback():
    """A fast box (C / lambda = 0.5 yr) follows the slowly rising forcing closely: T is about F / lambda."""
    assert ebm.simulate([[2.0, 1.0]])[0, -1] == pytest.approx(ebm.forcing()[-1] / 2.0, rel=5e-3)


def test_log_posterior_is_minus_infinity_outside_the_box_and_peaks_near_the_truth():
    record = ebm.synthetic_record(seed=1)
    outside = np.array([[0.2, 8.0], [1.8, 41.0]])
    assert np.all(np.isneginf(ebm.log_posterior(outside, record)))
    near, far = ebm.log_posterior([ebm.TRUTH, [1.2, 20.0]], record)
    assert near > far + 50


def test_posterior_grid_is_normalised_resolved_and_holds_the_truth():
    record = ebm.synthetic_record(seed=0)
    lam, cap, p = ebm.posterior_grid(record)
    assert p.shape == (301, 301) and p.sum() == pytest.approx(1.0)
    for values, marginal, truth, (low, high) in zip((lam, cap), (p.sum(axis=1), p.sum(axis=0)), ebm.TRUTH,
                                                    ebm.BOUNDS):
        assert marginal[[0, -1]].max() < 1e-6                   # the fine grid spans all the mass
        mean = (marginal * values).sum()
        sd = np.sqrt((marginal * (values - mean) ** 2).sum())
        assert abs(mean - truth) < 3 * sd and sd < 0.05 * (high - low)   # informative, and right
    coarse = ebm.posterior_grid(record, n=151)[2]
    assert abs((coarse.sum(axis=1) * np.linspace(lam[0], lam[-1], 151)).sum()
               - (p.sum(axis=1) * lam).sum()) < 1e-4           # the mean does not move with the resolution


@pytest.mark.parametrize("theta,match", [([[1.0, 2.0, 3.0]], "theta must be"), ([[-1.0, 8.0]], "positive")])
def test_simulate_rejects_bad_parameters(theta, match):
    with pytest.raises(ValueError, match=match):
        ebm.simulate(theta)


def test_synthetic_record_rejects_a_non_positive_noise():
    with pytest.raises(ValueError, match="noise_sd"):
        ebm.synthetic_record(noise_sd=0.0)
