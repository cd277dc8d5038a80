"""The conditional INN against exact posteriors: a linear-Gaussian model (mean, covariance and density in closed
form) and a box prior whose learnt density must integrate to one."""
import numpy as np
import pytest

from nnkit.core.scaling import BoxTransform
from nnkit.inference.cinn import ConditionalINN

A = np.array([[1.0, 0.5], [0.0, 1.0], [1.0, -1.0]])   # y = A x + noise, x ~ N(0, I_2), 3 outputs
NOISE = np.array([0.5, 0.5, 0.3])


def exact_posterior(y):
    """Mean (2,) and covariance (2, 2) of x given y under the linear-Gaussian model."""
    precision = np.eye(2) + A.T @ np.diag(NOISE**-2) @ A
    cov = np.linalg.inv(precision)
    return cov @ A.T @ (y / NOISE**2), cov


def gaussian_log_density(x, mean, cov):
    r = x - mean
    return -0.5 * np.einsum("ni,ij,nj->n", r, np.linalg.inv(cov), r) - 0.5 * np.linalg.slogdet(2 * np.pi * cov)[1]


@pytest.fixture(scope="module")
def linear_gaussian_cinn():
    x = np.random.default_rng(0).standard_normal((4000, 2))
    return ConditionalINN(noise_sd=NOISE, n_blocks=4, hidden=32, n_iter=1000, seed=0).fit(x, x @ A.T)


@pytest.mark.slow
@pytest.mark.parametrize("y_obs", [[0.5, -0.3, 1.0], [-1.5, 0.8, -2.0]])
def test_matches_the_exact_gaussian_posterior(linear_gaussian_cinn, y_obs):
    mean, cov = exact_posterior(np.array(y_obs))
    draws = linear_gaussian_cinn.sample(y_obs, 20000, seed=1)
    sd = np.sqrt(np.diag(cov))
    assert np.all(np.abs(draws.mean(axis=0) - mean) < 0.2 * sd)      # 0.1 sd off at 1000 steps
    np.testing.assert_allclose(draws.std(axis=0), sd, rtol=0.1)
    assert np.corrcoef(draws.T)[0, 1] == pytest.approx(cov[0, 1] / sd.prod(), abs=0.05)
    exact = np.random.default_rng(2).multivariate_normal(mean, cov, 4000)
    kl = np.mean(gaussian_log_density(exact, mean, cov) - linear_gaussian_cinn.log_prob(exact, y_obs))
    assert -0.02 < kl < 0.05        # KL(p || q) estimated from draws of p: 0 for an exact fit


@pytest.mark.slow
def test_history_and_early_stopping(linear_gaussian_cinn):
    h = linear_gaussian_cinn.history
    assert h["step"][-1] == 999 and len(h["train_loss"]) == len(h["val_loss"]) == 10
    assert h["best_step"] == h["step"][int(np.argmin(h["val_loss"]))] and h["seconds"] > 0
    assert h["val_loss"][-1] < h["val_loss"][0]


@pytest.mark.slow
def test_a_box_prior_gives_draws_inside_and_a_density_that_integrates_to_one():
    """x uniform on [2, 4] x [-1, 1]; y = first parameter + noise 0.2: a normalised density on the box."""
    box = BoxTransform([2.0, -1.0], [4.0, 1.0])
    x = box.from_unit(np.random.default_rng(3).random((3000, 2)))
    cinn = ConditionalINN(noise_sd=0.2, box=box, n_blocks=3, hidden=32, n_iter=400, seed=1).fit(x, x[:, :1])
    draws = cinn.sample([3.5], 4000, seed=2)
    assert np.all(box.to_unit(draws) > 0) and np.all(box.to_unit(draws) < 1)
    assert draws[:, 0].mean() == pytest.approx(3.5, abs=0.05)         # N(3.5, 0.2^2), cut at 4 after 2.5 sd
    assert draws[:, 1].std() == pytest.approx(2 / np.sqrt(12), rel=0.1)  # uninformed: the prior's sd
    g0, g1 = np.linspace(2, 4, 401)[1:-1], np.linspace(-1, 1, 401)[1:-1]
    grid = np.stack(np.meshgrid(g0, g1, indexing="ij"), axis=-1).reshape(-1, 2)
    mass = np.exp(cinn.log_prob(grid, [3.5])).sum() * (g0[1] - g0[0]) * (g1[1] - g1[0])
    assert mass == pytest.approx(1.0, abs=0.03)


@pytest.mark.slow
def test_exact_columns_and_determinism():
    """A column with noise 0 is an input known exactly (a site descriptor): the posterior follows it."""
    rng = np.random.default_rng(4)
    x, s = rng.standard_normal((3000, 2)), rng.random((3000, 1))
    y = np.hstack([x[:, :1] + s, s])                 # the output is shifted by the known input s
    cinn = ConditionalINN(noise_sd=[0.3, 0.0], n_blocks=3, hidden=32, n_iter=500, seed=0).fit(x, y)
    at0, at1 = cinn.sample([1.0, 0.0], 4000, seed=5), cinn.sample([1.0, 1.0], 4000, seed=5)
    assert at0[:, 0].mean() == pytest.approx(1.0 / 1.09, abs=0.12)   # x1 | x1 + N(0, 0.3^2) = 1
    assert at1[:, 0].mean() == pytest.approx(0.0, abs=0.12)          # x1 | x1 + N(0, 0.3^2) = 0
    np.testing.assert_array_equal(at0, cinn.sample([1.0, 0.0], 4000, seed=5))
    np.testing.assert_array_equal(at0, cinn.sample([1.0, 0.0], 4000, seed=np.int64(5)))   # a seed from an array


@pytest.mark.slow
def test_bad_input_is_refused(linear_gaussian_cinn):
    with pytest.raises(ValueError, match=r"noise_sd must be a number >= 0 or 3 numbers >= 0 \(one per output\)"):
        ConditionalINN(noise_sd=[0.5, -0.1, 0.2]).fit(np.zeros((5, 2)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="x must hold at least 2 runs of at least 2 parameters"):
        ConditionalINN().fit(np.zeros((5, 1)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="x and y must have the same number of samples"):
        ConditionalINN().fit(np.zeros((5, 2)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"y_obs must hold 3 values \(one per column of y\); got 2"):
        linear_gaussian_cinn.sample([1.0, 2.0])
    with pytest.raises(ValueError, match=r"seed must be an integer in \[0, 2\*\*32\); got -1"):
        linear_gaussian_cinn.sample([0.0, 0.0, 0.0], seed=-1)
    with pytest.raises(ValueError, match="x must have 2 columns"):
        linear_gaussian_cinn.log_prob(np.zeros((4, 3)), [0.0, 0.0, 0.0])
    with pytest.raises(RuntimeError, match="not fitted"):
        ConditionalINN().sample([0.0])
    with pytest.raises(TypeError, match="box must be a BoxTransform or None"):
        ConditionalINN(box=[0.0, 1.0])
    with pytest.raises(ValueError, match="n_iter must be a positive integer"):
        ConditionalINN(n_iter=0)


@pytest.mark.gpu
def test_fits_and_samples_on_cuda():
    """The same linear-Gaussian posterior on a GPU: draws come back as float64 numpy arrays near the exact mean."""
    x = np.random.default_rng(0).standard_normal((4000, 2))
    cinn = ConditionalINN(noise_sd=NOISE, n_blocks=4, hidden=32, n_iter=1000, seed=0, device="cuda").fit(x, x @ A.T)
    y_obs = [0.5, -0.3, 1.0]
    mean, cov = exact_posterior(np.array(y_obs))
    draws = cinn.sample(y_obs, 20000, seed=1)
    assert draws.dtype == np.float64 and np.all(np.abs(draws.mean(axis=0) - mean) < 0.2 * np.sqrt(np.diag(cov)))
    assert np.all(np.isfinite(cinn.log_prob(draws[:100], y_obs)))
