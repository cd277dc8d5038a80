"""A seeded daily weather generator for the MOFLUX forest (US-MOz, 38.74 N), 2006-2010, 365-day years.

Climatology (monthly means of the 2004-2014 site forcing) plus day-to-day weather: AR(1) temperature anomalies
(sd 4.6 degC, lag-1 correlation 0.71), a two-state Markov chain for wet days (P(wet|wet) 0.48, P(wet|dry) 0.21)
with gamma amounts (shape 0.54), shortwave anomalies (sd 52 W/m2) that are darker on wet days (correlation -0.46).
Each year is then nudged to the observed year contrasts: annual and summer (JJA) temperature and rainfall, summer
vapour-pressure deficit, the dry 2006-2007 with the warm March and the 4-9 April 2007 freeze, the wet 2008-2010,
and the dry October 2010.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

LATITUDE = 38.7441  # degrees N
YEARS = (2006, 2007, 2008, 2009, 2010)
DAYS_PER_YEAR = 365
MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
MONTH_OF_DAY = np.repeat(np.arange(12), MONTH_DAYS)  # 0-based month of each day of a 365-day year

# Monthly climatology, January to December.
CLIM_T = np.array([-0.5, 0.7, 8.1, 13.8, 18.8, 23.5, 25.4, 24.8, 20.3, 13.8, 8.0, 1.4])  # degC
CLIM_TRANGE = np.array([9.8, 9.7, 10.7, 10.7, 10.2, 9.9, 10.1, 10.4, 10.3, 10.2, 9.7, 8.0])  # Tmax - Tmin, degC
CLIM_P = np.array([42, 47, 71, 126, 87, 90, 81, 86, 89, 92, 53, 47], dtype=float)  # mm/month
CLIM_SW = np.array([74, 102, 139, 178, 214, 245, 244, 211, 173, 125, 82, 59], dtype=float)  # W/m2
CLIM_VPD = np.array([0.23, 0.26, 0.49, 0.74, 0.80, 0.96, 1.19, 1.11, 0.80, 0.61, 0.45, 0.21])  # kPa

T_ANOMALY_SD, T_ANOMALY_LAG1 = 4.6, 0.71
P_WET_WET, P_WET_DRY, WET_SHAPE = 0.48, 0.21, 0.54
SW_ANOMALY_SD, SW_WET_CORR = 52.0, -0.46

JJA = (5, 6, 7)  # 0-based June, July, August
# Year targets: annual mean T (degC), annual P (mm), JJA P (mm), JJA mean T (degC), JJA mean VPD (kPa).
YEAR_TARGETS = {
    2006: dict(t=14.35, p=697, jja_p=239, jja_t=25.4, jja_vpd=1.33),
    2007: dict(t=13.99, p=660, jja_p=133, jja_t=25.4, jja_vpd=1.28),
    2008: dict(t=12.20, p=1351, jja_p=446, jja_t=23.9, jja_vpd=0.87),
    2009: dict(t=12.21, p=1214, jja_p=364, jja_t=22.7, jja_vpd=0.75),
    2010: dict(t=13.26, p=1055, jja_p=415, jja_t=25.7, jja_vpd=0.92),
}
# Rain totals (mm) for blocks of months (0-based); the rest of the year takes the remainder. By default the block
# is JJA; 2007 has JJA 133 mm but Jul-Sep only 65 mm (June 90, Jul-Aug 43, Sep 22); October 2010 had 8 mm.
RAIN_BLOCKS = {2007: [((5,), 90.0), ((6, 7), 43.0), ((8,), 22.0)],
               2010: [(JJA, YEAR_TARGETS[2010]["jja_p"]), ((9,), 8.0)]}
MARCH_2007_T = 11.9  # degC, the warm March before the freeze
FREEZE_2007 = {94: 1.5, 95: -1.0, 96: -2.5, 97: -3.0, 98: -1.0, 99: 2.0}  # day of year (1-based) -> mean T
FREEZE_2007_TMIN = -6.8  # degC on 7 April (day 97)


@dataclass(frozen=True)
class Weather:
    """Daily forcing: year and doy (1-365) (n_days,); tmean/tmin/tmax (degC), precip (mm/day), sw (W/m2, daily
    mean shortwave), vpd (kPa), dayl (s), each (n_days,) for one site or (n_days, n_sites) for many."""

    year: np.ndarray
    doy: np.ndarray
    tmean: np.ndarray
    tmin: np.ndarray
    tmax: np.ndarray
    precip: np.ndarray
    sw: np.ndarray
    vpd: np.ndarray
    dayl: np.ndarray

    @property
    def n_days(self):
        return self.year.size

    @property
    def n_sites(self):
        """None for one site's weather, else the number of sites."""
        return None if self.tmean.ndim == 1 else self.tmean.shape[1]


def day_length(doy, latitude=LATITUDE):
    """Day length (s) on day of year ``doy`` at ``latitude`` (degrees), ELM's formula with a cosine declination."""
    decl = np.radians(-23.44) * np.cos(2 * np.pi * (np.asarray(doy) + 10) / DAYS_PER_YEAR)
    lat = np.radians(latitude)
    cos_h = np.clip(-np.sin(lat) * np.sin(decl) / (np.cos(lat) * np.cos(decl)), -1.0, 1.0)
    return 2 * 13750.9871 * np.arccos(cos_h)


def daily_climatology(monthly):
    """Smooth daily (365,) curve through 12 monthly means, linear between mid-month days, periodic."""
    mid = np.cumsum(MONTH_DAYS) - MONTH_DAYS / 2.0
    day = np.arange(DAYS_PER_YEAR) + 0.5
    return np.interp(day, np.concatenate([mid - 365, mid, mid + 365]), np.tile(monthly, 3))


def _ar1(rng, n, sd, lag1):
    z = rng.standard_normal(n)
    out = np.empty(n)
    out[0] = z[0] * sd
    innovation_sd = sd * np.sqrt(1 - lag1**2)
    for i in range(1, n):
        out[i] = lag1 * out[i - 1] + innovation_sd * z[i]
    return out


def _wet_days(rng, n):
    wet = np.empty(n, dtype=bool)
    u = rng.random(n)
    wet[0] = u[0] < 0.29
    for i in range(1, n):
        wet[i] = u[i] < (P_WET_WET if wet[i - 1] else P_WET_DRY)
    return wet


def _scale_block(precip, days, total):
    """Rescale rain on ``days`` (bool mask) to ``total`` mm; a block with no rain gets it on its middle day."""
    current = precip[days].sum()
    if current <= 0:
        idx = np.flatnonzero(days)
        precip[idx[idx.size // 2]] = total
    else:
        precip[days] *= total / current


def _one_year(rng, year):
    target = YEAR_TARGETS[year]
    month = MONTH_OF_DAY
    jja = np.isin(month, JJA)
    clim_t = daily_climatology(CLIM_T)

    tmean = clim_t + _ar1(rng, DAYS_PER_YEAR, T_ANOMALY_SD, T_ANOMALY_LAG1)
    tmean[jja] += target["jja_t"] - tmean[jja].mean()
    if year == 2007:
        march = month == 2
        tmean[march] += MARCH_2007_T - tmean[march].mean()
    fixed = np.zeros(DAYS_PER_YEAR, dtype=bool)
    fixed[jja] = True
    if year == 2007:
        fixed[month == 2] = True
        for doy, t in FREEZE_2007.items():
            tmean[doy - 1] = t
            fixed[doy - 1] = True
    free = ~fixed  # the remaining days absorb the difference to the annual mean
    tmean[free] += (target["t"] * DAYS_PER_YEAR - tmean.sum()) / free.sum()

    wet = _wet_days(rng, DAYS_PER_YEAR)
    mean_wet_amount = daily_climatology(CLIM_P / MONTH_DAYS) / 0.29
    precip = np.where(wet, rng.gamma(WET_SHAPE, 1.0, DAYS_PER_YEAR) * mean_wet_amount / WET_SHAPE, 0.0)
    blocks = RAIN_BLOCKS.get(year, [(JJA, target["jja_p"])])
    assigned = np.zeros(DAYS_PER_YEAR, dtype=bool)
    for months, total in blocks:
        days = np.isin(month, months)
        _scale_block(precip, days, total)
        assigned |= days
    _scale_block(precip, ~assigned, target["p"] - sum(total for _, total in blocks))

    trange = daily_climatology(CLIM_TRANGE) * np.where(wet, 0.75, 1.1)
    tmin = tmean - trange / 2
    tmax = tmean + trange / 2
    if year == 2007:
        shift = FREEZE_2007_TMIN - tmin[96]
        tmin[96] += shift
        trange[96] -= 2 * shift
        tmax[96] = tmean[96] + trange[96] / 2

    wet_z = (wet - 0.29) / np.sqrt(0.29 * 0.71)
    sw_z = SW_WET_CORR * wet_z + np.sqrt(1 - SW_WET_CORR**2) * rng.standard_normal(DAYS_PER_YEAR)
    clim_sw = daily_climatology(CLIM_SW)
    sw = np.clip(clim_sw + SW_ANOMALY_SD * sw_z, 0.15 * clim_sw, 1.6 * clim_sw)

    vpd = daily_climatology(CLIM_VPD) * np.exp(0.05 * (tmean - clim_t)) * np.where(wet, 0.6, 1.15)
    growing = np.isin(month, (4, 5, 6, 7, 8))  # May-Sep carry the summer's dryness
    vpd[growing] *= target["jja_vpd"] / vpd[jja].mean()
    doy = np.arange(1, DAYS_PER_YEAR + 1)
    return dict(year=np.full(DAYS_PER_YEAR, year), doy=doy, tmean=tmean, tmin=tmin, tmax=tmax, precip=precip,
                sw=sw, vpd=vpd, dayl=day_length(doy))


@lru_cache(maxsize=4)
def moflux_weather(seed=2006):
    """Daily MOFLUX-like weather for 2006-2010 (1825 days), the same for the same ``seed`` (read-only arrays)."""
    rng = np.random.default_rng(seed)
    years = [_one_year(rng, y) for y in YEARS]
    fields = {k: np.concatenate([y[k] for y in years]) for k in years[0]}
    for arr in fields.values():
        arr.setflags(write=False)
    return Weather(**fields)
