"""The mini land model at many sites: the descriptor-driven weather, one run for many sites, the shipped site cases
and their exact posteriors, and a surrogate across sites seen at one site."""
import numpy as np
import pytest
import torch

from nnkit.inference.posteriors import FixedInputs
from nnkit.problems import landmodel as lm
from nnkit.problems.landmodel import sites
from nnkit.workflow.chunks import plan
from nnkit.workflow.cli import main

LH = [lm.OUTPUT_NAMES.index(name) for name in lm.CALIBRATED_OUTPUTS]


def test_the_weather_of_a_site_has_the_mean_temperature_and_rain_of_its_descriptors():
    descriptors = np.array([[33.0, 16.0, 700.0], [44.0, 10.0, 1300.0]])
    weather = sites.site_weather(descriptors)
    assert weather.n_sites == 2 and weather.tmean.shape == (1825, 2) and weather.doy.shape == (1825,)
    np.testing.assert_allclose(weather.tmean.mean(axis=0), descriptors[:, 1], atol=1e-9)
    np.testing.assert_allclose(weather.precip.sum(axis=0) / 5, descriptors[:, 2], rtol=1e-12)
    summer, winter = weather.doy == 172, weather.doy == 355
    assert np.all(np.diff(weather.dayl[summer], axis=1) > 0) and np.all(np.diff(weather.dayl[winter], axis=1) < 0)
    swing = weather.tmean[weather.doy == 200].mean(axis=0) - weather.tmean[weather.doy == 15].mean(axis=0)
    assert swing[1] > swing[0]                                     # the north has the wider seasons
    assert weather.vpd[:, 0].mean() > 1.5 * weather.vpd[:, 1].mean()    # warm and dry: thirstier air
    assert lm.moflux_weather().n_sites is None


def test_a_member_gets_the_same_outputs_whatever_sites_share_its_run():
    descriptors = sites.sample_sites(5, seed=4)
    theta = lm.sample_prior(5, seed=4)
    together = sites.simulate_sites(theta, descriptors)
    in_pairs = sites.simulate_sites(theta, descriptors, max_sites=2)
    alone = np.vstack([lm.simulate(theta[i], weather=sites.site_weather(descriptors[i]), site=np.array([0]))
                       for i in (0, 3)])
    assert np.array_equal(together, in_pairs) and np.array_equal(together[[0, 3]], alone)


def test_rain_and_warmth_move_latent_heat_the_way_physics_says():
    theta = np.tile(lm.DEFAULTS, (3, 1))
    dry, wet, cool = [38.0, 15.0, 650.0], [38.0, 15.0, 1400.0], [38.0, 10.0, 1400.0]
    y = sites.simulate_sites(theta, np.array([dry, wet, cool]))
    assert np.all(y[1, LH] > y[0, LH])          # a water-limited forest evaporates more where it rains more
    assert np.all(y[2, LH] < y[1, LH])          # and less where it is cooler and the season shorter


def test_bad_sites_are_refused_with_the_column_and_its_range():
    with pytest.raises(ValueError, match=r"annual_precipitation.*outside the sites' range \[650, 1400\] mm/yr"):
        sites.site_weather([40.0, 12.0, 2000.0])
    with pytest.raises(ValueError, match="3 columns"):
        sites.check_descriptors(np.ones((2, 2)))
    weather = sites.site_weather(sites.sample_sites(2))
    theta = lm.sample_prior(3)
    with pytest.raises(ValueError, match=r"site must be one integer in \[0, 2\) per member, shape \(3,\)"):
        lm.simulate(theta, weather=weather, site=np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="site is for the weather of many sites"):
        lm.simulate(theta, site=np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="one row per member"):
        sites.simulate_sites(theta, sites.sample_sites(2))


def test_the_shipped_site_cases_are_what_the_model_and_the_seed_make():
    data = sites.load_site_data()
    m = len(data.descriptors)
    assert m == 20 and data.reference.shape == (m, 500, 8) and np.all(data.n_runs >= sites.REFERENCE_RUNS)
    descriptors, truth, observed = sites.site_cases(m)
    np.testing.assert_allclose(data.descriptors, descriptors, rtol=1e-6)
    np.testing.assert_allclose(data.truth, truth, rtol=1e-6)
    np.testing.assert_allclose(data.observed, observed, rtol=1e-6)
    assert np.all(data.ess >= 500) and set(data.n_runs) <= {10_000, 40_000}
    inside = (data.reference >= lm.LOWER) & (data.reference <= lm.UPPER)
    assert inside.all()


def test_a_shipped_reference_agrees_with_fresh_runs_of_the_model():
    data = sites.load_site_data()
    site = 0
    fresh = sites.site_reference_sampler(data.descriptors[site], n_runs=2000, seed=123)
    weights, ess = fresh.weights(data.observed[site])
    theta, _ = fresh.runs()
    fresh_mean = weights @ lm.to_unit(theta)
    shipped = lm.to_unit(data.reference[site])
    assert ess > 100
    # both are Monte Carlo estimates of the same posterior mean: 0.3 posterior sd is 4 standard errors or more
    assert np.all(np.abs(fresh_mean - shipped.mean(axis=0)) < 0.3 * shipped.std(axis=0) + 0.02)


class Sum:
    """A stand-in surrogate: mean = the inputs' sum and their squares' sum, variance = 1."""

    n_inputs, n_outputs = 4, 2

    def predictive_tensors(self, x):
        mean = torch.stack([x.sum(dim=1), (x**2).sum(dim=1)], dim=1)
        return mean, torch.ones_like(mean)


def test_fixed_inputs_feed_the_site_descriptors_after_the_parameters():
    at_site = FixedInputs(Sum(), [10.0, 20.0])
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    mean, var = at_site.predictive_tensors(x)
    assert at_site.n_inputs == 2 and at_site.n_outputs == 2
    assert torch.equal(mean, torch.tensor([[33.0, 505.0], [37.0, 525.0]])) and torch.equal(var, torch.ones(2, 2))
    with pytest.raises(ValueError, match="fewer than the surrogate's 4 inputs"):
        FixedInputs(Sum(), np.ones(4))


def test_nnkit_ensemble_runs_the_model_at_random_sites(tmp_path):
    out = tmp_path / "sites"
    assert main(["ensemble", "--model", "sites", "--n", "6", "--chunk", "3", "--workers", "0", "--quiet",
                 "--out", str(out)]) == 0
    with open(out / "ensemble.csv") as handle:
        header = handle.readline().strip().split(",")
    assert header == [*sites.DESCRIPTOR_NAMES, *lm.PARAMETER_NAMES, *lm.OUTPUT_NAMES]
    table = np.loadtxt(out / "ensemble.csv", delimiter=",", skiprows=1)
    descriptors, theta = table[:, :3], table[:, 3:11]
    assert len(np.unique(descriptors, axis=0)) == 6
    sites.check_descriptors(descriptors)
    np.testing.assert_allclose(table[:, 11:], sites.simulate_sites(theta, descriptors), rtol=1e-5, atol=1e-4)


def test_the_shipped_ensemble_across_sites_is_what_nnkit_ensemble_makes():
    descriptors, theta, lh = sites.load_site_ensemble()
    assert descriptors.shape == (24000, 3) and theta.shape == (24000, 8) and lh.shape == (24000, 5)
    chunks = plan(24000, 500, seed=1)           # nnkit ensemble --model sites --n 24000 --seed 1 (chunks of 500)
    last = chunks[-1]
    site_last = sites.sample_sites(500, seed=[*last.seed, 0])
    np.testing.assert_allclose(descriptors[-500:], site_last, rtol=1e-6)
    np.testing.assert_allclose(theta[-500:], lm.sample_prior(500, seed=[*last.seed, 1]), rtol=1e-6)
    first = chunks[0]
    site_0 = sites.sample_sites(500, seed=[*first.seed, 0])
    theta_0 = lm.sample_prior(500, seed=[*first.seed, 1])
    np.testing.assert_allclose(descriptors[:500], site_0, rtol=1e-6)
    np.testing.assert_allclose(theta[:500], theta_0, rtol=1e-6)
    np.testing.assert_allclose(lh[:4], sites.simulate_sites(theta_0[:4], site_0[:4])[:, LH], rtol=1e-6)
