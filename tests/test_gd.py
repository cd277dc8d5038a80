import numpy as np
import pytest

from nnkit.basics import gd
from nnkit.problems.toys import make_blobs, make_linear_data


@pytest.fixture
def line():
    return make_linear_data(n=60, w=2.0, b=-1.0, noise=0.3, seed=1)


def numerical_gradient(loss_fn, w, b, x, y, eps=1e-6):
    w = np.atleast_1d(np.asarray(w, dtype=float))
    dw = np.array([(loss_fn(w + eps * e, b, x, y) - loss_fn(w - eps * e, b, x, y)) / (2 * eps)
                   for e in np.eye(len(w))])
    return dw, (loss_fn(w, b + eps, x, y) - loss_fn(w, b - eps, x, y)) / (2 * eps)


def test_linear_gradient_is_the_slope(line):
    x, y = line
    dw, db = gd.linear_gradient(0.3, -0.7, x, y)
    ndw, ndb = numerical_gradient(gd.linear_loss, 0.3, -0.7, x, y)
    np.testing.assert_allclose(dw, ndw, rtol=1e-7)
    assert db == pytest.approx(ndb, rel=1e-7)


@pytest.mark.parametrize("loss", gd.LOGISTIC_LOSSES)
def test_logistic_gradient_is_the_slope(loss):
    x, y = make_blobs(n=50, seed=2)
    fn = lambda w, b, x, y: gd.logistic_loss(w, b, x, y, loss=loss)  # noqa: E731
    dw, db = gd.logistic_gradient(np.array([0.4, -0.2]), 0.1, x, y, loss=loss)
    ndw, ndb = numerical_gradient(fn, [0.4, -0.2], 0.1, x, y)
    np.testing.assert_allclose(dw, ndw, rtol=1e-6)
    assert db == pytest.approx(ndb, rel=1e-6)


def test_descent_reaches_least_squares(line):
    x, y = line
    traj = gd.fit_linear(x, y, lr=0.5 * gd.critical_learning_rate(x), steps=200)
    w, b = gd.least_squares(x, y)
    np.testing.assert_allclose(traj.w[-1], w, atol=1e-8)
    assert traj.b[-1] == pytest.approx(b, abs=1e-8)
    assert traj.w.shape == (201, 1) and traj.loss.shape == (201,) and not traj.diverged
    assert np.all(np.diff(traj.loss) <= 1e-12)


def test_critical_learning_rate_separates_convergence_from_divergence(line):
    x, y = line
    critical = gd.critical_learning_rate(x)
    below = gd.fit_linear(x, y, lr=0.98 * critical, steps=400)
    above = gd.fit_linear(x, y, lr=1.02 * critical, steps=400)
    assert not below.diverged and below.loss[-1] < below.loss[0]
    assert above.diverged and above.steps < 400  # stopped early once the loss blew up


def test_custom_gradient_function_is_used(line):
    x, y = line
    zero_gradient = lambda w, b, x, y: (np.zeros_like(w), 0.0)  # noqa: E731
    traj = gd.gradient_descent(gd.linear_loss, zero_gradient, x, y, lr=0.1, steps=5, w0=[1.0], b0=2.0)
    assert np.all(traj.w == 1.0) and np.all(traj.b == 2.0)


def test_loss_surface_matches_pointwise_losses(line):
    x, y = line
    w_grid, b_grid = np.linspace(-1, 3, 5), np.linspace(-2, 1, 4)
    J = gd.loss_surface(x, y, w_grid, b_grid)
    assert J.shape == (4, 5)
    assert J[2, 3] == pytest.approx(gd.linear_loss(w_grid[3], b_grid[2], x, y))
    xb, yb = make_blobs(n=30, seed=0)
    x1 = xb[:, 0]
    for loss in gd.LOGISTIC_LOSSES:
        Jl = gd.loss_surface(x1, yb, w_grid, b_grid, model="logistic", loss=loss)
        assert Jl[1, 4] == pytest.approx(gd.logistic_loss(w_grid[4], b_grid[1], x1, yb, loss=loss))


def test_logistic_regression_separates_blobs():
    x, y = make_blobs(n=400, separation=4.0, seed=0)
    traj = gd.fit_logistic(x, y, lr=1.0, steps=300)
    accuracy = np.mean((x @ traj.w[-1] + traj.b[-1] > 0) == (y == 1))
    assert accuracy > 0.95


def test_make_linear_data_is_seeded():
    a, b = make_linear_data(seed=3), make_linear_data(seed=3)
    np.testing.assert_array_equal(a[1], b[1])


def test_bad_inputs(line):
    x, y = line
    with pytest.raises(ValueError, match="lr must be a positive"):
        gd.fit_linear(x, y, lr=0, steps=10)
    with pytest.raises(ValueError, match="lr must be a positive"):
        gd.fit_linear(x, y, lr=-0.1, steps=10)
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        gd.fit_linear(x, y, lr=0.1, steps=0)
    with pytest.raises(ValueError, match="same number of samples"):
        gd.linear_loss(1.0, 0.0, x, y[:-1])
    with pytest.raises(ValueError, match="y contains 1 NaN"):
        gd.fit_linear(x, np.where(np.arange(len(y)) == 3, np.nan, y), lr=0.1, steps=3)
    with pytest.raises(ValueError, match="x must be 1-D or 2-D"):
        gd.linear_loss(1.0, 0.0, np.zeros((2, 2, 2)), np.zeros(2))
    with pytest.raises(ValueError, match=r"w must have shape \(2,\)"):
        gd.linear_gradient([1.0], 0.0, np.zeros((3, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="labels 0 or 1"):
        gd.logistic_loss([1.0], 0.0, x, y)
    with pytest.raises(ValueError, match="loss must be one of"):
        gd.fit_logistic(*make_blobs(n=10), lr=0.1, steps=3, loss="hinge")
    with pytest.raises(ValueError, match="one feature"):
        gd.loss_surface(np.zeros((3, 2)), np.zeros(3), [0.0], [0.0])
    with pytest.raises(ValueError, match="noise must be a finite number >= 0"):
        make_linear_data(noise=-1)
