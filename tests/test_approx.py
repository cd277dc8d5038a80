import numpy as np
import pytest

from nnkit.basics import approx
from nnkit.problems.toys import smooth_target


def test_step_sits_at_minus_b_over_w():
    w, b = 50.0, -20.0
    assert approx.step_location(w, b) == pytest.approx(0.4)
    assert approx.sigmoid_step(0.4, w, b) == pytest.approx(0.5)
    assert approx.sigmoid_step(0.3, w, b) < 0.01 and approx.sigmoid_step(0.5, w, b) > 0.99


def test_bump_is_a_column_of_the_given_height():
    x = np.array([0.1, 0.5, 0.9])
    np.testing.assert_allclose(approx.bump(x, 0.3, 0.7, 0.5, steepness=1e3), [0, 0.5, 0], atol=1e-12)


def test_bump_network_is_a_one_hidden_layer_net_of_2n_neurons():
    net = approx.BumpNetwork(smooth_target, 5)
    assert net.n_neurons == 10
    x = np.linspace(0, 1, 7)
    by_hand = (1 / (1 + np.exp(-(x[:, None] * net.w_hidden + net.b_hidden)))) @ net.w_out
    np.testing.assert_allclose(net(x), by_hand, rtol=1e-12)


@pytest.mark.parametrize("output", ["identity", "sigmoid"])
def test_l1_error_shrinks_like_one_over_n(output):
    errors = approx.l1_error_curve(smooth_target, [8, 16, 32, 64, 128], output=output)
    assert np.all(errors[1:] < 0.6 * errors[:-1])
    assert errors[-1] < 0.002


def test_l1_error_of_exact_approximation_is_zero():
    assert approx.l1_error(np.sin, np.sin) == 0.0
    assert approx.l1_error(lambda x: 0 * x, lambda x: 0 * x + 2.0, interval=(0, 3)) == pytest.approx(6.0)


def test_bad_inputs():
    with pytest.raises(ValueError, match="w must be non-zero"):
        approx.step_location(0.0, 1.0)
    with pytest.raises(ValueError, match="right must exceed left"):
        approx.bump(0.5, 0.7, 0.3, 1.0, 10.0)
    with pytest.raises(ValueError, match="steepness must be a positive"):
        approx.bump(0.5, 0.3, 0.7, 1.0, 0.0)
    with pytest.raises(ValueError, match="n_bumps must be a positive integer"):
        approx.BumpNetwork(smooth_target, 0)
    with pytest.raises(ValueError, match="interval must be"):
        approx.BumpNetwork(smooth_target, 3, interval=(1.0, 0.0))
    with pytest.raises(ValueError, match="0 < f < 1"):
        approx.BumpNetwork(lambda x: 2 * x, 3, output="sigmoid")
    with pytest.raises(ValueError, match="NaN or inf"):
        approx.BumpNetwork(lambda x: np.full_like(x, np.nan), 3)


def test_tower_is_a_column_on_its_box_and_towers_trace_a_2d_function():
    inside, strip, outside = approx.tower(np.array([0.5, 0.5, 0.9]), np.array([0.5, 0.9, 0.9]), (0.3, 0.7, 0.3, 0.7),
                                         2.0, steepness=1e3)
    assert inside == pytest.approx(2.0) and abs(strip) < 1e-12 and abs(outside) < 1e-12
    f = lambda a, b: np.sin(np.pi * a) * np.cos(np.pi * b)  # noqa: E731
    g = np.linspace(0, 1, 101)
    x1, x2 = np.meshgrid(g, g, indexing="ij")
    errors = [np.mean(np.abs(approx.tower_network(f, m, x1, x2) - f(x1, x2))) for m in (2, 4, 8, 16)]
    assert np.all(np.diff(errors) < 0) and errors[-1] < 0.5 * errors[1] and errors[-1] < 0.06
