"""Daily water balance of the mini land model: interception, soil layers, stomatal transpiration, soil evaporation.

Transpiration comes from the canopy's stomatal conductance, which photosynthesis sets (Medlyn et al. 2011):

    G_c = 1.6 (1 + g1 / sqrt(D)) A / C_a            (mol H2O /m2 ground /s; A gross canopy assimilation, umol/m2/s)

and Penman-Monteith turns that conductance into a flux (the canopy's share of the available energy, the vapour
pressure deficit D and an aerodynamic conductance g_a):

    lambda E = (s R_c + rho c_p D g_a) / (s + gamma (1 + g_a / g_c))          (W/m2 while the sun is up)

so Vcmax (flnr, slatop) and soil water (btran, which scales A) reach the latent heat. The day's available energy
caps it, and the soil layers can give no water below the wilting point.
"""
from __future__ import annotations

import numpy as np

LATENT_HEAT = 2.45e6  # J/kg
SECONDS_PER_DAY = 86400.0
PSYCHROMETRIC = 0.066  # gamma, kPa/K
RHO_CP = 1.2 * 1013.0  # volumetric heat capacity of air, J/m3/K
MIN_VPD = 0.05  # kPa: D below this (fog, rain) is taken as this in the Medlyn factor


def canopy_conductance(assimilation, vpd, co2_ppm, molar_volume, s):
    """Canopy stomatal conductance (n,) in m/s from gross assimilation (n,) umol/m2/s, VPD kPa, C_a ppm and
    the molar volume of air m3/mol (the weather: one number, or one per member)."""
    mol = 1.6 * (1 + s.medlyn_g1 / np.sqrt(np.maximum(vpd, MIN_VPD))) * assimilation / co2_ppm  # mol/m2/s
    return mol * molar_volume


def penman_monteith(energy, vpd, slope, g_c, s):
    """Latent heat (n,) W/m2 from available energy (n,) W/m2, VPD kPa, slope s kPa/K, conductance g_c (n,) m/s."""
    g_a = s.aerodynamic_conductance
    open_stomata = g_c > 0
    ratio = g_a / np.where(open_stomata, g_c, 1.0)
    flux = (slope * energy + RHO_CP * vpd * g_a) / (slope + PSYCHROMETRIC * (1 + ratio))
    return np.where(open_stomata, flux, 0.0)


def water_step(model, day, lai, uptake_weight, btran, top_wetness, assimilation):
    """Update model.water (n, n_layers) mm for one day; return the latent heat flux LH (n,) W/m2 (daily mean).

    assimilation: the canopy's gross assimilation before nitrogen limitation (n,) umol/m2/s while the sun is up.
    """
    s, f, w = model.s, model.forcing, model.weather
    rain = model.at(w.precip, day)
    energy = model.at(f["pt_mm"], day)  # mm/day of evaporation the available energy allows (Priestley-Taylor)
    intercepted = np.minimum(np.minimum(rain, s.interception_per_lai * lai), energy)
    infiltration = rain - intercepted
    for j in range(model.water.shape[1]):  # fill layers top-down to field capacity; the rest drains
        model.water[:, j] += infiltration
        infiltration = np.maximum(model.water[:, j] - model.w_fc[j], 0.0)
        model.water[:, j] -= infiltration
    energy_left = energy - intercepted
    cover = 1 - np.exp(-s.light_extinction * lai)
    daytime = model.at(w.dayl, day)
    canopy_energy = model.at(f["rn_day"], day) * cover * energy_left / np.maximum(energy, 1e-12)  # W/m2 while the sun is up
    vpd = model.at(w.vpd, day)
    g_c = canopy_conductance(assimilation, vpd, f["co2_ppm"], model.at(f["molar_volume"], day), s)
    potential = penman_monteith(canopy_energy, vpd, model.at(f["slope"], day), g_c, s) * daytime / LATENT_HEAT
    share = uptake_weight / np.maximum(btran, 1e-12)[:, None]
    drawn = np.minimum(np.minimum(potential, energy_left)[:, None] * share, np.maximum(model.water - model.w_wp, 0.0))
    model.water -= drawn
    transpiration = drawn.sum(axis=1)
    evaporation = energy_left * (1 - cover) * top_wetness * s.soil_evaporation_factor
    evaporation = np.minimum(evaporation, np.maximum(model.water[:, 0] - 0.5 * model.w_wp[0], 0.0))
    model.water[:, 0] -= evaporation
    return (intercepted + transpiration + evaporation) * LATENT_HEAT / SECONDS_PER_DAY
