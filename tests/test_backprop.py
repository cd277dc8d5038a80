import numpy as np
import pytest

from nnkit.basics.backprop import (ACTIVATIONS, MLP, autograd_loss_and_grads, finite_difference_grads, gradient_check,
                            layer_backward, max_relative_error)


def random_data(rng, n, d_in, d_out):
    return rng.normal(size=(n, d_in)), rng.normal(size=(n, d_out))


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("depth,width", [(1, 1), (2, 7), (3, 64), (5, 16)])
def test_gradients_equal_torch_autograd(activation, depth, width):
    rng = np.random.default_rng(depth * 100 + width)
    net = MLP([3] + [width] * depth + [2], activation=activation, output_activation="sigmoid", seed=depth)
    x, y = random_data(rng, 17, 3, 2)
    loss, grads = net.loss_and_grads(x, y)
    loss_t, grads_t = autograd_loss_and_grads(net, x, y)
    assert loss == pytest.approx(loss_t, rel=1e-12)
    assert max_relative_error(grads, grads_t) <= 1e-10


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_gradient_check_agrees_with_finite_differences(activation):
    rng = np.random.default_rng(0)
    net = MLP([2, 4, 3, 2], activation=activation, seed=1)
    x, y = random_data(rng, 9, 2, 2)
    assert gradient_check(net, x, y) < 1e-6


def test_gradient_check_detects_a_wrong_gradient(monkeypatch):
    rng = np.random.default_rng(0)
    net = MLP([2, 4, 1], seed=1)
    x, y = random_data(rng, 9, 2, 1)
    right = net.loss_and_grads

    def off_by_a_factor(x, y):
        loss, grads = right(x, y)
        return loss, [1.01 * g for g in grads]

    monkeypatch.setattr(net, "loss_and_grads", off_by_a_factor)
    assert gradient_check(net, x, y) > 1e-3


def test_forward_finite_differences_are_close_but_coarser_than_central():
    rng = np.random.default_rng(2)
    net = MLP([1, 6, 1], seed=3)
    x, y = random_data(rng, 20, 1, 1)
    _, grads = net.loss_and_grads(x, y)
    forward = max_relative_error(finite_difference_grads(net, x, y, scheme="forward"), grads)
    central = max_relative_error(finite_difference_grads(net, x, y, scheme="central"), grads)
    assert central < forward < 1e-3


def test_finite_differences_leave_parameters_unchanged():
    rng = np.random.default_rng(4)
    net = MLP([2, 3, 1], seed=0)
    before = [p.copy() for p in net.params]
    finite_difference_grads(net, *random_data(rng, 5, 2, 1))
    for b, p in zip(before, net.params):
        np.testing.assert_array_equal(b, p)


def test_layer_backward_matches_a_one_layer_network():
    rng = np.random.default_rng(5)
    net = MLP([3, 4], activation="tanh", output_activation="tanh", seed=0)
    x, y = random_data(rng, 6, 3, 4)
    _, (g_W, g_b) = net.loss_and_grads(x, y)
    a = np.tanh(x @ net.weights[0] + net.biases[0])
    grad_a = 2 * (a - y) / y.size
    d_W, d_b, d_x = layer_backward(grad_a, 1 - a**2, x, net.weights[0])
    np.testing.assert_allclose(d_W, g_W, rtol=1e-12)
    np.testing.assert_allclose(d_b, g_b, rtol=1e-12)
    assert d_x.shape == x.shape


def test_shapes_and_parameter_count():
    net = MLP([2, 5, 3], seed=0)
    assert net.forward(np.zeros((7, 2))).shape == (7, 3)
    assert net.n_params == 2 * 5 + 5 + 5 * 3 + 3
    _, grads = net.loss_and_grads(np.zeros((4, 2)), np.zeros((4, 3)))
    assert [g.shape for g in grads] == [p.shape for p in net.params]


@pytest.mark.parametrize("optimizer,lr", [("sgd", 0.1), ("adam", 0.01)])
def test_fit_lowers_the_loss(optimizer, lr):
    x = np.linspace(-1, 1, 64)[:, None]
    y = np.sin(3 * x)
    net = MLP([1, 16, 1], seed=0).fit(x, y, lr=lr, n_epochs=200, batch_size=16, optimizer=optimizer)
    assert len(net.history["train_loss"]) == 200
    assert net.loss(x, y) < 0.1 * np.mean((y - y.mean()) ** 2)


def test_same_seed_same_numbers():
    x = np.linspace(-1, 1, 32)[:, None]
    runs = [MLP([1, 8, 1], seed=7).fit(x, x**2, lr=0.05, n_epochs=20, batch_size=8).history["train_loss"]
            for _ in range(2)]
    assert runs[0] == runs[1]
    other = MLP([1, 8, 1], seed=8).fit(x, x**2, lr=0.05, n_epochs=20, batch_size=8).history["train_loss"]
    assert other != runs[0]


def test_diverging_fit_raises():
    x = np.linspace(-1, 1, 32)[:, None]
    with pytest.raises(FloatingPointError, match="lower lr"):
        MLP([1, 8, 1], activation="relu", seed=0).fit(x, 100 * x, lr=1e3, n_epochs=50)


@pytest.mark.parametrize("sizes,match", [
    ([3], "layer_sizes must be a list"),
    (5, "layer_sizes must be a list"),
    ([2, 0, 1], r"layer_sizes\[1\] must be a positive integer"),
    ([2, -3, 1], r"layer_sizes\[1\]"),
    ([2, 2.5, 1], r"layer_sizes\[1\]"),
])
def test_bad_layer_sizes(sizes, match):
    with pytest.raises(ValueError, match=match):
        MLP(sizes)


def test_unknown_activation_names():
    with pytest.raises(ValueError, match="activation must be one of"):
        MLP([1, 2, 1], activation="softsign")
    with pytest.raises(ValueError, match="output_activation must be one of"):
        MLP([1, 2, 1], output_activation="softmax")


def test_bad_data():
    net = MLP([2, 3, 1])
    good_x, good_y = np.zeros((4, 2)), np.zeros((4, 1))
    with pytest.raises(ValueError, match=r"x must have shape \(n, 2\)"):
        net.forward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"x must be 2-D.*x\[:, None\]"):
        MLP([1, 2, 1]).forward(np.zeros(4))
    with pytest.raises(ValueError, match=r"y must have shape \(n, 1\)"):
        net.loss(good_x, np.zeros((4, 2)))
    with pytest.raises(ValueError, match="same number of samples"):
        net.loss_and_grads(good_x, np.zeros((5, 1)))
    with pytest.raises(ValueError, match="x contains 1 NaN or inf"):
        net.forward(np.array([[0.0, np.nan]]))
    with pytest.raises(ValueError, match="y contains 1 NaN or inf"):
        net.fit(good_x, np.array([[0.0], [np.inf], [0.0], [0.0]]))
    with pytest.raises(ValueError, match="x must be numeric"):
        net.forward("abc")


@pytest.mark.parametrize("kwargs,match", [
    ({"lr": 0.0}, "lr must be a positive"),
    ({"lr": -1e-3}, "lr must be a positive"),
    ({"lr": float("nan")}, "lr must be a positive"),
    ({"n_epochs": 0}, "n_epochs must be a positive integer"),
    ({"batch_size": 0}, "batch_size must be a positive integer"),
    ({"optimizer": "lbfgs"}, "optimizer must be one of"),
])
def test_bad_fit_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MLP([1, 2, 1]).fit(np.zeros((4, 1)), np.zeros((4, 1)), **kwargs)


def test_bad_finite_difference_arguments():
    net = MLP([1, 2, 1])
    x, y = np.zeros((3, 1)), np.zeros((3, 1))
    with pytest.raises(ValueError, match="eps must be a positive"):
        finite_difference_grads(net, x, y, eps=0)
    with pytest.raises(ValueError, match="scheme must be one of"):
        finite_difference_grads(net, x, y, scheme="backward")
    with pytest.raises(ValueError, match="same arrays"):
        max_relative_error([np.zeros(2)], [])
