import numpy as np
import pytest

from nnkit.inference.metrics import coverage, r2_score, rmse


def test_r2_of_perfect_mean_and_known_predictions():
    y = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 9.0]])
    np.testing.assert_allclose(r2_score(y, y), [1.0, 1.0])
    np.testing.assert_allclose(r2_score(y, np.tile(y.mean(axis=0), (3, 1))), [0.0, 0.0], atol=1e-15)
    pred = y + np.array([[0.5, 0.0], [-0.5, 0.0], [0.0, 1.0]])
    sst = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
    np.testing.assert_allclose(r2_score(y, pred), 1 - np.array([0.5, 1.0]) / sst)
    np.testing.assert_allclose(rmse(y, pred), np.sqrt([0.5 / 3, 1.0 / 3]))


def test_coverage_counts_entries_inside_the_band():
    y = np.array([[0.0], [1.0], [3.0], [-2.5]])
    assert coverage(y, np.zeros_like(y), np.ones_like(y)) == 0.5  # |y| <= 2 for 0 and 1 only


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="same shape"):
        r2_score(np.zeros((3, 2)), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="std"):
        coverage(np.zeros((3, 1)), np.zeros((3, 1)), -np.ones((3, 1)))


def test_mmd_is_zero_for_identical_samples_and_grows_with_a_shift():
    import torch

    from nnkit.inference.metrics import mmd

    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 2))
    assert float(mmd(x, x)) == pytest.approx(0.0, abs=1e-12)
    same = float(mmd(x, rng.normal(size=(300, 2))))
    shifted = [float(mmd(x, rng.normal(size=(300, 2)) + [s, 0])) for s in (0.5, 1.0, 2.0)]
    assert same < shifted[0] < shifted[1] < shifted[2]
    xt = torch.tensor(x, requires_grad=True)
    mmd(xt, torch.tensor(x + 1.0)).backward()  # usable as a training loss
    assert xt.grad is not None and torch.all(torch.isfinite(xt.grad))
    with pytest.raises(ValueError, match="same d"):
        mmd(x, np.zeros((3, 3)))


def test_marginal_w1_of_a_shift_is_the_shift():
    from nnkit.inference.metrics import marginal_w1

    x = np.random.default_rng(0).normal(size=(1000, 2))
    np.testing.assert_allclose(marginal_w1(x, x + [0.3, -1.0]), [0.3, 1.0], rtol=1e-10)


def test_c2st_tells_different_samples_apart_and_not_equal_ones():
    from nnkit.inference.metrics import c2st

    rng = np.random.default_rng(0)
    reference = rng.normal(size=(400, 2))
    assert abs(c2st(reference, rng.normal(size=(400, 2)), n_iter=200) - 0.5) < 0.08
    assert c2st(reference, rng.normal(size=(400, 2)) + [2.0, 0.0], n_iter=200) > 0.8
    with pytest.raises(ValueError, match="same number of rows"):
        c2st(reference, reference[:100])     # 400 vs 100: always answering "reference" would score 0.8


def test_sbc_ranks_and_coverage_of_exact_posteriors():
    from nnkit.inference.metrics import interval_coverage, sbc_ranks

    rng = np.random.default_rng(0)
    # conjugate normal model: theta ~ N(0, 1), y ~ N(theta, 1) -> theta | y ~ N(y / 2, 1 / 2)
    theta = rng.normal(size=(2000, 1))
    y = theta + rng.normal(size=theta.shape)
    draws = y[:, None, :] / 2 + np.sqrt(0.5) * rng.normal(size=(2000, 99, 1))
    ranks = sbc_ranks(theta, draws)
    counts = np.bincount(ranks[:, 0] // 10, minlength=10)  # 10 bins of 10 ranks (the last holds 90..99)
    assert counts.min() > 150 and counts.max() < 250  # about 200 each when calibrated
    assert abs(interval_coverage(theta, draws)[0] - 0.95) < 0.02
    overconfident = y[:, None, :] / 2 + 0.3 * rng.normal(size=(2000, 99, 1))
    assert interval_coverage(theta, overconfident)[0] < 0.8
    with pytest.raises(ValueError, match="posterior_samples must be"):
        sbc_ranks(theta, draws[:10])
