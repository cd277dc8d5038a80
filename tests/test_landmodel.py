"""The mini land model: prior, weather, physically right responses, spin-up, bad input."""
import itertools
from dataclasses import replace

import numpy as np
import pytest

from nnkit.problems import landmodel as lm
from nnkit.problems.landmodel import hydrology
from nnkit.problems.landmodel.model import _new_model
from nnkit.problems.landmodel.spinup import spin_up, total_carbon
from nnkit.problems.landmodel.weather import MONTH_OF_DAY, YEAR_TARGETS

YEAR = {y: i for i, y in enumerate(lm.YEARS)}


def column(variable, year):
    return lm.OUTPUT_NAMES.index(f"{variable}_{year}")


def with_value(name, values):
    """Default parameters repeated, with parameter ``name`` set to each of ``values``: (len(values), 8)."""
    theta = np.tile(lm.DEFAULTS, (len(values), 1))
    theta[:, lm.PARAMETER_NAMES.index(name)] = values
    return theta


@pytest.fixture(scope="module")
def default_run():
    return lm.simulate(lm.DEFAULTS, daily=True)


@pytest.fixture(scope="module")
def prior_sample():
    theta = lm.sample_prior(200, seed=1)
    return theta, lm.simulate(theta)


def test_prior_samples_fill_the_box_reproducibly():
    theta = lm.sample_prior(500, seed=3)
    assert theta.shape == (500, 8)
    assert np.all(theta >= lm.LOWER) and np.all(theta <= lm.UPPER)
    np.testing.assert_array_equal(theta, lm.sample_prior(500, seed=3))
    assert not np.array_equal(theta, lm.sample_prior(500, seed=4))
    np.testing.assert_allclose(lm.to_unit(theta).mean(axis=0), 0.5, atol=0.05)
    np.testing.assert_allclose(lm.from_unit(lm.to_unit(theta)), theta, rtol=1e-12)


def test_parameter_table_holds_the_issue_ranges():
    ranges = {p.name: (p.low, p.high) for p in lm.PARAMETERS}
    assert ranges["crit_dayl"] == (35000, 45000) and ranges["br_mr"] == (1.5e-6, 4e-6)
    assert np.all((lm.DEFAULTS > lm.LOWER) & (lm.DEFAULTS < lm.UPPER))


def test_weather_meets_the_year_contrasts():
    w = lm.moflux_weather()
    assert w.n_days == 5 * 365
    for year, target in YEAR_TARGETS.items():
        days = w.year == year
        jja = days & np.isin(np.tile(MONTH_OF_DAY, 5), (5, 6, 7))
        assert w.tmean[days].mean() == pytest.approx(target["t"], abs=1e-9)
        assert w.precip[days].sum() == pytest.approx(target["p"], rel=1e-9)
        assert w.precip[jja].sum() == pytest.approx(target["jja_p"], rel=1e-9)
        assert w.vpd[jja].mean() == pytest.approx(target["jja_vpd"], rel=1e-9)
    april_7_2007 = (w.year == 2007) & (w.doy == 97)
    assert w.tmin[april_7_2007][0] == pytest.approx(-6.8)
    assert 9.2 * 3600 < w.dayl.min() < w.dayl.max() < 14.8 * 3600
    assert np.all(w.precip >= 0) and np.all(w.sw > 0)
    with pytest.raises(ValueError):
        w.tmean[0] = 0.0  # the cached forcing is read-only


def test_root_fractions_sum_to_one_and_shallow_roots_for_high_rootb():
    r = lm.root_fractions(np.array([0.5, 2.0, 4.0]), lm.DEFAULT_STRUCTURE.layer_bottoms)
    np.testing.assert_allclose(r.sum(axis=1), 1.0)
    assert r[0, 0] < r[1, 0] < r[2, 0]  # top layer share grows with rootb_par
    assert r[0, -1] > r[1, -1] > r[2, -1]


def test_default_magnitudes_match_the_moflux_forest(default_run):
    out, daily = default_run
    out = out[0]
    nee = out[[column("NEE", y) for y in lm.YEARS]]
    lai = out[[column("LAI", y) for y in lm.YEARS]]
    lh = out[[column("LH", y) for y in lm.YEARS]]
    assert np.all((nee > -500) & (nee < -50)), nee  # a sink every year, including the dry ones
    assert np.all((lai > 1.5) & (lai < 3.0)), lai  # annual mean; leaves are off half the year
    assert np.all((lh > 35) & (lh < 55)), lh
    gpp = daily["gpp"].reshape(5, 365).sum(axis=1)
    assert np.all((gpp > 1000) & (gpp < 1800)), gpp
    peak_lai = daily["lai"].reshape(5, 365).max(axis=1)
    assert np.all((peak_lai > 3.5) & (peak_lai < 6)), peak_lai
    leaf_on = daily["lai"].reshape(5, 365) > 1.0
    first, last = leaf_on.argmax(axis=1) + 1, 365 - leaf_on[:, ::-1].argmax(axis=1)
    assert np.all((first > 90) & (first < 145)) and np.all((last > 280) & (last < 320)), (first, last)
    np.testing.assert_allclose(daily["nee"], daily["ra"] + daily["rh"] - daily["gpp"], rtol=1e-12, atol=1e-12)


def test_drought_years_have_lower_latent_heat(default_run, prior_sample):
    out = default_run[0][0]
    assert out[column("LH", 2007)] < out[column("LH", 2008)] - 2
    theta, outputs = prior_sample
    drier = outputs[:, column("LH", 2007)] < outputs[:, column("LH", 2008)]
    # Deep roots (low rootb_par) reach the water the drought left, and 2007 was sunnier: those members may
    # transpire more. Members rooted no deeper than the default nearly all lose latent heat.
    not_deep = theta[:, lm.PARAMETER_NAMES.index("rootb_par")] >= lm.DEFAULTS[0]
    assert np.mean(drier[not_deep]) > 0.95 and np.mean(drier) > 0.85


def test_specific_leaf_area_raises_lai():
    out = lm.simulate(with_value("slatop", [0.02, 0.03, 0.04]))
    for year in lm.YEARS:
        lai = out[:, column("LAI", year)]
        assert lai[0] < lai[1] < lai[2]


def test_later_onset_and_earlier_offset_lower_lai():
    years = [column("LAI", y) for y in lm.YEARS[1:]]
    onset = lm.simulate(with_value("crit_onset_gdd", [600, 800, 1000]))[:, years].mean(axis=1)
    assert onset[0] > onset[1] > onset[2]
    offset = lm.simulate(with_value("crit_dayl", [36000, 40000, 44000]))[:, years].mean(axis=1)
    assert offset[0] > offset[1] > offset[2]


def test_shallow_roots_suffer_more_in_the_drought_year():
    out = lm.simulate(with_value("rootb_par", [0.5, 2.0, 4.0]))
    lh_2007 = out[:, column("LH", 2007)]
    assert lh_2007[0] > lh_2007[1] > lh_2007[2]


@pytest.mark.slow
def test_respiration_and_capacity_move_the_carbon_sink():
    nee = [column("NEE", y) for y in lm.YEARS]
    respiration = lm.simulate(with_value("br_mr", [1.5e-6, 2.5e-6, 4e-6]))[:, nee].sum(axis=1)
    assert respiration[0] < respiration[1] < respiration[2]  # more respiration, weaker sink
    capacity = lm.simulate(with_value("flnr", [0.1, 0.2, 0.4]))[:, nee].sum(axis=1)
    assert capacity[0] > capacity[1] > capacity[2]  # more Rubisco, stronger sink
    cheap_roots = lm.simulate(with_value("frootcn", [25, 60]))[:, nee].sum(axis=1)
    assert cheap_roots[1] < cheap_roots[0]  # less N per root carbon -> more growth under N limitation


@pytest.mark.slow
def test_members_are_independent_and_runs_deterministic(prior_sample):
    theta, outputs = prior_sample
    np.testing.assert_array_equal(lm.simulate(theta[:3]), outputs[:3])
    np.testing.assert_array_equal(lm.simulate(theta[7]), outputs[7:8])
    assert np.all(np.isfinite(outputs))


@pytest.mark.slow
def test_out_of_model_structure_changes_the_outputs():
    default = lm.simulate(lm.DEFAULTS)
    other = lm.simulate(lm.DEFAULTS, structure=lm.OUT_OF_MODEL)
    lh = [column("LH", y) for y in lm.YEARS]
    lower = default[0, lh] - other[0, lh]  # less water, less evaporation ...
    assert np.all(lower > -0.5) and lower.mean() > 1.5
    assert np.all(lower[:2] > 3.0)  # ... most in the dry 2006 and 2007


@pytest.mark.parametrize("theta, message", [
    (np.zeros((2, 7)), "8 columns"),
    (np.full((1, 8), np.nan), "NaN"),
    (with_value("slatop", [0.06]), "slatop"),
    (with_value("crit_dayl", [30000.0]), "crit_dayl"),
    ([[1, 2]], "8 columns"),
    ("abc", "numeric"),
])
def test_bad_parameters_are_refused(theta, message):
    with pytest.raises(ValueError, match=message):
        lm.simulate(theta)


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="n must be a positive integer"):
        lm.sample_prior(0)
    with pytest.raises(TypeError, match="structure"):
        lm.simulate(lm.DEFAULTS, structure={"q10_hr": 2})


def prior_corners():
    """All 2^8 corners of the prior box, (256, 8)."""
    return np.array(list(itertools.product(*[(p.low, p.high) for p in lm.PARAMETERS])))


def test_spin_up_reaches_equilibrium_at_the_defaults_and_every_corner_of_the_prior():
    drift = lm.spin_up_drift(np.vstack([lm.DEFAULTS, prior_corners()]))
    assert np.all(np.abs(drift) < 1.0), np.abs(drift).max()  # gC/m2/yr over the last equilibrium pass


def test_an_undisturbed_forest_in_equilibrium_neither_gains_nor_loses_carbon():
    never_cut = replace(lm.DEFAULT_STRUCTURE, stand_age=None, co2_past_ppm=lm.DEFAULT_STRUCTURE.co2_ppm)
    nee = lm.simulate(with_value("slatop", [0.02, 0.03, 0.04]), structure=never_cut)[:, :5]
    assert np.all(np.abs(nee.mean(axis=1)) < 1.0), nee.mean(axis=1)  # the recorded years are one more pass
    assert np.all(nee.std(axis=1) > 20)  # while single years swing with the weather


def test_the_sink_comes_from_the_stand_history_and_the_co2_rise():
    s = lm.DEFAULT_STRUCTURE
    sinks = [lm.simulate(lm.DEFAULTS, structure=structure)[0, :5].mean() for structure in (
        s, replace(s, stand_age=None), replace(s, co2_past_ppm=s.co2_ppm),
        replace(s, stand_age=None, co2_past_ppm=s.co2_ppm))]
    assert sinks[0] < min(sinks[1], sinks[2]) and max(sinks[1], sinks[2]) < sinks[3] - 20, sinks


def test_carbon_is_conserved_day_by_day():
    model = _new_model(with_value("froot_leaf", [0.3, 1.5]), lm.DEFAULT_STRUCTURE, None)
    spin_up(model)
    before = total_carbon(model)
    series = model.run(record=True)
    np.testing.assert_allclose(total_carbon(model) - before, -series["nee"].sum(axis=1), rtol=1e-9, atol=1e-6)


def test_rubisco_capacity_reaches_the_latent_heat_through_the_stomata():
    out = lm.simulate(with_value("flnr", [0.1, 0.2, 0.4]))
    for year in lm.YEARS:
        lh = out[:, column("LH", year)]
        assert lh[0] < lh[1] < lh[2]


def test_flnr_informs_the_latent_heat_across_the_prior(prior_sample):
    theta, outputs = prior_sample
    mean_lh = outputs[:, [column("LH", y) for y in lm.YEARS]].mean(axis=1)
    flnr = theta[:, lm.PARAMETER_NAMES.index("flnr")]
    rank = lambda v: np.argsort(np.argsort(v))  # noqa: E731
    assert np.corrcoef(rank(flnr), rank(mean_lh))[0, 1] > 0.25


def test_penman_monteith_limits():
    s = lm.DEFAULT_STRUCTURE
    energy, vpd, slope = np.array([300.0]), 1.5, 0.19
    assert hydrology.penman_monteith(energy, vpd, slope, np.array([0.0]), s)[0] == 0.0  # closed stomata
    wide_open = hydrology.penman_monteith(energy, vpd, slope, np.array([1e6]), s)[0]
    penman = (slope * 300 + hydrology.RHO_CP * vpd * s.aerodynamic_conductance) / (slope + hydrology.PSYCHROMETRIC)
    assert wide_open == pytest.approx(penman, rel=1e-4)
    fluxes = hydrology.penman_monteith(np.full(3, 300.0), vpd, slope, np.array([0.002, 0.005, 0.01]), s)
    assert fluxes[0] < fluxes[1] < fluxes[2] < wide_open
    g = hydrology.canopy_conductance(np.array([5.0, 10.0]), 1.0, 386.0, 0.0245, s)
    assert g[1] == pytest.approx(2 * g[0]) and g[0] == pytest.approx(1.6 * (1 + s.medlyn_g1) * 5 / 386 * 0.0245)
