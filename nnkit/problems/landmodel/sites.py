"""The mini land model at many sites: a weather generator driven by three site descriptors, and the model run at
every site in one call.

A site is its descriptors: latitude (degrees N), mean annual temperature (degC) and annual precipitation (mm).
Its 5 years of daily weather are MOFLUX's climatology moved to the site (the seasonal temperature cycle shifted to
the site's mean and widened with latitude, rain scaled to the site's total, shortwave scaled by the top-of-
atmosphere insolation at its latitude, VPD rising with warmth and dryness, day length from the latitude) plus one
shared sequence of day-to-day weather (AR(1) temperature anomalies, Markov wet days with gamma amounts, shortwave
anomalies), so the weather is a fixed function of the descriptors and nearby sites have nearby weather. The years
carry no site-specific events (MOFLUX's 2007 freeze is its own).
"""
from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path

import numpy as np

from ...core.validation import check_positive
from ..reference import ImportanceReference
from . import weather as mw
from .data import DATA_DIR, NOISE_SD, NUMBER_FORMAT
from .model import DEFAULT_STRUCTURE, OUTPUT_NAMES, simulate
from .parameters import PARAMETER_NAMES, check_in_box, sample_prior
from .reference import CALIBRATED_OUTPUTS

DESCRIPTOR_NAMES = ("latitude", "mean_temperature", "annual_precipitation")
DESCRIPTOR_UNITS = ("degrees N", "degC", "mm/yr")
DESCRIPTOR_LOWER = np.array([32.0, 9.0, 650.0])     # the eastern deciduous forest, roughly
DESCRIPTOR_UPPER = np.array([45.0, 17.0, 1400.0])
MOFLUX_SITE = np.array([mw.LATITUDE, float(mw.daily_climatology(mw.CLIM_T).mean()), float(mw.CLIM_P.sum())])
ANOMALY_SEED = 2006
SEASONAL_WIDENING = 0.03      # per degree of latitude north of MOFLUX: the seasonal temperature swing grows
VPD_WARMING, VPD_DRYING = 0.06, 0.5   # VPD x exp(0.06 dT) x (P_moflux / P)^0.5
LH_NOISE_SD = NOISE_SD["LH"]          # W/m2, as at MOFLUX
SITES_SEED, REFERENCE_RUNS, REFERENCE_ESS = 11, 10_000, 200
MAX_SITES_PER_RUN = 256
SITES_DIR = DATA_DIR.parent / "elm_sites"
CASES_FILE, REFERENCE_FILE, ENSEMBLE_FILE = "cases.csv", "reference.csv", "ensemble.csv.gz"
# Kernel widths of DBUQ's conditioning: the LH noise sd, and 20 % of each descriptor's range (6000 runs across
# sites, C2ST against 12 reference sites: median 0.81 at 5 %, 0.67 at 20 %, 0.71 at 50 %)
CONDITIONING_BANDWIDTH = np.concatenate([np.full(5, LH_NOISE_SD), 0.2 * (DESCRIPTOR_UPPER - DESCRIPTOR_LOWER)])
# The conditional INN across sites (24,000 runs, 6000 steps: median C2ST 0.55 at the 20 reference sites; lesson 13)
CINN_SETTINGS = dict(n_blocks=6, hidden=96, lr=5e-4, weight_decay=1e-4)


def check_descriptors(descriptors, name="descriptors"):
    """Validate site descriptors (n, 3) (one (3,) site is accepted) inside their box; return (n, 3)."""
    return check_in_box(descriptors, name, DESCRIPTOR_NAMES, DESCRIPTOR_LOWER, DESCRIPTOR_UPPER, DESCRIPTOR_UNITS,
                        "the sites' range")


def sample_sites(n, seed=0):
    """n site descriptors (n, 3) drawn uniformly from the sites' box, reproducible from ``seed``."""
    check_positive(n, "n", integer=True)
    rng = np.random.default_rng(seed)
    return DESCRIPTOR_LOWER + (DESCRIPTOR_UPPER - DESCRIPTOR_LOWER) * rng.random((n, len(DESCRIPTOR_NAMES)))


@lru_cache(maxsize=1)
def _shared_anomalies(seed=ANOMALY_SEED):
    """Day-to-day weather common to every site, 5 years: temperature anomaly (degC, mean 0), wet days, relative
    rain amount (gamma), shortwave anomaly in sd units; each (n_days,)."""
    rng = np.random.default_rng(seed)
    n = mw.DAYS_PER_YEAR * len(mw.YEARS)
    t_anomaly = mw._ar1(rng, n, mw.T_ANOMALY_SD, mw.T_ANOMALY_LAG1)
    wet = mw._wet_days(rng, n)
    amount = np.where(wet, rng.gamma(mw.WET_SHAPE, 1.0, n), 0.0)
    wet_z = (wet - 0.29) / np.sqrt(0.29 * 0.71)
    sw_z = mw.SW_WET_CORR * wet_z + np.sqrt(1 - mw.SW_WET_CORR**2) * rng.standard_normal(n)
    return t_anomaly - t_anomaly.mean(), wet, amount, sw_z     # the site's mean temperature is its descriptor


def insolation(doy, latitude):
    """Daily mean top-of-atmosphere shortwave (W/m2) on day of year ``doy`` (n_days, 1) at ``latitude`` (1, m)."""
    decl = np.radians(-23.44) * np.cos(2 * np.pi * (doy + 10) / mw.DAYS_PER_YEAR)
    lat = np.radians(latitude)
    h0 = np.arccos(np.clip(-np.tan(lat) * np.tan(decl), -1.0, 1.0))
    return 1361.0 / np.pi * (h0 * np.sin(lat) * np.sin(decl) + np.cos(lat) * np.cos(decl) * np.sin(h0))


def site_weather(descriptors):
    """The 5 years of daily weather at each site (a ``Weather`` with fields (1825, n_sites)); descriptors (n, 3)."""
    d = check_descriptors(descriptors)
    lat, mean_t, precip = d[:, 0][None], d[:, 1][None], d[:, 2][None]
    t_anomaly, wet, amount, sw_z = (x[:, None] for x in _shared_anomalies())
    n_days = t_anomaly.shape[0]
    doy = np.tile(np.arange(1, mw.DAYS_PER_YEAR + 1), len(mw.YEARS))[:, None]
    year = np.repeat(mw.YEARS, mw.DAYS_PER_YEAR)
    widening = 1 + SEASONAL_WIDENING * (lat - mw.LATITUDE)
    clim_t = np.tile(mw.daily_climatology(mw.CLIM_T), len(mw.YEARS))[:, None]
    tmean = mean_t + (clim_t - MOFLUX_SITE[1]) * widening + t_anomaly
    trange = np.tile(mw.daily_climatology(mw.CLIM_TRANGE), len(mw.YEARS))[:, None] * np.where(wet, 0.75, 1.1)
    rain_pattern = amount * np.tile(mw.daily_climatology(mw.CLIM_P / mw.MONTH_DAYS), len(mw.YEARS))[:, None]
    rain = rain_pattern * precip / (rain_pattern.sum() / len(mw.YEARS))     # the site's mean annual total
    light = insolation(doy, lat) / insolation(doy, mw.LATITUDE)
    clim_sw = np.tile(mw.daily_climatology(mw.CLIM_SW), len(mw.YEARS))[:, None] * light
    sw = np.clip(clim_sw + mw.SW_ANOMALY_SD * light * sw_z, 0.15 * clim_sw, 1.6 * clim_sw)
    clim_vpd = np.tile(mw.daily_climatology(mw.CLIM_VPD), len(mw.YEARS))[:, None]
    vpd = (clim_vpd * np.exp(VPD_WARMING * (tmean - clim_t)) * (MOFLUX_SITE[2] / precip) ** VPD_DRYING
           * np.where(wet, 0.6, 1.15))
    dayl = mw.day_length(doy, lat)
    fields = dict(year=year, doy=doy[:, 0], tmean=tmean, tmin=tmean - trange / 2, tmax=tmean + trange / 2,
                  precip=rain, sw=sw, vpd=vpd, dayl=np.broadcast_to(dayl, (n_days, d.shape[0])).copy())
    for array in fields.values():
        array.setflags(write=False)
    return mw.Weather(**fields)


def simulate_sites(theta, descriptors, structure=DEFAULT_STRUCTURE, max_sites=MAX_SITES_PER_RUN):
    """Outputs (n, 15) of members theta (n, 8), each at its own site, descriptors (n, 3). Members at the same site
    share its weather; one model run takes the members of up to ``max_sites`` sites (the forcing of a site holds
    about 0.4 MB), so memory stays bounded (each run costs about 3 s of day loop, whatever its size)."""
    d = check_descriptors(descriptors)
    theta = np.atleast_2d(theta)
    if len(d) != len(theta):
        raise ValueError(f"theta and descriptors need one row per member; got {len(theta)} and {len(d)}")
    unique, site = np.unique(d, axis=0, return_inverse=True)
    site = site.ravel()
    out = np.empty((len(theta), len(OUTPUT_NAMES)))
    for first in range(0, len(unique), max_sites):
        members = (site >= first) & (site < first + max_sites)
        weather = site_weather(unique[first:first + max_sites])
        out[members] = simulate(theta[members], structure, weather=weather, site=site[members] - first)
    return out


def site_ensemble(n_sites, per_site, seed=0):
    """A prior ensemble across sites: n_sites drawn from the sites' box, per_site prior members at each.
    Returns descriptors (n, 3), theta (n, 8), outputs (n, 15) with n = n_sites * per_site, sites in blocks."""
    check_positive(per_site, "per_site", integer=True)
    descriptors = np.repeat(sample_sites(n_sites, seed), per_site, axis=0)
    theta = sample_prior(len(descriptors), seed=[seed, 1])
    return descriptors, theta, simulate_sites(theta, descriptors)


def site_lh(theta, site):
    """The calibrated outputs, annual mean LH (n, 5) W/m2, of members theta (n, 8) all at one site (3,)."""
    site = check_descriptors(site, "site")
    columns = [OUTPUT_NAMES.index(name) for name in CALIBRATED_OUTPUTS]
    return simulate_sites(theta, np.repeat(site, len(np.atleast_2d(theta)), axis=0))[:, columns]


def site_cases(n_sites, seed=SITES_SEED):
    """Calibration cases at n_sites random sites: descriptors (n, 3), true parameters (n, 8) from the prior, and
    observed LH (n, 5): the model's LH plus N(0, 1.5^2) noise, all seeded."""
    descriptors = sample_sites(n_sites, seed)
    truth = sample_prior(n_sites, seed=[seed, 1])
    columns = [OUTPUT_NAMES.index(name) for name in CALIBRATED_OUTPUTS]
    noise = LH_NOISE_SD * np.random.default_rng([seed, 2]).standard_normal((n_sites, len(columns)))
    return descriptors, truth, simulate_sites(truth, descriptors)[:, columns] + noise


def site_reference_sampler(site, n_runs=REFERENCE_RUNS, seed=0):
    """The exact posterior at one site (3,): an ``ImportanceReference`` of n_runs prior runs there (LH, sd 1.5),
    refusing an observation they weight onto fewer than REFERENCE_ESS effective draws."""
    return ImportanceReference(partial(site_lh, site=np.asarray(site, dtype=float)), sample_prior, LH_NOISE_SD,
                               n_runs=n_runs, chunk=REFERENCE_RUNS, ess_floor=REFERENCE_ESS, seed=seed)


@dataclass(frozen=True)
class SiteData:
    """The shipped site cases (``data/elm_sites/``): descriptors (m, 3), true parameters (m, 8), observed LH
    (m, 5), each site's exact posterior draws reference (m, draws, 8), the effective sample size (m,) of its
    importance sample and the prior runs (m,) it took."""

    descriptors: np.ndarray
    truth: np.ndarray
    observed: np.ndarray
    reference: np.ndarray
    ess: np.ndarray
    n_runs: np.ndarray


def write_site_data(directory, descriptors, truth, observed, reference, ess, n_runs):
    """Write cases.csv (one row per site) and reference.csv (site, then the 8 parameters; one row per draw)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    header = ["site", *DESCRIPTOR_NAMES, *(f"true_{p}" for p in PARAMETER_NAMES), *CALIBRATED_OUTPUTS, "ess",
              "n_runs"]
    table = np.column_stack([np.arange(len(descriptors)), descriptors, truth, observed, ess, n_runs])
    np.savetxt(directory / CASES_FILE, table, delimiter=",", fmt=NUMBER_FORMAT, header=",".join(header),
               comments="")
    rows = np.column_stack([np.repeat(np.arange(len(reference)), reference.shape[1]), reference.reshape(-1, 8)])
    note = ("# exact posterior per site: n_runs (cases.csv) prior runs at the site weighted by the likelihood of "
            "its observed LH (sd 1.5), resampled")
    np.savetxt(directory / REFERENCE_FILE, rows, delimiter=",", fmt=NUMBER_FORMAT, comments="",
               header=note + "\n" + ",".join(["site", *PARAMETER_NAMES]))


def load_site_data(directory=None):
    """Read the site cases and their reference draws (default: the shipped ``data/elm_sites/``)."""
    directory = Path(directory) if directory is not None else SITES_DIR
    cases = np.loadtxt(directory / CASES_FILE, delimiter=",", skiprows=1, ndmin=2)
    rows = np.loadtxt(directory / REFERENCE_FILE, delimiter=",", skiprows=2, ndmin=2)
    reference = rows[:, 1:].reshape(len(cases), -1, len(PARAMETER_NAMES))
    k = len(DESCRIPTOR_NAMES)
    return SiteData(cases[:, 1:1 + k], cases[:, 1 + k:9 + k], cases[:, 9 + k:14 + k], reference, cases[:, -2],
                    cases[:, -1].astype(int))


def conditioning(lh, descriptors):
    """What an amortised sampler is conditioned on at a site: its observed LH (n, 5) W/m2 and its descriptors
    (n, 3), side by side (n, 8); one site's (5,) and (3,) give (8,)."""
    lh, descriptors = np.asarray(lh, dtype=float), check_descriptors(descriptors)
    return np.hstack([np.atleast_2d(lh), descriptors]) if lh.ndim == 2 else np.concatenate([lh, descriptors[0]])


def load_site_ensemble(path=None):
    """The ensemble across sites (``nnkit ensemble --model sites`` CSV, plain or gzipped; default the shipped one):
    descriptors (n, 3), parameters (n, 8) and annual mean LH (n, 5)."""
    path = Path(path) if path is not None else SITES_DIR / ENSEMBLE_FILE
    with (gzip.open(path, "rt") if path.suffix == ".gz" else open(path)) as handle:
        header = tuple(handle.readline().strip().split(","))
    expected = DESCRIPTOR_NAMES + PARAMETER_NAMES + OUTPUT_NAMES
    if header != expected:
        raise ValueError(f"{path} does not have the columns of `nnkit ensemble --model sites` {expected}; "
                         f"got {header}")
    table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    k, d = len(DESCRIPTOR_NAMES), len(PARAMETER_NAMES)
    outputs = table[:, k + d:]
    return table[:, :k], table[:, k:k + d], outputs[:, [OUTPUT_NAMES.index(n) for n in CALIBRATED_OUTPUTS]]
