"""Spin-up of the mini land model: the slow carbon pools to equilibrium, then the stand's history.

The slow pools x = (litter L, dead wood D, coarse woody debris W, soil S) are linear and donor-controlled. Per day,
with r the temperature-moisture factor of decay and I the plant's inputs (leaf and root fall, new wood):

    L' = (L + I_L)(1 - k_L r)      D' = D (1 - k_D) + I_D      W' = W (1 - k_W r) + k_D D
    S' = S (1 - k_S r) + (1 - f_L) k_L r (L + I_L) + (1 - f_W) k_W r W       (f: the fraction respired)

so one pass through the 5-year forcing maps the pools' start x0 to x_end = A x0 + b. ``advance`` carries the
lower-triangular 4 x 4 matrix A along with the day; b = x_end - A x0.

1. Equilibrium (under the past CO2, ``co2_past_ppm``). One pass settles the fast pools (leaves, storage, live wood,
   mineral N). After each further pass the slow pools jump to the periodic steady state x* = (I - A)^-1 b, exact
   for that pass's plant inputs. Decomposition releases the mineral N that growth needs, so the inputs move with
   the pools: most members converge in 3-4 passes, plant types that start by collapsing take up to 9. Each
   member stops once a pass changes its total ecosystem carbon by less than ``DRIFT_TOLERANCE``.
2. History. MOFLUX is a second-growth forest: a clear-cut ``stand_age`` years before the record removed
   ``harvest_removed`` of the dead (stem) wood and left the rest as slash in the CWD. The slow pools then follow
   x <- A x + b pass after pass (the plant's inputs and the N feedback held at equilibrium; stand_age is rounded
   to whole passes; None = an undisturbed forest), and one pass under today's CO2 lets the fast pools follow. The
   regrowing wood and the CO2 rise make the recorded carbon sink.
"""
from __future__ import annotations

import numpy as np

from .weather import DAYS_PER_YEAR

MAX_EQUILIBRIUM_PASSES = 12
DRIFT_TOLERANCE = 0.1  # gC/m2/yr: a member whose last pass drifted less than this is in equilibrium
# Entries of A: the diagonal survival of each pool, then how a pool's start reaches the pools it feeds.
TANGENT_ENTRIES = ("LL", "DD", "WW", "SS", "WD", "SL", "SW", "SD")


def total_carbon(m):
    """Total ecosystem carbon (n,) gC/m2 of a model state (plant, storage, in-transit, litter, wood, soil)."""
    in_transit = (m.leaf_xfer_rate + m.froot_xfer_rate) * m.onset_days
    return (m.leaf + m.froot + m.leaf_stor + m.froot_stor + in_transit + m.cpool + m.livewood + m.deadwood
            + m.litter + m.cwd + m.soil)


def slow_pools(m):
    return np.stack([m.litter, m.deadwood, m.cwd, m.soil])  # (4, n)


def _set_slow_pools(m, x):
    m.litter, m.deadwood, m.cwd, m.soil = (np.array(v) for v in x)


def new_tangent(n):
    """A = identity at the start of a pass: a dict of the entries in ``TANGENT_ENTRIES``, each (n,)."""
    return {k: np.full(n, 1.0 if k[0] == k[1] else 0.0) for k in TANGENT_ENTRIES}


def advance(a, rate, s):
    """Carry A (a dict of (n,) entries, updated in place) through one day with decay factor ``rate`` (n,)."""
    k_litter, k_cwd, k_soil = s.litter_turnover * rate, s.cwd_turnover * rate, s.soil_turnover * rate
    k_wood = s.wood_mortality / DAYS_PER_YEAR
    keep_soil, humify_litter, humify_cwd = 1 - k_soil, (1 - s.litter_respired) * k_litter, (1 - s.cwd_respired) * k_cwd
    a["SD"] = keep_soil * a["SD"] + humify_cwd * a["WD"]
    a["SW"] = keep_soil * a["SW"] + humify_cwd * a["WW"]
    a["SL"] = keep_soil * a["SL"] + humify_litter * a["LL"]
    a["WD"] = (1 - k_cwd) * a["WD"] + k_wood * a["DD"]
    a["SS"] *= keep_soil
    a["WW"] *= 1 - k_cwd
    a["LL"] *= 1 - k_litter
    a["DD"] *= 1 - k_wood


def _pass_map(model):
    """Run one pass; return (A as a dict of (n,) entries, b (4, n), drift of total carbon (n,) gC/m2/yr)."""
    x0, before = slow_pools(model), total_carbon(model)
    model.tangent = new_tangent(model.leaf.size)
    model.run(record=False)
    a, model.tangent = model.tangent, None
    b = slow_pools(model) - _apply(a, x0)
    return a, b, (total_carbon(model) - before) * DAYS_PER_YEAR / model.weather.n_days


def _apply(a, x):
    """A x for pools x (4, n)."""
    litter, dead, cwd, soil = x
    return np.stack([a["LL"] * litter, a["DD"] * dead, a["WW"] * cwd + a["WD"] * dead,
                     a["SS"] * soil + a["SL"] * litter + a["SW"] * cwd + a["SD"] * dead])


def _steady_state(a, b):
    """The periodic steady state x* = (I - A)^-1 b, by forward substitution (A is lower-triangular)."""
    litter = b[0] / (1 - a["LL"])
    dead = b[1] / (1 - a["DD"])
    cwd = (b[2] + a["WD"] * dead) / (1 - a["WW"])
    soil = (b[3] + a["SL"] * litter + a["SW"] * cwd + a["SD"] * dead) / (1 - a["SS"])
    return np.stack([litter, dead, cwd, soil])


def spin_up(model):
    """Bring a fresh model to equilibrium and through the stand history; return the drift of total ecosystem
    carbon over the last equilibrium pass, (n,) gC/m2/yr."""
    present, model.forcing = model.forcing, model.past_forcing
    model.run(record=False)
    a, b, drift = _pass_map(model)
    for _ in range(MAX_EQUILIBRIUM_PASSES - 1):  # members still drifting jump and pass again; the rest wait
        busy = np.abs(drift) >= DRIFT_TOLERANCE
        if not busy.any():
            break
        sub = model.take(busy)
        _set_slow_pools(sub, _steady_state({k: v[busy] for k, v in a.items()}, b[:, busy]))
        a_busy, b[:, busy], drift[busy] = _pass_map(sub)
        for k in a:
            a[k][busy] = a_busy[k]
        model.put(busy, sub)
    if model.s.stand_age is not None:
        x = slow_pools(model)
        x[2] += (1 - model.s.harvest_removed) * x[1]  # the clear-cut: slash to the CWD, the stems off-site
        x[1] = 0.0
        for _ in range(int(round(model.s.stand_age * DAYS_PER_YEAR / model.weather.n_days))):
            x = _apply(a, x) + b
        _set_slow_pools(model, x)
    model.forcing = present
    model.run(record=False)
    return drift
