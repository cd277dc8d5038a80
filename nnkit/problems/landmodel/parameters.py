"""The 8 calibrated ELM parameters of the mini land model: names, prior ranges, units, defaults, prior sampling."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...core.validation import as_float_array, check_positive


@dataclass(frozen=True)
class Parameter:
    """One calibrated parameter with its uniform prior range [low, high] and ELM default."""

    name: str
    low: float
    high: float
    default: float
    unit: str
    meaning: str


PARAMETERS = (
    Parameter("rootb_par", 0.5, 4.0, 2.0, "1/m", "root profile shape (high = shallow roots) -> water stress"),
    Parameter("slatop", 0.01, 0.05, 0.03, "m2/gC", "specific leaf area: LAI per leaf carbon, leaf N per area"),
    Parameter("flnr", 0.1, 0.4, 0.15, "-", "fraction of leaf N in Rubisco -> Vcmax"),
    Parameter("frootcn", 25.0, 60.0, 42.0, "gC/gN", "fine-root C:N -> root respiration and N demand"),
    Parameter("froot_leaf", 0.3, 1.5, 1.0, "-", "new fine-root C per new leaf C (allocation)"),
    Parameter("br_mr", 1.5e-6, 4e-6, 2.525e-6, "gC/gN/s", "base maintenance respiration at 20 degC (Q10 = 1.5)"),
    Parameter("crit_dayl", 35000.0, 45000.0, 39200.0, "s", "day length below which autumn leaf-off starts"),
    Parameter("crit_onset_gdd", 600.0, 1000.0, 700.0, "degC d", "growing degree days that trigger spring onset"),
)
PARAMETER_NAMES = tuple(p.name for p in PARAMETERS)
LOWER = np.array([p.low for p in PARAMETERS])
UPPER = np.array([p.high for p in PARAMETERS])
DEFAULTS = np.array([p.default for p in PARAMETERS])


def check_in_box(values, name, names, lower, upper, units, box="its range"):
    """Validate values (n, k) (a single (k,) row is accepted) with columns ``names`` inside [lower, upper] per
    column; the error names the first value outside, its column, ``box`` and the range. Returns (n, k)."""
    values = np.atleast_2d(as_float_array(values, name, ndim=(1, 2)))
    if values.shape[1] != len(names):
        raise ValueError(f"{name} must have {len(names)} columns {tuple(names)}; got shape {values.shape}")
    outside = (values < lower) | (values > upper)
    if outside.any():
        row, col = np.argwhere(outside)[0]
        raise ValueError(f"{name}[{row}, {col}] ({names[col]}) = {values[row, col]:g} is outside {box} "
                         f"[{lower[col]:g}, {upper[col]:g}] {units[col]}; {int(outside.any(axis=1).sum())} row(s) "
                         "out of range")
    return values


def check_theta(theta, name="theta"):
    """Validate parameters theta (n, 8) (a single (8,) vector is accepted) inside the prior box; return (n, 8)."""
    return check_in_box(theta, name, PARAMETER_NAMES, LOWER, UPPER, [p.unit for p in PARAMETERS])


def sample_prior(n, seed=0):
    """n parameter vectors (n, 8) drawn uniformly from the prior box, reproducible from ``seed``."""
    check_positive(n, "n", integer=True)
    rng = np.random.default_rng(seed)
    return LOWER + (UPPER - LOWER) * rng.random((n, len(PARAMETERS)))


def to_unit(theta):
    """Scale parameters (n, 8) to [0, 1]^8 by their prior ranges."""
    return (np.asarray(theta) - LOWER) / (UPPER - LOWER)


def from_unit(u):
    """Inverse of ``to_unit``: [0, 1]^8 -> parameter units."""
    return LOWER + (UPPER - LOWER) * np.asarray(u)
