import numpy as np
import pytest
import torch

from nnkit.spectral import bias as spectral


def test_frequency_errors_measure_each_component():
    t = np.arange(200) / 200
    target = spectral.sum_of_sines(t, [2, 7], [1.0, 0.5])
    half_missing = spectral.sum_of_sines(t, [2, 7], [1.0, 0.25])
    np.testing.assert_allclose(spectral.frequency_errors(half_missing, target, [2, 7]), [0, 0.5], atol=1e-12)
    np.testing.assert_allclose(spectral.frequency_errors(np.zeros(200), target, [2, 7]), [1, 1], atol=1e-12)


def test_low_frequencies_are_learned_first():
    history = spectral.track_spectral_bias([1, 8], n_iter=1500, record_every=25, width=32, seed=0)
    first = history.steps_to_reach(0.1)
    assert history.errors.shape == (len(history.steps), 2)
    assert history.fits.shape == (len(history.steps), 200)
    np.testing.assert_allclose(history.errors[-1], spectral.frequency_errors(history.fit, history.target, [1, 8]))
    assert np.isfinite(first[0]) and first[1] >= 3 * first[0]


def test_same_seed_same_history():
    a = spectral.track_spectral_bias([1, 3], n_iter=60, record_every=20, width=8, seed=3)
    b = spectral.track_spectral_bias([1, 3], n_iter=60, record_every=20, width=8, seed=3)
    np.testing.assert_array_equal(a.errors, b.errors)


def test_steps_to_reach_marks_never_as_inf():
    h = spectral.SpectralHistory(np.array([1, 2]), np.array([0, 10, 20]), np.array([[1, 1], [0.05, 1], [0, 0.5]]),
                                 np.zeros((3, 8)), np.zeros(20), np.arange(8) / 8, np.zeros(8))
    np.testing.assert_array_equal(h.steps_to_reach(0.1), [10, np.inf])


@pytest.mark.parametrize("w", [1.0, 2.0, 4.0])
def test_tanh_gradient_spectrum_decays_like_the_f_principle(w):
    xi = np.linspace(2, 8 * w, 12)
    measured = spectral.sech2_spectrum(xi, w)
    exact = np.pi * xi / w / np.sinh(np.pi * xi / (2 * w))
    np.testing.assert_allclose(measured, exact, rtol=1e-6)
    slope = np.polyfit(xi, np.log(measured / xi), 1)[0]
    assert slope == pytest.approx(np.log(spectral.fprinciple_decay(1.0, w)), rel=0.05)


def test_bad_inputs():
    with pytest.raises(ValueError, match="same length"):
        spectral.sum_of_sines(np.zeros(3), [1, 2], [1.0])
    with pytest.raises(ValueError, match=r"freqs must be integers in \[1, N/2\)"):
        spectral.frequency_errors(np.zeros(10), np.ones(10), [5])
    with pytest.raises(ValueError, match="same number of points"):
        spectral.frequency_errors(np.zeros(10), np.ones(12), [1])
    with pytest.raises(ValueError, match="freqs must be integers"):
        spectral.track_spectral_bias([150], n_points=200, n_iter=1)
    with pytest.raises(ValueError, match="w must be a positive"):
        spectral.fprinciple_decay(1.0, 0.0)
    with pytest.raises(ValueError, match="freqs contains 1 NaN"):
        spectral.sum_of_sines(np.zeros(3), [np.nan])


def test_coefficient_gradient_norms_of_a_linear_model_are_the_spectrum_of_x():
    """For f = w x + b, d c_k / d w = FFT(x)[k] / N and d c_k / d b = 0 (k >= 1): the norm is |FFT(x)[k]| / N."""
    torch.manual_seed(0)
    model = torch.nn.Linear(1, 1).double()
    x = torch.linspace(-1, 1, 64, dtype=torch.float64)[:, None]
    expected = np.abs(np.fft.rfft(x[:, 0].numpy()))[[1, 3, 10]] / 64
    np.testing.assert_allclose(spectral.coefficient_gradient_norms(model, x, [1, 3, 10]), expected, rtol=1e-10)
    with pytest.raises(ValueError, match=r"freqs must be integers in \[1, N/2\)"):
        spectral.coefficient_gradient_norms(model, x, [32])
