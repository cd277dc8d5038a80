"""Coupling layers and INNs: exact inverse, log-determinant against the autograd Jacobian, identity at start."""
import numpy as np
import pytest
import torch

from nnkit.inference.flows import INN, AffineCoupling, soft_clamp


def randomised(module, seed=0):
    """Give every parameter (the zero-initialised output layers too) random values, so tests see a general map."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(0.5 * torch.randn(p.shape, generator=gen, dtype=p.dtype))
    return module


@pytest.mark.parametrize("dim", [2, 3, 7])
def test_coupling_inverse_and_log_det(dim):
    block = randomised(AffineCoupling(dim, hidden=16).double())
    x = torch.randn(5, dim, dtype=torch.float64)
    y, log_det = block(x)
    torch.testing.assert_close(block.inverse(y), x, rtol=1e-12, atol=1e-12)
    for i in range(5):
        jac = torch.autograd.functional.jacobian(lambda v: block(v[None])[0][0], x[i])
        assert log_det[i].item() == pytest.approx(torch.linalg.slogdet(jac)[1].item(), rel=1e-10, abs=1e-10)


def test_inn_inverse_log_det_and_permutations():
    inn = randomised(INN(5, n_blocks=4, hidden=16, seed=3).double(), seed=1)
    x = torch.randn(8, 5, dtype=torch.float64)
    y, log_det = inn(x)
    jacs = torch.stack([torch.autograd.functional.jacobian(lambda v: inn(v[None])[0][0], xi) for xi in x])
    # Random weights stretch some directions ~1e4x (Jacobian condition numbers up to ~1e8), so a float64 round trip
    # may lose log10(cond) digits: bound each row's error by machine epsilon x condition number x |x|.
    bound = 10 * torch.finfo(torch.float64).eps * torch.linalg.cond(jacs) * x.norm(dim=1)
    assert torch.all((inn.inverse(y) - x).norm(dim=1) <= bound)
    assert log_det.detach().numpy() == pytest.approx(torch.linalg.slogdet(jacs)[1].numpy(), rel=1e-9)
    for perm, inv in zip(inn.perms, inn.inverse_perms):
        assert torch.equal(perm[inv], torch.arange(5))
    assert not all(torch.equal(p, torch.arange(5)) for p in inn.perms)


def test_new_network_is_the_identity_up_to_permutation():
    inn = INN(4, n_blocks=3)
    x = torch.randn(6, 4)
    y, log_det = inn(x)
    order = torch.arange(4)
    for perm in inn.perms:
        order = order[perm]
    torch.testing.assert_close(y, x[:, order])
    torch.testing.assert_close(log_det, torch.zeros(6))


def test_soft_clamp_bounds_the_scale():
    raw = torch.tensor([-1e6, -1.0, 0.0, 0.01, 1e6])
    s = soft_clamp(raw, 2.0)
    assert torch.all(s.abs() < 2.0) and torch.all(torch.diff(s) > 0)
    assert s[3].item() == pytest.approx(0.01 * 2 / np.pi, rel=1e-4)


def test_bad_dimensions_are_refused():
    with pytest.raises(ValueError, match="dim must be an int >= 2"):
        AffineCoupling(1)
    inn = INN(3)
    with pytest.raises(ValueError, match=r"x must be a tensor of shape \(n, 3\)"):
        inn(torch.zeros(2, 4))
    with pytest.raises(ValueError, match=r"y must be a tensor of shape \(n, 3\)"):
        inn.inverse(torch.zeros(4))


# --- INNCalibrator ------------------------------------------------------------------------------------------------
from nnkit.core.scaling import BoxTransform  # noqa: E402
from nnkit.inference.flows import INNCalibrator  # noqa: E402


@pytest.fixture(scope="module")
def linear_gaussian_inn():
    """x ~ N(0, 1), y = x + N(0, 0.5^2): the posterior at y is N(y / 1.25, 0.2)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4000, 1))
    return INNCalibrator(1, 1, noise_sd=0.5, hidden=32, n_blocks=3, n_iter=600, seed=0).fit(x, x)


@pytest.mark.slow
def test_inn_calibrator_recovers_a_gaussian_posterior(linear_gaussian_inn):
    samples = linear_gaussian_inn.sample([1.0], 8000)
    assert samples.mean() == pytest.approx(0.8, abs=0.08)
    assert samples.std() == pytest.approx(np.sqrt(0.2), rel=0.15)
    pred = linear_gaussian_inn.predict(np.array([[-1.0], [0.0], [1.5]]))
    np.testing.assert_allclose(pred[:, 0], [-1.0, 0.0, 1.5], atol=0.15)


def test_inn_calibrator_width_and_padding():
    inn = INNCalibrator(8, 5, noise_sd=1.5)
    assert inn.width == 13 and inn.z_dim == 8 and inn.n_noise == 5
    padded = INNCalibrator(1, 3, z_dim=2, n_iter=5)  # no noise channels: the x side is padded from 1 to 5
    assert padded.width == 5 and padded.n_noise == 0
    x = np.random.default_rng(0).random((50, 1))
    fitted = padded.fit(x, np.hstack([x, x**2, -x]))  # trains without noise channels too
    assert fitted.sample([0.5, 0.25, -0.5], 7).shape == (7, 1) and fitted.predict(x).shape == (50, 3)


@pytest.mark.slow
def test_inn_calibrator_is_deterministic(linear_gaussian_inn):
    np.testing.assert_array_equal(linear_gaussian_inn.sample([0.3], 50, seed=4),
                                  linear_gaussian_inn.sample([0.3], 50, seed=4))


@pytest.mark.slow
def test_inn_calibrator_bad_input(linear_gaussian_inn):
    with pytest.raises(ValueError, match=r"y_obs must hold 1 values \(one per output of y\); got 2"):
        linear_gaussian_inn.sample([1.0, 2.0])
    with pytest.raises(ValueError, match="y_obs contains 1 NaN"):
        linear_gaussian_inn.sample([np.nan])
    with pytest.raises(ValueError, match="x must have 1 columns"):
        linear_gaussian_inn.predict(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="x and y must have the same number of samples"):
        INNCalibrator(1, 1).fit(np.zeros((5, 1)), np.zeros((4, 1)))
    with pytest.raises(ValueError, match="y must have 2 columns"):
        INNCalibrator(1, 2).fit(np.zeros((5, 1)), np.zeros((5, 1)))
    with pytest.raises(ValueError, match="noise_sd must be a positive number or 2"):
        INNCalibrator(1, 2, noise_sd=[1.0, -1.0])
    with pytest.raises(RuntimeError, match="not fitted"):
        INNCalibrator(1, 1).sample([0.0])
    with pytest.raises(ValueError, match="n must be a positive integer"):
        linear_gaussian_inn.sample([0.0], n=-5)
    with pytest.raises(ValueError, match="box must be a BoxTransform of 2 dimensions"):
        INNCalibrator(2, 1, box=BoxTransform([0.0], [1.0]))


@pytest.mark.slow
def test_inn_calibrator_history_has_the_shared_keys(linear_gaussian_inn):
    history = linear_gaussian_inn.history
    assert history["step"][0] == 0 and history["step"][-1] == 599 and history["best_step"] == 599
    assert len(history["train_loss"]) == len(history["loss_y"]) == len(history["step"]) and history["val_loss"] == []
    assert history["seconds"] > 0 and history["train_loss"][-1] < history["train_loss"][0]


@pytest.mark.slow
def test_inn_calibrator_with_a_box_answers_in_the_parameters_units():
    """u uniform on [0, 1], x = 10 + 10 u, y = u + noise 0.05: the posterior of x at y = 0.5 sits near 15."""
    box = BoxTransform([10.0], [20.0])
    x = box.from_unit(np.random.default_rng(1).random((3000, 1)))
    inn = INNCalibrator(1, 1, noise_sd=0.05, box=box, hidden=32, n_blocks=3, n_iter=150).fit(x, box.to_unit(x))
    samples = inn.sample([0.5], 2000)
    assert np.all((samples >= 10) & (samples <= 20))
    assert samples.mean() == pytest.approx(15.0, abs=0.5)
    np.testing.assert_allclose(inn.predict(np.array([[12.0], [18.0]]))[:, 0], [0.2, 0.8], atol=0.1)


# --- conditional INN blocks ----------------------------------------------------------------------------------------
def test_conditional_inn_inverts_and_log_det_for_each_context():
    inn = randomised(INN(4, n_blocks=3, hidden=16, seed=2, context_dim=3).double(), seed=5)
    x = torch.randn(6, 4, dtype=torch.float64)
    context = torch.randn(6, 3, dtype=torch.float64)
    y, log_det = inn(x, context)
    torch.testing.assert_close(inn.inverse(y, context), x, rtol=1e-9, atol=1e-9)
    for i in range(6):
        jac = torch.autograd.functional.jacobian(lambda v: inn(v[None], context[i:i + 1])[0][0], x[i])
        assert log_det[i].item() == pytest.approx(torch.linalg.slogdet(jac)[1].item(), rel=1e-9, abs=1e-9)
    other, _ = inn(x, context.flip(0))
    assert not torch.allclose(other, y)                       # the context changes the map


def test_conditional_inn_refuses_a_missing_or_wrong_context():
    with pytest.raises(ValueError, match="context_dim must be an int >= 0"):
        AffineCoupling(3, context_dim=-1)
    conditional, plain = INN(3, context_dim=2), INN(3)
    with pytest.raises(ValueError, match=r"context must be a tensor of shape \(4, 2\)"):
        conditional(torch.zeros(4, 3))
    with pytest.raises(ValueError, match=r"context must be a tensor of shape \(4, 2\)"):
        conditional.inverse(torch.zeros(4, 3), torch.zeros(5, 2))
    with pytest.raises(ValueError, match="context must be None for an INN without context"):
        plain(torch.zeros(4, 3), torch.zeros(4, 2))
