"""A one-box energy-balance model of the global mean surface temperature, calibrated in lesson 07 (MCMC).

C dT/dt = F(t) - lambda T: a mixed layer of heat capacity C (W yr m^-2 K^-1) warmed by the forcing F (W m^-2) and
cooled by the climate feedback lambda (W m^-2 K^-1). With F constant within each year the update over one year is
exact: T <- T e^(-lambda / C) + F / lambda (1 - e^(-lambda / C)). The equilibrium climate sensitivity is
ECS = F_2x / lambda.

The forcing is synthetic but shaped like the historical one (1850-2020): a greenhouse ramp to 2.7 W m^-2 and five
volcanic eruptions, whose short dips are what inform the heat capacity. With two parameters the exact posterior of
a record is a 2-D grid computation (``posterior_grid``), the truth that the lesson scores its sampler against.
"""
from __future__ import annotations

import numpy as np

from ..core.validation import check_positive

YEARS = np.arange(1850, 2021)
F_2X = 3.9                                       # W m^-2, the forcing of doubled CO2 (IPCC AR6: 3.93)
NAMES = ("feedback", "heat_capacity")
UNITS = ("W m^-2 K^-1", "W yr m^-2 K^-1")
BOUNDS = np.array([[0.3, 3.0], [1.0, 40.0]])     # uniform prior box, one row per parameter
TRUTH = np.array([1.8, 8.0])
ERUPTIONS = {1883: 3.0, 1902: 1.0, 1963: 1.8, 1982: 1.6, 1991: 3.2}   # year: peak forcing drop, W m^-2


def forcing():
    """Effective radiative forcing (len(YEARS),) in W m^-2: a greenhouse ramp 2.7 s^2.5 (s from 0 in 1850 to 1
    in 2020) minus each eruption's peak in its year, half of it the next year and a fifth the year after."""
    f = 2.7 * ((YEARS - YEARS[0]) / (YEARS[-1] - YEARS[0])) ** 2.5
    for year, peak in ERUPTIONS.items():
        i = year - YEARS[0]
        f[i:i + 3] -= peak * np.array([1.0, 0.5, 0.2])[:len(f) - i]
    return f


def simulate(theta):
    """Temperature anomaly (n, len(YEARS)) in K, starting from 0 in 1850, for parameters theta (n, 2) =
    (feedback, heat capacity), both positive."""
    theta = np.atleast_2d(np.asarray(theta, dtype=float))
    if theta.ndim != 2 or theta.shape[1] != 2:
        raise ValueError(f"theta must be (n, 2) = (feedback, heat_capacity); got shape {theta.shape}")
    if not np.all(theta > 0):
        raise ValueError("theta must be positive (feedback and heat capacity); got a value <= 0")
    feedback, capacity = theta[:, 0], theta[:, 1]
    decay = np.exp(-feedback / capacity)
    temperature = np.zeros((len(theta), len(YEARS)))
    t = np.zeros(len(theta))
    for k, f in enumerate(forcing()):
        t = t * decay + f / feedback * (1 - decay)
        temperature[:, k] = t
    return temperature


def synthetic_record(noise_sd=0.12, seed=0):
    """The model's temperature at TRUTH plus Gaussian noise of sd noise_sd (K) in every year: (len(YEARS),)."""
    check_positive(noise_sd, "noise_sd")
    return simulate(TRUTH)[0] + noise_sd * np.random.default_rng(seed).normal(size=len(YEARS))


def log_posterior(theta, record, noise_sd=0.12):
    """log p(theta | record) up to a constant (n,) for theta (n, 2): uniform prior on BOUNDS (-inf outside) and
    independent Gaussian errors of sd noise_sd (K) on the yearly record (len(YEARS),)."""
    theta = np.atleast_2d(np.asarray(theta, dtype=float))
    inside = np.all((theta >= BOUNDS[:, 0]) & (theta <= BOUNDS[:, 1]), axis=1)
    out = np.full(len(theta), -np.inf)
    if inside.any():
        misfit = simulate(theta[inside]) - np.asarray(record, dtype=float)
        out[inside] = -0.5 * (misfit**2).sum(axis=1) / noise_sd**2
    return out


def posterior_grid(record, noise_sd=0.12, n=301, width=8.0):
    """The exact posterior on a grid: (feedback (n,), heat_capacity (n,), probability (n, n) summing to 1, the
    first axis the feedback). A coarse pass over BOUNDS finds the mass; the fine grid spans its mean +- width sd
    (clipped to BOUNDS), so it resolves a posterior much narrower than the prior."""
    check_positive(n, "n", integer=True)

    def on_grid(lo, hi, m):
        axes = [np.linspace(lo[i], hi[i], m) for i in range(2)]
        mesh = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 2)
        logp = log_posterior(mesh, record, noise_sd).reshape(m, m)
        p = np.exp(logp - logp.max())
        return axes, p / p.sum()

    (a, b), p = on_grid(BOUNDS[:, 0], BOUNDS[:, 1], 201)
    mean = np.array([(p.sum(1) * a).sum(), (p.sum(0) * b).sum()])
    sd = np.sqrt([(p.sum(1) * (a - mean[0]) ** 2).sum(), (p.sum(0) * (b - mean[1]) ** 2).sum()])
    sd = np.maximum(sd, (BOUNDS[:, 1] - BOUNDS[:, 0]) / 200)          # at least one coarse cell
    lo, hi = np.maximum(mean - width * sd, BOUNDS[:, 0]), np.minimum(mean + width * sd, BOUNDS[:, 1])
    (a, b), p = on_grid(lo, hi, n)
    return a, b, p
