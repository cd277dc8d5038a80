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
    assert abs(c2st(reference, rng.normal(size=(400, 2)), max_epochs=100) - 0.5) < 0.08
    assert c2st(reference, rng.normal(size=(400, 2)) + [2.0, 0.0], max_epochs=100) > 0.8
    with pytest.raises(ValueError, match="same number of rows"):
        c2st(reference, reference[:100])     # 400 vs 100: always answering "reference" would score 0.8
    with pytest.raises(ValueError, match="patience must be a positive integer"):
        c2st(reference, reference, patience=0)


def sbibm_c2st(reference, samples):
    """sbibm's recipe: scikit-learn's MLPClassifier (2 x 10 d ReLU, Adam, up to 10,000 epochs), z-scored with the
    reference, 5-fold cross-validated accuracy."""
    from sklearn.model_selection import KFold, cross_val_score
    from sklearn.neural_network import MLPClassifier

    mean, sd = reference.mean(axis=0), reference.std(axis=0)
    x = (np.vstack([reference, samples]) - mean) / sd
    y = np.r_[np.zeros(len(reference)), np.ones(len(samples))]
    d = x.shape[1]
    clf = MLPClassifier(activation="relu", hidden_layer_sizes=(10 * d, 10 * d), max_iter=10000, solver="adam",
                        random_state=1)
    return cross_val_score(clf, x, y, cv=KFold(5, shuffle=True, random_state=1), scoring="accuracy").mean()


@pytest.mark.slow
@pytest.mark.parametrize("d,shift", [(2, 0.2), (2, 0.5), (3, 0.4)])
def test_c2st_agrees_with_the_sbibm_recipe_on_shifted_gaussians(d, shift):
    """2000 against 2000 draws of N(0, I) and N(shift, I): Bayes-optimal accuracy Phi(shift sqrt(d) / 2)."""
    from scipy.stats import norm

    from nnkit.inference.metrics import c2st

    rng = np.random.default_rng(5)
    reference, samples = rng.normal(size=(2000, d)), rng.normal(size=(2000, d)) + shift
    ours = c2st(reference, samples)
    assert abs(ours - sbibm_c2st(reference, samples)) <= 0.02
    assert abs(ours - norm.cdf(shift * np.sqrt(d) / 2)) <= 0.02
