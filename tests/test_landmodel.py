"""The mini land model: prior, weather, physically right responses, bad input."""
import numpy as np
import pytest

from nnkit.problems import landmodel as lm
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
    _, outputs = prior_sample
    assert np.mean(outputs[:, column("LH", 2007)] < outputs[:, column("LH", 2008)]) > 0.95


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
    assert np.all(other[0, lh] < default[0, lh] - 0.5)  # less water, less evaporation


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
    with pytest.raises(ValueError, match="spinup_cycles"):
        lm.simulate(lm.DEFAULTS, spinup_cycles=-1)
