"""Exact reference posteriors by importance sampling: against the square toy's grid posterior, the ESS floor, and
the shipped land-model references against a fresh, smaller regeneration."""
import subprocess
import sys

import numpy as np
import pytest

from nnkit.inference.metrics import c2st, marginal_w1
from nnkit.problems import landmodel as lm
from nnkit.problems.reference import ImportanceReference
from nnkit.problems.square_toy import SquareToy


def toy_reference(n_runs=100_000, **kwargs):
    """The square toy's noiseless simulator x -> x^2 with the noise in the likelihood: its exact posterior is the
    toy's (noise sd 0.1)."""
    return ImportanceReference(lambda x: x**2, lambda n, seed: np.random.default_rng(seed).uniform(-2, 2, (n, 1)),
                               0.1, n_runs=n_runs, chunk=30_000, **kwargs)


def test_importance_reference_matches_the_grid_posterior():
    reference = toy_reference()
    draws = reference.sample([1.0], 20000, seed=1)
    assert draws.shape == (20000, 1) and 7000 < reference.ess < 11000    # ~ 9 % of the runs near x = +-1
    exact = SquareToy().sample(1.0, 20000, seed=2)
    assert marginal_w1(np.abs(draws), np.abs(exact))[0] < 0.005      # the shape of each mode (|x| folds them)
    assert 0.48 < np.mean(draws > 0) < 0.52                          # and their weights
    np.testing.assert_array_equal(draws, reference.sample([1.0], 20000, seed=1))
    reference.sample([2.0], 10)                                           # the runs are kept: no new simulation
    assert reference.runs()[0].shape == (100_000, 1)


def test_too_few_runs_and_bad_observations_are_refused():
    with pytest.raises(ValueError, match=r"worth \d+ draws, below ess_floor = 1000: raise n_runs \(now 2000\)"):
        toy_reference(n_runs=2000).sample([1.0])
    with pytest.raises(ValueError, match="y_obs must hold 1 values"):
        toy_reference(n_runs=100).sample([1.0, 2.0])
    with pytest.raises(ValueError, match="y_obs contains 1 NaN"):
        toy_reference(n_runs=100).sample([np.nan])
    with pytest.raises(ValueError, match="n must be a positive integer"):
        toy_reference(n_runs=100).sample([1.0], n=0)
    with pytest.raises(ValueError, match="case must be one of"):
        lm.observed("synthetic_3")
    with pytest.raises(ValueError, match="noise_sd must be a positive number"):   # refused before any run
        ImportanceReference(lambda x: 1 / 0, lambda n, seed: 1 / 0, [0.1, -0.1])


def test_shipped_references_are_draws_inside_the_prior_with_their_making():
    for case in ("synthetic_1", "synthetic_2", "out_of_model"):
        reference = lm.load_reference(case)
        assert reference.draws.shape == (6000, 8) and reference.n_runs == 200_000 and reference.seed == 7
        assert reference.ess > (5000 if case == "out_of_model" else 20_000)   # model error: fewer runs match
        assert np.all(reference.draws >= lm.LOWER) and np.all(reference.draws <= lm.UPPER)
        informed = reference.draws.std(axis=0) / (lm.UPPER - lm.LOWER) < 0.8 / np.sqrt(12)
        assert informed[lm.PARAMETER_NAMES.index("rootb_par")]                 # LH informs the root profile


@pytest.mark.slow
def test_a_smaller_regeneration_agrees_within_monte_carlo_error():
    """20,000 fresh prior runs (another seed, ESS about 2,300) against the shipped 200,000-run reference of
    synthetic_1; 1000 draws, so that resampling repeats few runs."""
    sampler = lm.reference_sampler(n_runs=20_000, seed=11)
    fresh = lm.make_reference("synthetic_1", sampler, n_draws=1000, draw_seed=1)
    shipped = lm.load_reference("synthetic_1")
    u_fresh, u_shipped = lm.to_unit(fresh.draws), lm.to_unit(shipped.draws)
    sd = u_shipped.std(axis=0)
    standard_error = sd * np.sqrt(1 / fresh.ess + 1 / len(u_fresh) + 1 / shipped.ess + 1 / len(u_shipped))
    assert np.all(np.abs(u_fresh.mean(axis=0) - u_shipped.mean(axis=0)) < 3 * standard_error)
    assert c2st(u_shipped[:1000], u_fresh) < 0.56      # the null band at 1000 draws is about 0.5 +- 0.02


def test_the_command_line_refuses_to_overwrite(tmp_path):
    target = tmp_path / "reference_synthetic_2.csv"
    target.write_text("mine")
    command = [sys.executable, "-m", "nnkit.problems.landmodel", "reference", "--case", "synthetic_2", "--n", "500",
               "--out", str(tmp_path)]
    run = subprocess.run(command, capture_output=True, text=True)
    assert run.returncode == 2 and "--force" in run.stderr and target.read_text() == "mine"
    bad = subprocess.run(command[:5] + ["nowhere"] + command[6:], capture_output=True, text=True)
    assert bad.returncode == 2 and "invalid choice: 'nowhere'" in bad.stderr
    small = subprocess.run(command + ["--force"], capture_output=True, text=True)
    assert small.returncode == 2 and "raise n_runs (now 500)" in small.stderr and target.read_text() == "mine"
