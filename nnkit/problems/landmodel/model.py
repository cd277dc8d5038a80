"""The daily mini land model of a deciduous oak-hickory forest, vectorised over ensemble members.

Per day, for all members at once (arrays shaped (n,) or (n, n_layers)):
1. Phenology (``phenology``, ELM's seasonal-deciduous scheme): onset after crit_onset_gdd growing degree days,
   offset when the day length falls below crit_dayl, frost kill of out-leaves. LAI = slatop * leaf C.
2. GPP: big leaf, Rubisco (Vcmax25 = 17.19 flnr / slatop umol/m2/s, leaf C:N 25) and light co-limitation
   (non-rectangular hyperbola), CO2 through the leaf-internal CO2 (0.7 C_a), and a vapour-pressure-deficit factor.
   As in ELM the water-stress factor btran = sum_j r_j w_j over soil layers (Zeng root fractions r_j with
   roota_par 6 and rootb_par) scales Vcmax: drought bites where Rubisco limits.
3. Maintenance respiration of leaf, fine root and live wood: N * br_mr * 1.5^((T - 20)/10); growth
   respiration 0.3 of new tissue.
4. Allocation (ELM allometry: froot_leaf, stem_leaf dynamic with last year's NPP) limited by mineral N from
   decomposition: new leaf and fine-root C go to storage (displayed next spring), wood grows at once. Carbon the
   plant cannot pair with N is not fixed (GPP down-regulation), so frootcn shapes growth.
5. Heterotrophic respiration from litter, coarse woody debris and soil carbon (Q10 2, moisture limited).
6. Water (``hydrology``): interception, top-down filling of five soil layers to field capacity, drainage;
   transpiration from the stomatal conductance that photosynthesis sets (Medlyn) through Penman-Monteith, capped by
   the available energy and drawn from layers by r_j w_j; soil evaporation (bare fraction * top-layer wetness).
   LH = latent heat of the three.
Outputs for 2006-2010: annual NEE (gC/m2/yr, negative = sink), annual mean LAI (m2/m2), annual mean LH (W/m2).
Before the recorded 5 years the slow pools are spun up to equilibrium and through the stand's history (``spinup``).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, replace

import numpy as np

from .hydrology import LATENT_HEAT, PSYCHROMETRIC, SECONDS_PER_DAY, water_step
from .parameters import check_theta
from .phenology import phenology_step
from .spinup import advance, spin_up
from .weather import DAYS_PER_YEAR, YEARS, moflux_weather

OUTPUT_NAMES = tuple(f"{v}_{y}" for v in ("NEE", "LAI", "LH") for y in YEARS)
OUTPUT_UNITS = {"NEE": "gC/m2/yr", "LAI": "m2/m2", "LH": "W/m2"}
OUTPUT_VARIABLES = ("NEE", "LAI", "LH")


@dataclass(frozen=True)
class Structure:
    """Structural constants of the model (not calibrated). ``OUT_OF_MODEL`` changes some of them."""

    layer_bottoms: tuple = (0.1, 0.3, 0.6, 1.0, 2.0)  # m
    theta_fc: float = 0.38  # volumetric water at field capacity
    theta_wp: float = 0.16  # at wilting point
    roota_par: float = 6.0  # 1/m
    leafcn: float = 25.0  # gC/gN
    livewdcn: float = 50.0
    deadwdcn: float = 500.0
    croot_stem: float = 0.3
    flivewd: float = 0.1
    grperc: float = 0.3
    fstor2tran: float = 0.5
    ndays_on: int = 30
    ndays_off: int = 15
    light_extinction: float = 0.5
    vcmax_canopy_decay: float = 0.25  # kn of the Vcmax profile through the canopy
    quantum_yield: float = 0.042  # mol C per mol absorbed photons, before the CO2 factor
    vpd_sensitivity: float = 0.15  # 1/kPa: GPP factor exp(-s * VPD)
    frost_kill_temperature: float = -2.0  # degC: Tmin below this kills out-leaves ...
    frost_kill_per_degree: float = 0.15  # ... this fraction per degree colder (at most 0.8)
    q10_mr: float = 1.5
    q10_hr: float = 2.0
    litter_turnover: float = 0.8  # 1/yr at 20 degC
    cwd_turnover: float = 0.07
    soil_turnover: float = 0.02
    litter_respired: float = 0.55  # fraction of decomposed C respired, the rest becomes soil C
    cwd_respired: float = 0.75
    livewood_turnover: float = 0.7  # 1/yr live -> dead wood
    wood_mortality: float = 0.01  # 1/yr dead wood -> coarse woody debris
    mineralised_n_per_c: float = 1 / 25.0  # gN made available per gC of heterotrophic respiration
    n_deposition: float = 1.0  # gN/m2/yr
    n_loss: float = 0.002  # 1/day of the mineral N pool
    interception_per_lai: float = 0.15  # mm per unit LAI
    co2_ppm: float = 386.0  # C_a of 2006-2010; leaf-internal CO2 is 0.7 C_a
    co2_past_ppm: float = 325.0  # mean C_a of 1920-2000, under which the slow pools built up (spin-up)
    medlyn_g1: float = 4.5  # kPa^0.5, stomatal slope of deciduous broadleaf trees
    aerodynamic_conductance: float = 0.1  # m/s, a tall rough canopy
    priestley_taylor: float = 1.26
    soil_evaporation_factor: float = 0.8
    stand_age: float | None = 85.0  # years since the clear-cut of the second-growth forest; None: never cut
    harvest_removed: float = 0.8  # fraction of the dead (stem) wood taken off-site; the rest is slash
    initial_soil_c: float = 10000.0  # gC/m2: starting guesses, replaced by the equilibrium spin-up
    initial_cwd_c: float = 3500.0
    initial_deadwood_c: float = 14000.0
    initial_livewood_c: float = 400.0
    initial_leaf_storage_c: float = 300.0


DEFAULT_STRUCTURE = Structure()
# A structurally different forest used to make out-of-model observations: a shallower water-holding soil
# (0.8 m instead of 2 m), a stronger temperature response of decomposition, more rain intercepted by the canopy.
OUT_OF_MODEL = replace(DEFAULT_STRUCTURE, layer_bottoms=(0.1, 0.2, 0.35, 0.55, 0.8), q10_hr=2.8,
                       interception_per_lai=0.35)


def root_fractions(rootb_par, layer_bottoms, roota_par=6.0):
    """Zeng (2001) root fraction per soil layer (n, n_layers), renormalised over the column (sums to 1)."""
    z = np.concatenate([[0.0], np.asarray(layer_bottoms, dtype=float)])
    b = np.asarray(rootb_par, dtype=float)[:, None]
    cum = 1 - 0.5 * (np.exp(-roota_par * z) + np.exp(-b * z))  # (n, n_layers + 1) root fraction above z
    frac = np.diff(cum, axis=1)
    return frac / frac.sum(axis=1, keepdims=True)


def _saturation_slope(t):
    """Slope of the saturation vapour pressure curve (kPa/K) at air temperature t (degC), Tetens."""
    return 4098 * 0.6108 * np.exp(17.27 * t / (t + 237.3)) / (t + 237.3) ** 2


def _forcing_terms(weather, s, co2_ppm):
    """Per-day terms that depend only on the weather and the CO2 (computed once for all members): each (n_days,),
    or (n_days, n_sites) for the weather of many sites."""
    t = weather.tmean
    t_day = 0.5 * (weather.tmean + weather.tmax)
    tsoil = np.empty_like(t)
    level = t[:30].mean(axis=0)
    for i, ti in enumerate(t):  # soil temperature a few cm deep lags the air by about a week
        level += (ti - level) / 7.0
        tsoil[i] = level
    # Rubisco temperature response (Q10 2.4 with high-temperature decline), zero in frost
    f_vcmax = np.where(t_day > 0, 2.4 ** ((t_day - 25) / 10) / (1 + np.exp(0.3 * (t_day - 40))), 0.0)
    gamma_star = 42.75 * 1.37 ** ((t_day - 25) / 10)
    ci = 0.7 * co2_ppm
    km = 405.0 * 2.1 ** ((t_day - 25) / 10) * (1 + 210.0 / 278.0)
    par_daytime = 0.5 * 4.6 * weather.sw * SECONDS_PER_DAY / weather.dayl  # umol photons /m2/s while the sun is up
    slope = _saturation_slope(t)
    rn = np.maximum(0.8 * weather.sw - 45.0, 0.0)  # daily net radiation of a forest, W/m2
    pt_mm = s.priestley_taylor * slope / (slope + PSYCHROMETRIC) * rn * SECONDS_PER_DAY / LATENT_HEAT
    return dict(
        rubisco=f_vcmax * (ci - gamma_star) / (ci + km),
        light=par_daytime * s.quantum_yield * np.clip((ci - gamma_star) / (ci + 2 * gamma_star), 0, None),
        f_vpd=np.exp(-s.vpd_sensitivity * weather.vpd),
        to_gc_per_day=weather.dayl * 12e-6,  # umol CO2/m2/s over the daylight -> gC/m2/day
        q_air=s.q10_mr ** ((t - 20) / 10) * SECONDS_PER_DAY,
        q_soil=s.q10_mr ** ((tsoil - 20) / 10) * SECONDS_PER_DAY,
        hr_temp=s.q10_hr ** ((tsoil - 20) / 10) / DAYS_PER_YEAR,
        gdd=np.maximum(tsoil, 0.0),
        pt_mm=pt_mm,
        co2_ppm=co2_ppm,
        rn_day=rn * SECONDS_PER_DAY / weather.dayl,  # W/m2 while the sun is up
        slope=_saturation_slope(t_day),  # daytime, kPa/K
        molar_volume=8.314 * (t_day + 273.15) / 101325.0,  # m3 of air per mol
        frost=np.clip((s.frost_kill_temperature - weather.tmin) * s.frost_kill_per_degree, 0.0, 0.8),
    )


def simulate(theta, structure=DEFAULT_STRUCTURE, weather=None, daily=False, site=None):
    """Run the model for parameters theta (n, 8) (see ``PARAMETERS``); return outputs (n, 15) in the column order
    ``OUTPUT_NAMES`` (NEE 2006-2010, LAI 2006-2010, LH 2006-2010).

    structure: the model's fixed constants; weather: a ``Weather`` (default ``moflux_weather()``); for the weather
    of many sites (``sites.site_weather``), site (n,) says at which site each member grows. The state is spun up
    first (``spinup``: slow pools to equilibrium, then the stand's history). With daily=True also return a dict of
    daily series (n, n_days): gpp, ra, rh, nee (gC/m2/day), lai, lh (W/m2), btran.
    """
    model = _new_model(theta, structure, weather, site)
    spin_up(model)
    series = model.run(record=True)
    outputs = _annual_outputs(series, model.weather.n_days // DAYS_PER_YEAR)
    return (outputs, series) if daily else outputs


def spin_up_drift(theta, structure=DEFAULT_STRUCTURE, weather=None):
    """Spin the model up for parameters theta (n, 8); return how much the last equilibrium pass changed total
    ecosystem carbon, (n,) gC/m2/yr (see ``spinup``)."""
    return spin_up(_new_model(theta, structure, weather))


def _new_model(theta, structure, weather, site=None):
    theta = check_theta(theta)
    if not isinstance(structure, Structure):
        raise TypeError(f"structure must be a landmodel.Structure; got {type(structure).__name__}")
    weather = moflux_weather() if weather is None else weather
    if weather.n_sites is None:
        if site is not None:
            raise ValueError("site is for the weather of many sites (n_days, n_sites); this weather has one site")
    else:
        site = np.asarray(site) if site is not None else None
        if (site is None or site.shape != (len(theta),) or not np.issubdtype(site.dtype, np.integer)
                or site.min() < 0 or site.max() >= weather.n_sites):
            raise ValueError(f"site must be one integer in [0, {weather.n_sites}) per member, shape ({len(theta)},),"
                             f" for a weather of {weather.n_sites} sites; got "
                             f"{None if site is None else f'shape {site.shape}, dtype {site.dtype}'}")
    return _Model(theta, structure, weather, site)


def _annual_outputs(series, n_years):
    n = series["nee"].shape[0]
    by_year = {k: series[k].reshape(n, n_years, DAYS_PER_YEAR) for k in ("nee", "lai", "lh")}
    return np.concatenate([by_year["nee"].sum(axis=2), by_year["lai"].mean(axis=2), by_year["lh"].mean(axis=2)],
                          axis=1)


SHARED_ARRAYS = ("w_fc", "w_wp")  # the _Model's arrays that are not one row per member


class _Model:
    """State and daily step of the model for n members."""

    def __init__(self, theta, s, weather, site=None):
        n = theta.shape[0]
        self.site = site    # (n,) site of each member for the weather of many sites, else None
        (self.rootb, self.slatop, flnr, self.frootcn, self.froot_leaf, br_mr, self.crit_dayl,
         self.crit_gdd) = theta.T
        self.s, self.weather = s, weather
        self.forcing = _forcing_terms(weather, s, s.co2_ppm)
        self.past_forcing = _forcing_terms(weather, s, s.co2_past_ppm)  # for the spin-up
        self.rootfr = root_fractions(self.rootb, s.layer_bottoms, s.roota_par)
        dz_mm = np.diff(np.concatenate([[0.0], s.layer_bottoms])) * 1000.0
        self.w_fc, self.w_wp = s.theta_fc * dz_mm, s.theta_wp * dz_mm  # (n_layers,) mm
        self.vcmax25 = 17.19 * (25.0 / s.leafcn) * flnr / self.slatop  # umol/m2/s at the canopy top
        self.br_mr = br_mr  # gC/gN/s; q_air and q_soil carry the seconds per day
        zeros = np.zeros(n)
        self.leaf, self.froot = zeros.copy(), zeros.copy()
        self.leaf_stor = np.full(n, s.initial_leaf_storage_c, dtype=float)
        self.froot_stor = self.froot_leaf * s.initial_leaf_storage_c
        self.leaf_xfer_rate, self.froot_xfer_rate = zeros.copy(), zeros.copy()
        self.leaf_off_rate, self.froot_off_rate = zeros.copy(), zeros.copy()
        self.onset_days, self.offset_days = np.zeros(n, dtype=int), np.zeros(n, dtype=int)
        self.leaves_on = np.zeros(n, dtype=bool)
        self.gdd = zeros.copy()
        self.livewood = np.full(n, s.initial_livewood_c, dtype=float)
        self.deadwood = np.full(n, s.initial_deadwood_c, dtype=float)
        self.litter, self.cwd = np.full(n, 300.0), np.full(n, s.initial_cwd_c, dtype=float)
        self.soil = np.full(n, s.initial_soil_c, dtype=float)
        self.cpool, self.sminn = zeros.copy(), np.full(n, 1.0)
        self.npp_last_year, self.npp_this_year = np.full(n, 600.0), zeros.copy()
        self.water = np.tile(self.w_fc, (n, 1))
        self.tangent = None  # spinup's matrix of the slow pools' pass map, while it asks for it

    def at(self, series, day):
        """Day ``day`` of a forcing series: a number for one site's (n_days,), one value per member (n,) for many
        sites' (n_days, n_sites)."""
        return series[day] if series.ndim == 1 else series[day][self.site]

    def take(self, members):
        """A model of the selected members (boolean mask (n,)) that shares the weather and the forcing."""
        sub = copy.copy(self)
        for name in self._member_arrays():
            setattr(sub, name, getattr(self, name)[members].copy())
        return sub

    def put(self, members, sub):
        """Write the state of ``sub`` (from ``take(members)``) back into these members."""
        for name in self._member_arrays():
            getattr(self, name)[members] = getattr(sub, name)

    def _member_arrays(self):
        return [k for k, v in vars(self).items() if isinstance(v, np.ndarray) and k not in SHARED_ARRAYS]

    def run(self, record):
        """One pass through the forcing; with record=True return the daily series (n, n_days)."""
        n_days = self.weather.n_days
        keys = ("gpp", "ra", "rh", "nee", "lai", "lh", "btran")
        series = {k: np.empty((self.leaf.size, n_days)) for k in keys} if record else None
        for day in range(n_days):
            values = self.step(day)
            if record:
                for k, v in zip(keys, values):
                    series[k][:, day] = v
        return series

    def step(self, day):
        s, f, w = self.s, self.forcing, self.weather
        doy = int(w.doy[day])
        if doy == 1:
            self.gdd[:] = 0.0
            self.npp_last_year, self.npp_this_year = self.npp_this_year.copy(), np.zeros_like(self.npp_this_year)
        phenology_step(self, day, doy)
        lai = self.slatop * self.leaf

        # soil water stress
        wetness = np.clip((self.water - self.w_wp) / (self.w_fc - self.w_wp), 0.0, 1.0)  # (n, layers)
        uptake_weight = self.rootfr * wetness
        btran = uptake_weight.sum(axis=1)

        # photosynthesis: Rubisco and light co-limitation, then water and VPD stress
        k, kn = s.light_extinction, s.vcmax_canopy_decay
        fapar = 1 - np.exp(-k * lai)
        rubisco = self.at(f["rubisco"], day)
        a_c = self.vcmax25 * btran * (1 - np.exp(-kn * lai)) / kn * rubisco  # ELM: btran scales Vcmax
        a_j = fapar * self.at(f["light"], day)
        total = a_c + a_j
        a = (total - np.sqrt(np.maximum(total**2 - 3.8 * a_c * a_j, 0.0))) / 1.9  # theta = 0.95
        assimilation = a * self.at(f["f_vpd"], day)  # umol/m2/s while the sun is up, before N limitation
        gpp_potential = assimilation * self.at(f["to_gc_per_day"], day)

        # maintenance respiration
        mr = self.br_mr * ((self.leaf / s.leafcn + self.livewood / s.livewdcn) * self.at(f["q_air"], day)
                            + self.froot / self.frootcn * self.at(f["q_soil"], day))

        # allocation limited by mineral N; C without N is not fixed
        a1, a2, a4 = self.froot_leaf, s.croot_stem, s.flivewd
        a3 = np.maximum(2.7 / (1 + np.exp(-0.004 * (self.npp_last_year - 300))) - 0.4, 0.2)
        c_allom = (1 + s.grperc) * (1 + a1 + a3 * (1 + a2))
        n_allom = 1 / s.leafcn + a1 / self.frootcn + a3 * (1 + a2) * (a4 / s.livewdcn + (1 - a4) / s.deadwdcn)
        self.cpool += gpp_potential - mr
        available = np.maximum(self.cpool, 0.0)
        n_uptake = np.minimum(available * n_allom / c_allom, self.sminn)
        allocated = n_uptake * c_allom / n_allom
        gpp = gpp_potential - (available - allocated)
        self.cpool -= available
        self.sminn -= n_uptake
        new_leaf = allocated / c_allom
        self.leaf_stor += new_leaf
        self.froot_stor += a1 * new_leaf
        new_wood = a3 * (1 + a2) * new_leaf
        to_dead = self.livewood * s.livewood_turnover / DAYS_PER_YEAR
        self.livewood += a4 * new_wood - to_dead
        mortality = self.deadwood * s.wood_mortality / DAYS_PER_YEAR
        self.deadwood += (1 - a4) * new_wood + to_dead - mortality
        ra = mr + allocated * s.grperc / (1 + s.grperc)
        self.npp_this_year += gpp - ra

        # decomposition
        moisture = 0.25 + 0.75 * wetness[:, 0]
        rate = self.at(f["hr_temp"], day) * moisture
        d_litter = self.litter * s.litter_turnover * rate
        d_cwd = self.cwd * s.cwd_turnover * rate
        d_soil = self.soil * s.soil_turnover * rate
        rh = s.litter_respired * d_litter + s.cwd_respired * d_cwd + d_soil
        self.litter -= d_litter
        self.cwd += mortality - d_cwd
        self.soil += (1 - s.litter_respired) * d_litter + (1 - s.cwd_respired) * d_cwd - d_soil
        self.sminn += rh * s.mineralised_n_per_c + s.n_deposition / DAYS_PER_YEAR - s.n_loss * self.sminn
        if self.tangent is not None:
            advance(self.tangent, rate, s)

        lh = water_step(self, day, lai, uptake_weight, btran, wetness[:, 0], assimilation)
        return gpp, ra, rh, ra + rh - gpp, lai, lh, btran
