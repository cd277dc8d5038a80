"""Exact reference posteriors of the observation cases, computed from the land model itself (importance sampling
from the prior, ``problems.reference``), and the shipped reference draws in ``data/elm_moflux/``.

One set of prior runs serves every case: the cases differ in their observations only, and each is calibrated with
the default model (the out-of-model case too: its observations come from another structure, the calibration does
not know that).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from ...core.validation import check_choice
from ..reference import ImportanceReference
from .data import CASES, DATA_DIR, NUMBER_FORMAT, check_writable, load_observations, noise_sd
from .model import OUTPUT_NAMES, simulate
from .parameters import PARAMETER_NAMES, check_theta, sample_prior
from .weather import YEARS

CALIBRATED_OUTPUTS = tuple(f"LH_{year}" for year in YEARS)   # what the cases calibrate on: 5 annual mean LH
REFERENCE_RUNS, REFERENCE_DRAWS, REFERENCE_SEED = 200_000, 6000, 7


@dataclass(frozen=True)
class Reference:
    """Reference draws (n, 8) of one case's posterior, with how they were made: prior runs, their seed, the
    effective sample size of the importance sample, and the resampling seed."""

    case: str
    draws: np.ndarray
    n_runs: int
    seed: int
    ess: float


def reference_sampler(n_runs=REFERENCE_RUNS, seed=REFERENCE_SEED, ess_floor=1000, progress=False):
    """An ``ImportanceReference`` of the default model for the calibrated outputs (LH), with their noise sd."""
    columns = [OUTPUT_NAMES.index(name) for name in CALIBRATED_OUTPUTS]
    return ImportanceReference(partial(simulate_columns, columns=columns), sample_prior, noise_sd()[columns],
                               n_runs=n_runs, chunk=20_000, ess_floor=ess_floor, seed=seed, progress=progress)


def simulate_columns(theta, columns):
    """The model's outputs (n, len(columns)) in ``columns`` (a module-level function, so a sampler pickles)."""
    return simulate(theta)[:, columns]


def observed(case, observations=None):
    """The calibrated outputs (5,) of an observation case (``data.CASES``)."""
    check_choice(case, "case", CASES)
    observations = load_observations() if observations is None else observations
    return observations.values[case][[OUTPUT_NAMES.index(name) for name in CALIBRATED_OUTPUTS]]


def make_reference(case, sampler, n_draws=REFERENCE_DRAWS, draw_seed=0):
    """Draw ``n_draws`` from the reference posterior of ``case`` with ``sampler`` (``reference_sampler()``)."""
    draws = sampler.sample(observed(case), n_draws, seed=draw_seed)
    return Reference(case, draws, sampler.n_runs, sampler.seed, sampler.ess)


def reference_path(case, directory=None):
    return Path(directory if directory is not None else DATA_DIR) / f"reference_{check_choice(case, 'case', CASES)}.csv"


def write_reference(reference, path, force=False):
    """A CSV of the draws: a comment line with how they were made (key=value), a header of parameter names, then
    one row per draw."""
    path = check_writable(path, force)
    note = (f"# reference posterior: case={reference.case} n_runs={reference.n_runs} seed={reference.seed} "
            f"ess={reference.ess:.0f} (prior runs weighted by the Gaussian likelihood of the observed LH, resampled)")
    np.savetxt(path, reference.draws, delimiter=",", fmt=NUMBER_FORMAT, comments="",
               header=note + "\n" + ",".join(PARAMETER_NAMES))
    return path


def load_reference(case, directory=None):
    """The shipped reference draws of ``case`` (default ``data/elm_moflux/reference_<case>.csv``)."""
    path = reference_path(case, directory)
    with open(path) as fh:
        note, header = fh.readline(), tuple(fh.readline().strip().split(","))
    fields = dict(re.findall(r"(\w+)=(\S+)", note))
    if not note.startswith("# reference posterior:") or header != PARAMETER_NAMES or fields.get("case") != case:
        raise ValueError(f"{path} is not the reference file of {case} (a '# reference posterior: case={case} ...' "
                         f"line, then the columns {PARAMETER_NAMES})")
    draws = check_theta(np.loadtxt(path, delimiter=",", skiprows=2, ndmin=2), str(path))
    return Reference(case, draws, int(fields["n_runs"]), int(fields["seed"]), float(fields["ess"]))
