"""Simulation-based calibration on a conjugate model whose posterior is exact: calibrated draws pass the ECDF
test, widened, narrowed and shifted ones fail it; the simultaneous band and interval coverage."""
import matplotlib.pyplot as plt
import numpy as np
import pytest

from nnkit.inference.sbc import (checked_points, ecdf_band, interval_coverage, rank_ecdf, sbc_ranks,
                                 sbc_uniformity)
from nnkit.teach.plotting import plot_ecdf_difference, plot_rank_histogram

M, L = 200, 100      # simulated observations, draws per posterior


def conjugate_draws(sd_factor=1.0, shift=0.0, seed=0):
    """theta ~ N(0, 1), y ~ N(theta, 1): theta | y ~ N(y / 2, 1 / 2); draws with the posterior sd scaled by
    sd_factor and the mean moved by shift. Returns truths (M, 1) and draws (M, L, 1)."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=(M, 1))
    y = theta + rng.normal(size=theta.shape)
    return theta, y[:, None, :] / 2 + shift + sd_factor * np.sqrt(0.5) * rng.normal(size=(M, L, 1))


def test_calibrated_posteriors_pass_and_their_ecdf_stays_in_the_band():
    theta, draws = conjugate_draws()
    ranks = sbc_ranks(theta, draws)
    assert ranks.shape == (M, 1) and ranks.min() >= 0 and ranks.max() <= L
    assert sbc_uniformity(ranks, L)[0] > 0.05
    band = ecdf_band(M, L, level=0.95)
    ecdf = rank_ecdf(ranks, L)[:, 0]
    assert np.all((band.lower <= ecdf) & (ecdf <= band.upper))
    assert np.all(band.lower <= band.z) and np.all(band.z <= band.upper)


@pytest.mark.parametrize("sd_factor,shift", [(1.5, 0.0), (0.7, 0.0), (1.0, 0.3)])
def test_widened_narrowed_or_shifted_posteriors_fail(sd_factor, shift):
    theta, draws = conjugate_draws(sd_factor, shift)
    assert sbc_uniformity(sbc_ranks(theta, draws), L)[0] < 0.01


def test_the_test_rejects_uniform_ranks_at_its_level():
    rng = np.random.default_rng(1)
    p = sbc_uniformity(rng.integers(0, L + 1, size=(M, 80)), L, n_sim=400)   # 80 calibrated parameters
    assert 0.0 <= np.mean(p < 0.05) <= 0.125    # about 5 % of them fall below 0.05


def test_band_points_and_ecdf_by_hand():
    z = checked_points(4)
    np.testing.assert_allclose(z, [0.2, 0.4, 0.6, 0.8])
    np.testing.assert_allclose(rank_ecdf(np.array([[0], [1], [1], [4]]), 4)[:, 0], [0.25, 0.75, 0.75, 0.75])
    assert len(checked_points(1000)) == 100
    band = ecdf_band(50, 20, level=0.99)
    wide = ecdf_band(50, 20, level=0.5)
    assert np.all(band.upper - band.lower >= wide.upper - wide.lower)


def test_coverage_at_several_levels():
    theta, draws = conjugate_draws()
    coverage = interval_coverage(theta, draws, (0.5, 0.8, 0.95))
    assert coverage.shape == (3, 1)
    np.testing.assert_allclose(coverage[:, 0], [0.5, 0.8, 0.95], atol=0.08)
    assert interval_coverage(theta, draws).shape == (1,)
    _, overconfident = conjugate_draws(sd_factor=0.4)
    assert np.all(interval_coverage(theta, overconfident, (0.5, 0.8, 0.95))[:, 0] < [0.35, 0.6, 0.8])


def test_plots_draw_the_band_and_the_curve():
    theta, draws = conjugate_draws()
    ranks = sbc_ranks(theta, draws)[:, 0]
    fig, (a, b) = plt.subplots(1, 2)
    plot_rank_histogram(a, ranks, L)
    plot_ecdf_difference(b, ranks, L, ecdf_band(M, L), label="calibrated")
    assert len(a.patches) > 20 and len(b.lines) == 2


def test_bad_input_is_refused():
    theta, draws = conjugate_draws()
    with pytest.raises(ValueError, match="posterior_samples must be"):
        sbc_ranks(theta, draws[:10])
    with pytest.raises(ValueError, match="ranks must lie in 0..n_draws = 0..50"):
        sbc_uniformity(sbc_ranks(theta, draws), 50)
    with pytest.raises(ValueError, match="ranks must be integers"):
        sbc_uniformity(np.full((10, 1), 0.5), 10)
    with pytest.raises(ValueError, match=r"level must be in \(0, 1\)"):
        interval_coverage(theta, draws, (0.5, 1.0))
