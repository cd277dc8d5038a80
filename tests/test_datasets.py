import numpy as np
import pytest

from nnkit.problems.navier_stokes import energy_spectrum, error_by_band, navier_stokes_2d, spectral_upsample


@pytest.fixture(scope="module")
def small_flow():
    return navier_stokes_2d(n=32, re=200.0, t_end=0.3, seed=1, resolution=64)


def rfft_wavenumbers(n):
    return np.fft.fftfreq(n, 1.0 / n)[:, None], np.fft.rfftfreq(n, 1.0 / n)[None, :]


def velocities(psi):
    n = psi.shape[0]
    kx, ky = rfft_wavenumbers(n)
    psi_hat = np.fft.rfft2(psi)
    return np.fft.irfft2(1j * ky * psi_hat, s=(n, n)), np.fft.irfft2(-1j * kx * psi_hat, s=(n, n))


def test_vorticity_is_minus_laplacian_of_stream_function(small_flow):
    n = small_flow.psi.shape[0]
    kx, ky = rfft_wavenumbers(n)
    lap = np.fft.irfft2((kx**2 + ky**2) * np.fft.rfft2(small_flow.psi), s=(n, n))
    np.testing.assert_allclose(lap, small_flow.omega, atol=1e-10 * np.abs(small_flow.omega).max())


def test_energy_decays_from_the_initial_half(small_flow):
    u, v = velocities(small_flow.psi)
    energy = 0.5 * np.mean(u**2 + v**2)
    assert 0.05 < energy < 0.5
    assert small_flow.t == pytest.approx(0.3) and small_flow.n_steps > 1


def test_spectrum_sums_to_the_kinetic_energy():
    n = 32
    x = 2 * np.pi * np.arange(n) / n
    X, Y = np.meshgrid(x, x, indexing="ij")
    psi = np.sin(3 * X) * np.cos(4 * Y)  # a single shell |k| = 5
    k, E = energy_spectrum(psi)
    u, v = velocities(psi)
    assert E.sum() == pytest.approx(0.5 * np.mean(u**2 + v**2), rel=1e-12)
    assert k[np.argmax(E)] == 5


def test_same_seed_same_flow_and_different_seed_differs():
    a = navier_stokes_2d(n=16, re=100.0, t_end=0.05, seed=3, resolution=32)
    b = navier_stokes_2d(n=16, re=100.0, t_end=0.05, seed=3, resolution=32)
    c = navier_stokes_2d(n=16, re=100.0, t_end=0.05, seed=4, resolution=32)
    np.testing.assert_array_equal(a.psi, b.psi)
    assert not np.allclose(a.psi, c.psi)


def test_spectral_upsample_is_the_trigonometric_interpolant(small_flow):
    fine = spectral_upsample(small_flow.psi, 96)
    np.testing.assert_allclose(fine[::3, ::3], small_flow.psi, atol=1e-14)
    x = 2 * np.pi * np.arange(16) / 16
    X, Y = np.meshgrid(x, x, indexing="ij")
    xf = 2 * np.pi * np.arange(64) / 64
    XF, YF = np.meshgrid(xf, xf, indexing="ij")
    mode = lambda a, b: np.cos(3 * a + 1.0) * np.sin(5 * b)  # noqa: E731
    np.testing.assert_allclose(spectral_upsample(mode(X, Y), 64), mode(XF, YF), atol=1e-13)


def test_flow_fields_carry_no_nyquist_modes(small_flow):
    spectrum = np.abs(np.fft.rfft2(small_flow.psi))
    n = small_flow.psi.shape[0]
    assert spectrum[n // 2, :].max() < 1e-12 * spectrum.max() and spectrum[:, n // 2].max() < 1e-12 * spectrum.max()


def test_error_by_band_puts_each_wave_in_its_band_and_sums_to_the_total():
    x = 2 * np.pi * np.arange(64) / 64
    X, Y = np.meshgrid(x, x, indexing="ij")
    truth = np.cos(3 * X) + 0.5 * np.sin(20 * Y)
    waves = {1: 0.01 * np.cos(10 * X + 0.3) + 0.002 * np.cos(15 * X) * np.cos(7 * Y), 3: 0.001 * np.sin(30 * Y)}
    bands = error_by_band(truth + sum(waves.values()), truth, (5, 15, 25))  # 15 ends the second band: it is in it
    rms = np.sqrt(np.mean(truth**2))
    expected = [0.0, np.sqrt(0.01**2 / 2 + 0.002**2 / 4) / rms, 0.0, 0.001 / np.sqrt(2) / rms]
    np.testing.assert_allclose(bands, expected, atol=1e-15)
    total = np.sqrt(np.mean(sum(waves.values()) ** 2)) / rms
    assert np.sqrt(np.sum(bands**2)) == pytest.approx(total, rel=1e-12)


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"bounds must be increasing wave numbers in \(0, 4\)"):
        error_by_band(np.zeros((8, 8)), np.ones((8, 8)), (3, 2))
    with pytest.raises(ValueError, match="bounds must be increasing"):
        error_by_band(np.zeros((8, 8)), np.ones((8, 8)), (2, 4))
    with pytest.raises(ValueError, match="square fields of one shape"):
        error_by_band(np.zeros((8, 8)), np.ones((16, 16)), (2,))
    with pytest.raises(ValueError, match="m must be even and at least 8"):
        spectral_upsample(np.zeros((8, 8)), 6)
    with pytest.raises(ValueError, match="field must be square"):
        spectral_upsample(np.zeros((8, 6)), 16)
    with pytest.raises(ValueError, match="re must be a positive"):
        navier_stokes_2d(re=0)
    with pytest.raises(ValueError, match="t_end must be a positive"):
        navier_stokes_2d(t_end=-1.0)
    with pytest.raises(ValueError, match="resolution >= n"):
        navier_stokes_2d(n=64, resolution=32)
    with pytest.raises(ValueError, match="psi must be square"):
        energy_spectrum(np.zeros((4, 6)))
