import numpy as np
import pytest
import torch

from nnkit.core import nets
from nnkit.spectral import fourier


def test_fourier_features_map_and_shape():
    ff = fourier.FourierFeatures(2, 16, scale=3.0, seed=1)
    v = torch.rand(5, 2)
    out = ff(v)
    assert out.shape == (5, 32)
    proj = 2 * np.pi * v @ ff.B.T
    torch.testing.assert_close(out, torch.cat([torch.cos(proj), torch.sin(proj)], dim=1))
    assert float(ff.B.std()) == pytest.approx(3.0, rel=0.35)
    torch.testing.assert_close(fourier.FourierFeatures(2, 16, 3.0, seed=1).B, ff.B)
    assert "B" in dict(ff.named_buffers()) and not list(ff.parameters())  # fixed, not trained


def test_sine_layer_is_sin_of_scaled_linear():
    layer = fourier.SineLayer(1, 4, kappa=7.0)
    x = torch.linspace(-1, 1, 9)[:, None]
    expected = torch.sin(7.0 * (x @ layer.linear.weight.T) + layer.linear.bias)
    torch.testing.assert_close(layer(x), expected)


@pytest.mark.parametrize("encoding", ["none", "fourier", "sine"])
def test_encoded_mlp_shapes_and_depth(encoding):
    net = fourier.encoded_mlp(2, 3, encoding, scale=2.0, n_features=8, width=16, depth=3)
    assert net(torch.rand(4, 2)).shape == (4, 3)
    n_linear = sum(isinstance(m, torch.nn.Linear) for m in net)
    assert n_linear == (3 if encoding == "sine" else 4)  # the sine layer replaces the first linear layer


def test_sample_image_and_psnr():
    img = fourier.sample_image(32)
    assert img.shape == (32, 32, 3) and 0 <= img.min() and img.max() <= 1
    assert fourier.psnr(img, img) == float("inf")
    assert fourier.psnr(np.zeros(4), np.full(4, 0.1)) == pytest.approx(20.0)


def test_fourier_features_beat_raw_coordinates_on_the_image():
    img = fourier.sample_image(32)
    kw = dict(n_features=32, width=32, depth=2, n_iter=150, lr=3e-3)
    plain = fourier.fit_image(img, "none", **kw)
    ff = fourier.fit_image(img, "fourier", scale=1.0, **kw)
    assert ff["prediction"].shape == img.shape
    assert ff["psnr_train"] > plain["psnr_train"] + 3


def test_mlp_builder_places_encoding_and_first_layer():
    net = nets.mlp(2, 1, width=8, depth=2, encoding=fourier.FourierFeatures(2, 4, 1.0), first_layer=None)
    assert isinstance(net[0], fourier.FourierFeatures) and net[1].in_features == 8
    net = nets.mlp(1, 1, width=8, depth=2, first_layer=fourier.SineLayer(1, 8, 3.0))
    assert [type(m).__name__ for m in net] == ["SineLayer", "Linear", "Tanh", "Linear"]


def test_mlp_builder_rejects_bad_arguments():
    with pytest.raises(ValueError, match="activation must be one of"):
        nets.mlp(1, 1, activation="gelu")
    with pytest.raises(ValueError, match="width must be a positive integer"):
        nets.mlp(1, 1, width=0)


def test_bad_inputs():
    with pytest.raises(ValueError, match="scale must be a positive"):
        fourier.FourierFeatures(1, 4, scale=-1.0)
    with pytest.raises(ValueError, match="kappa must be a positive"):
        fourier.SineLayer(1, 4, kappa=0.0)
    with pytest.raises(ValueError, match="encoding must be one of"):
        fourier.encoded_mlp(1, 1, "positional")
    with pytest.raises(ValueError, match=r"image must have shape \(size, size, 3\)"):
        fourier.fit_image(np.zeros((4, 5, 3)))
    with pytest.raises(ValueError, match="size must be at most"):
        fourier.sample_image(100000)


def test_dominant_frequency_in_one_and_two_dimensions():
    x = np.arange(128) / 128
    assert fourier.dominant_frequency(np.sin(2 * np.pi * 9 * x) + 0.3 * np.sin(2 * np.pi * 2 * x)) == 9
    assert fourier.dominant_frequency(np.sin(2 * np.pi * 9 * x), length=2.0) == 4.5
    X, Y = np.meshgrid(x, x, indexing="ij")
    assert fourier.dominant_frequency(np.cos(2 * np.pi * (3 * X + 4 * Y))) == pytest.approx(5.0)


def test_kappa_rule_matches_the_zero_crossing_rule():
    x = np.linspace(-1, 1, 2001)
    residue = np.sin(2 * np.pi * 6 * x + 0.3)  # 6 cycles per unit of x, no zero on a grid point
    zero_crossings = np.sum(residue[1:] * residue[:-1] < 0)
    kappa = fourier.kappa_for_frequency(6.0, 1, 20)
    assert kappa == pytest.approx(3 * zero_crossings, rel=0.05)


def test_fit_curve_learns_the_ripple_with_features():
    x = np.arange(128) / 128
    y = fourier.two_scale_signal(x, high=12)
    predict, losses = fourier.fit_curve(x, y, "fourier", 5.0, width=32, n_iter=300)
    assert predict(x).shape == (128,) and losses[-1] < 0.01 * losses[0]
    with pytest.raises(ValueError, match="same number of samples"):
        fourier.fit_curve(x, y[:-1])


def test_feature_kernel_is_stationary_and_tends_to_a_gaussian():
    rng = np.random.default_rng(0)
    B = rng.normal(scale=3.0, size=(20000, 1))
    v = rng.uniform(size=(6, 1))
    K = fourier.feature_kernel(v, v, B)
    np.testing.assert_allclose(np.diag(K), 1.0)
    shifted = fourier.feature_kernel(v + 0.37, v + 0.37, B)
    np.testing.assert_allclose(shifted, K, atol=1e-10)  # depends on v1 - v2 only
    gaussian = np.exp(-2 * np.pi**2 * 9.0 * (v - v.T) ** 2)
    np.testing.assert_allclose(K, gaussian, atol=0.03)
    with pytest.raises(ValueError, match="same number of columns"):
        fourier.feature_kernel(v, np.zeros((2, 2)), B)
