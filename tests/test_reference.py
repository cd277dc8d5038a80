"""Exact reference posteriors by importance sampling: against the square toy's grid posterior, the ESS floor, and
the shipped land-model references against a fresh, smaller regeneration; neural importance sampling against a
linear-Gaussian posterior, with proposals that are off."""
import subprocess
import sys

import numpy as np
import pytest

from nnkit.inference.metrics import c2st, marginal_w1
from nnkit.problems import landmodel as lm
from nnkit.core.scaling import BoxTransform
from nnkit.problems.reference import ImportanceReference, NeuralImportanceSampler
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


A = np.array([[1.0, 0.5], [0.0, 1.0], [1.0, -1.0]])   # y = A theta + noise; uniform prior on [-4, 4]^2
NOISE = np.array([0.5, 0.5, 0.3])
BOX = BoxTransform([-4.0, -4.0], [4.0, 4.0])
Y_OBS = np.array([0.5, -0.3, 1.0])


def exact_posterior(y):
    """Mean (2,) and covariance (2, 2) of theta given y: the likelihood's Gaussian, which the box barely cuts."""
    cov = np.linalg.inv(A.T @ np.diag(NOISE**-2) @ A)
    return cov @ A.T @ (y / NOISE**2), cov


class GaussianProposal:
    """A stand-in for a learnt posterior: the exact one moved by ``shift`` sd and widened by ``widen``."""

    def __init__(self, shift=0.0, widen=1.0):
        self.shift, self.widen = shift, widen

    def _moments(self, y):
        mean, cov = exact_posterior(np.asarray(y))
        return mean + self.shift * np.sqrt(np.diag(cov)), cov * self.widen**2

    def sample(self, y, n, seed=0):
        return np.random.default_rng(seed).multivariate_normal(*self._moments(y), n)

    def log_prob(self, theta, y):
        mean, cov = self._moments(y)
        r = theta - mean
        return -0.5 * np.einsum("ni,ij,nj->n", r, np.linalg.inv(cov), r) - 0.5 * np.linalg.slogdet(2 * np.pi * cov)[1]


def neural_importance(proposal, **kwargs):
    return NeuralImportanceSampler(proposal, lambda theta: theta @ A.T, NOISE, BOX, **kwargs)


def test_neural_importance_sampling_corrects_a_proposal_that_is_off():
    mean, cov = exact_posterior(Y_OBS)
    sd = np.sqrt(np.diag(cov))
    proposal = GaussianProposal(shift=1.0, widen=1.5)
    sampler = neural_importance(proposal, n_runs=20_000)
    draws = sampler.sample(Y_OBS, 20_000, seed=1)
    raw = proposal.sample(Y_OBS, 20_000, seed=1)
    assert np.all(np.abs(raw.mean(axis=0) - mean) > 0.9 * sd)              # the proposal is 1 sd off
    assert np.all(np.abs(draws.mean(axis=0) - mean) < 0.05 * sd)           # the corrected draws are not
    np.testing.assert_allclose(draws.std(axis=0), sd, rtol=0.05)
    assert np.corrcoef(draws.T)[0, 1] == pytest.approx(cov[0, 1] / sd.prod(), abs=0.03)
    assert 0.1 < sampler.efficiency < 0.8 and sampler.ess == pytest.approx(sampler.efficiency * 20_000)
    np.testing.assert_array_equal(draws, sampler.sample(Y_OBS, 20_000, seed=1))


def test_an_exact_proposal_is_worth_every_run_and_the_defensive_prior_share_costs_runs():
    exact = neural_importance(GaussianProposal(), n_runs=4000, defensive=0.0)
    exact.sample(Y_OBS, 10)
    assert exact.efficiency > 0.99                    # equal weights: q is the posterior
    mixed = neural_importance(GaussianProposal(), n_runs=4000, defensive=0.2)
    mixed.sample(Y_OBS, 10)
    assert 0.7 < mixed.efficiency < 0.85              # the prior's fifth of the runs is worth little


def test_the_runs_stop_once_the_weights_reach_the_target_ess():
    proposal = GaussianProposal(shift=1.0, widen=1.5)
    early = neural_importance(proposal, n_runs=20_000, target_ess=1000, chunk=500)
    draws = early.sample(Y_OBS, 300, seed=3)
    assert early.ess >= 1000 and early.n_used < 20_000 and early.n_used % 500 == 0
    fewer = neural_importance(proposal, n_runs=early.n_used - 500)        # the same runs, one chunk short
    fewer.sample(Y_OBS, 300, seed=3)
    assert fewer.ess < 1000
    same = neural_importance(proposal, n_runs=early.n_used, chunk=early.n_used)   # a prefix of the same runs
    np.testing.assert_array_equal(draws, same.sample(Y_OBS, 300, seed=3))
    assert same.ess == pytest.approx(early.ess) and same.efficiency == pytest.approx(early.ess / early.n_used)


def test_the_prior_share_rescues_a_proposal_too_narrow_to_reach_the_posterior():
    """A proposal 3 sd off and a third as wide puts almost no runs where the posterior is: without the prior's
    share the weights pile onto its few runs in the tail and the mean stays off."""
    mean, cov = exact_posterior(Y_OBS)
    sd = np.sqrt(np.diag(cov))
    narrow = GaussianProposal(shift=3.0, widen=0.3)
    with_prior = neural_importance(narrow, n_runs=40_000, defensive=0.5).sample(Y_OBS, 20_000, seed=2)
    assert np.all(np.abs(with_prior.mean(axis=0) - mean) < 0.1 * sd)
    alone = neural_importance(narrow, n_runs=40_000, defensive=0.0, ess_floor=1)
    assert np.any(np.abs(alone.sample(Y_OBS, 20_000, seed=2).mean(axis=0) - mean) > 0.5 * sd)
    assert alone.ess < 100


def test_neural_importance_sampling_refuses_bad_input():
    with pytest.raises(TypeError, match="proposal must have sample"):
        NeuralImportanceSampler(object(), lambda t: t, 0.1, BOX)
    with pytest.raises(TypeError, match="box must be the BoxTransform"):
        NeuralImportanceSampler(GaussianProposal(), lambda t: t, 0.1, [-1, 1])
    with pytest.raises(TypeError, match="context None or a callable"):
        NeuralImportanceSampler(GaussianProposal(), lambda t: t, 0.1, BOX, context=[1.0])
    with pytest.raises(ValueError, match="target_ess must be a positive"):
        neural_importance(GaussianProposal(), target_ess=0)
    with pytest.raises(ValueError, match=r"defensive must be in \[0, 1\)"):
        neural_importance(GaussianProposal(), defensive=1.0)
    with pytest.raises(ValueError, match="noise_sd must be a positive number"):
        NeuralImportanceSampler(GaussianProposal(), lambda t: t, [0.1, 0.0], BOX)
    with pytest.raises(ValueError, match="y_obs contains 1 NaN"):
        neural_importance(GaussianProposal()).sample([0.5, np.nan, 1.0])
    wrong_noise = NeuralImportanceSampler(GaussianProposal(), lambda theta: theta @ A.T, [0.1, 0.2], BOX)
    with pytest.raises(ValueError, match=r"noise_sd must be a positive number or 3 positive numbers \(one per"):
        wrong_noise.sample(Y_OBS)
    with pytest.raises(ValueError, match=r"worth \d+ draws, below ess_floor = 100: raise n_runs \(now 50\)"):
        neural_importance(GaussianProposal(shift=3.0, widen=0.3), n_runs=50).sample(Y_OBS)
