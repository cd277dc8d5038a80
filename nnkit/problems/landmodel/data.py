"""The shipped MOFLUX data set (``data/elm_moflux/``): the prior ensemble and the observation cases.

Everything here is regenerated from the model and fixed seeds, so a test can rebuild it and compare.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...core.validation import check_positive
from .model import DEFAULT_STRUCTURE, OUT_OF_MODEL, OUTPUT_NAMES, OUTPUT_UNITS, simulate
from .parameters import PARAMETER_NAMES, PARAMETERS, check_theta, sample_prior

DATA_DIR = Path(__file__).resolve().parents[3] / "data" / "elm_moflux"
ENSEMBLE_FILE, OBSERVATIONS_FILE, TRUTH_FILE = "ensemble.csv", "observations.csv", "true_parameters.csv"
NUMBER_FORMAT = "%.7g"

# Observation error sd per variable: annual NEE sum, annual mean LAI, annual mean LH.
NOISE_SD = {"NEE": 25.0, "LAI": 0.1, "LH": 1.5}
OBSERVATION_SEED = 2024
# case -> (true parameters in PARAMETERS order, model structure that makes the observations)
CASES = {
    "synthetic_1": ((2.0, 0.03, 0.15, 42.0, 1.0, 2.525e-6, 39200.0, 700.0), DEFAULT_STRUCTURE),
    "synthetic_2": ((1.0, 0.04, 0.25, 30.0, 0.6, 3.2e-6, 41500.0, 850.0), DEFAULT_STRUCTURE),
    "out_of_model": ((2.0, 0.03, 0.15, 42.0, 1.0, 2.525e-6, 39200.0, 700.0), OUT_OF_MODEL),
}


@dataclass(frozen=True)
class Ensemble:
    """Prior ensemble: parameters (n, 8) and model outputs (n, 15), columns named as in the CSV."""

    parameters: np.ndarray
    outputs: np.ndarray
    parameter_names: tuple = PARAMETER_NAMES
    output_names: tuple = OUTPUT_NAMES


@dataclass(frozen=True)
class Observations:
    """Observation cases: values[case] (15,), true_parameters[case] (8,), noise_sd (15,) in OUTPUT_NAMES order."""

    values: dict
    true_parameters: dict
    noise_sd: np.ndarray
    output_names: tuple = OUTPUT_NAMES


def make_ensemble(n=1000, seed=0):
    """Sample n parameter sets from the uniform prior (seeded) and simulate them."""
    check_positive(n, "n", integer=True)
    theta = sample_prior(n, seed)
    return Ensemble(theta, simulate(theta))


def noise_sd():
    """Observation error sd (15,) in OUTPUT_NAMES order."""
    return np.array([NOISE_SD[name.split("_")[0]] for name in OUTPUT_NAMES])


def make_observations(seed=OBSERVATION_SEED):
    """Simulate every case in ``CASES`` and add Gaussian noise with sd ``NOISE_SD`` (seeded)."""
    rng = np.random.default_rng(seed)
    sd = noise_sd()
    values, truth = {}, {}
    for case, (theta, structure) in CASES.items():
        theta = check_theta(np.array(theta))[0]
        values[case] = simulate(theta[None], structure=structure)[0] + sd * rng.standard_normal(sd.size)
        truth[case] = theta
    return Observations(values, truth, sd)


def check_writable(path, force):
    path = Path(path)
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; pass force=True (--force on the command line) to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_ensemble(ensemble, path, force=False):
    """Write the ensemble as CSV: a header row, then one row per member (parameters, then outputs)."""
    path = check_writable(path, force)
    table = np.hstack([ensemble.parameters, ensemble.outputs])
    np.savetxt(path, table, delimiter=",", fmt=NUMBER_FORMAT, comments="",
               header=",".join(ensemble.parameter_names + ensemble.output_names))
    return path


def load_ensemble(path=None):
    """Read an ensemble CSV (default: the shipped 1000-member one)."""
    path = Path(path) if path is not None else DATA_DIR / ENSEMBLE_FILE
    with open(path) as fh:
        header = tuple(fh.readline().strip().split(","))
    if header != PARAMETER_NAMES + OUTPUT_NAMES:
        raise ValueError(f"{path} does not have the columns {PARAMETER_NAMES + OUTPUT_NAMES}; got {header}")
    table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    k = len(PARAMETER_NAMES)
    return Ensemble(table[:, :k], table[:, k:])


def write_observations(observations, directory, force=False):
    """Write observations.csv (one row per output) and true_parameters.csv (one row per parameter)."""
    directory = Path(directory)
    obs_path = check_writable(directory / OBSERVATIONS_FILE, force)
    truth_path = check_writable(directory / TRUTH_FILE, force)
    cases = list(observations.values)
    with open(obs_path, "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["output", "variable", "year", "unit", "noise_sd"] + cases)
        for i, name in enumerate(observations.output_names):
            variable, year = name.split("_")
            out.writerow([name, variable, year, OUTPUT_UNITS[variable], NUMBER_FORMAT % observations.noise_sd[i]]
                         + [NUMBER_FORMAT % observations.values[c][i] for c in cases])
    with open(truth_path, "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["parameter", "unit"] + cases)
        for i, p in enumerate(PARAMETERS):
            out.writerow([p.name, p.unit] + [NUMBER_FORMAT % observations.true_parameters[c][i] for c in cases])
    return obs_path, truth_path


def load_observations(directory=None):
    """Read observations.csv and true_parameters.csv (default: the shipped ones)."""
    directory = Path(directory) if directory is not None else DATA_DIR
    with open(directory / OBSERVATIONS_FILE, newline="") as fh:
        rows = list(csv.DictReader(fh))
    cases = [c for c in rows[0] if c not in ("output", "variable", "year", "unit", "noise_sd")]
    names = tuple(r["output"] for r in rows)
    if names != OUTPUT_NAMES:
        raise ValueError(f"{directory / OBSERVATIONS_FILE} rows must be {OUTPUT_NAMES}; got {names}")
    values = {c: np.array([float(r[c]) for r in rows]) for c in cases}
    sd = np.array([float(r["noise_sd"]) for r in rows])
    with open(directory / TRUTH_FILE, newline="") as fh:
        truth_rows = list(csv.DictReader(fh))
    truth = {c: np.array([float(r[c]) for r in truth_rows]) for c in cases}
    return Observations(values, truth, sd)
