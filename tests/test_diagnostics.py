"""R-hat and ESS as Vehtari et al. (2021) define them: against ArviZ on random chains, and on chains whose answer is
known (agreeing, shifted, drifting, differently scaled, independent, autocorrelated)."""
import warnings

import numpy as np
import pytest

from nnkit.inference.diagnostics import ess_bulk, ess_tail, rank_normalise, rhat, split_chains, split_rhat

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)   # ArviZ announces its refactor on import
    import arviz as az


def random_chains(seed):
    """Chains (draws, chains) of a Student-t AR(1) process with chain offsets: heavy tails, autocorrelation of
    either sign, chains that disagree a little; every seventh case rounded to integers (ties)."""
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(20, 600)), int(rng.integers(2, 9))
    if (n * m - 1) % 20 == 0:   # (N - 1) p an integer puts a quantile exactly on a draw: x <= q is then decided
        n += 1                  # by round-off, differently in ArviZ's mquantiles and numpy's quantile
    x = rng.standard_t(int(rng.integers(1, 6)), size=(n, m))
    phi = rng.uniform(-0.5, 0.99)
    for t in range(1, n):
        x[t] += phi * x[t - 1]
    x += rng.normal(size=m) * rng.uniform(0, 1)
    return np.round(x) if seed % 7 == 0 else x


@pytest.mark.parametrize("seed", range(40))
def test_rhat_and_ess_agree_with_arviz(seed):
    x = random_chains(seed)
    np.testing.assert_allclose(rhat(x)[0], float(az.rhat(x.T, method="rank")), rtol=1e-6)
    np.testing.assert_allclose(ess_bulk(x)[0], float(az.ess(x.T, method="bulk")), rtol=1e-6)
    np.testing.assert_allclose(ess_tail(x)[0], float(az.ess(x.T, method="tail")), rtol=1e-6)


def test_several_dimensions_at_once():
    x = np.stack([random_chains(1), random_chains(1) ** 3], axis=2)   # (draws, chains, 2)
    assert rhat(x).shape == ess_bulk(x).shape == ess_tail(x).shape == (2,)
    np.testing.assert_allclose(rhat(x)[1], rhat(x)[0])                 # a monotone map keeps the ranks
    np.testing.assert_allclose(ess_bulk(x)[1], ess_bulk(x)[0])


def test_building_blocks():
    x = np.arange(24.0).reshape(6, 4)                                  # (draws, chains)
    split = split_chains(x)
    assert split.shape == (3, 8, 1)
    np.testing.assert_array_equal(split[:, :4, 0], x[:3])
    np.testing.assert_array_equal(split[:, 4:, 0], x[3:])
    z = rank_normalise(x)
    assert z.shape == (6, 4, 1) and np.all(np.diff(z[:, :, 0].ravel()) > 0)   # ranks kept, normal scores
    np.testing.assert_allclose(z.mean(), 0, atol=1e-12)
    same = np.random.default_rng(0).normal(size=(500, 4))
    assert split_rhat(same)[0] == pytest.approx(1.0, abs=0.01)


def test_rhat_flags_disagreement_drift_and_scale():
    rng = np.random.default_rng(0)
    agree = rng.normal(size=(1000, 4, 1))
    assert rhat(agree)[0] < 1.01
    assert rhat(agree + np.array([0.0, 0.0, 0.0, 3.0])[None, :, None])[0] > 1.2          # one chain elsewhere
    assert rhat(agree + np.linspace(0, 3, 1000)[:, None, None])[0] > 1.1                 # drift within chains
    scaled = agree * np.array([1.0, 1.0, 1.0, 4.0])[None, :, None]                      # same centre, other spread
    assert split_rhat(scaled)[0] < 1.01 < rhat(scaled)[0]                               # only the tails show it


def test_ess_of_independent_and_autocorrelated_draws():
    rng = np.random.default_rng(0)
    iid = rng.normal(size=(5000, 4, 1))
    assert abs(ess_bulk(iid)[0] / 20000 - 1) < 0.1 and abs(ess_tail(iid)[0] / 20000 - 1) < 0.15
    rho = 0.9
    ar = np.zeros((5000, 4, 1))
    noise = rng.normal(size=ar.shape) * np.sqrt(1 - rho**2)
    for t in range(1, 5000):
        ar[t] = rho * ar[t - 1] + noise[t]
    expected = 20000 * (1 - rho) / (1 + rho)
    assert abs(ess_bulk(ar)[0] / expected - 1) < 0.2
    assert ess_tail(ar)[0] < 0.5 * ess_tail(iid)[0]
    assert ess_bulk(np.ones((10, 2)))[0] == 20                                          # a constant: every draw


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match=r"samples must be \(draws >= 4, chains, d\)"):
        rhat(np.zeros((2, 3, 1)))
    with pytest.raises(ValueError, match="NaN or inf"):
        ess_bulk(np.full((10, 2), np.nan))
