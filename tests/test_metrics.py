import numpy as np
import pytest

from nnkit.metrics import coverage, r2_score, rmse


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
