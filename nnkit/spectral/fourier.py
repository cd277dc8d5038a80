"""Inputs that beat spectral bias: Gaussian Fourier features (Tancik et al. 2020) and a scaled-sine first layer
(Wang & Lai 2024), plus the 2-D image-regression task used to compare them.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..core.nets import mlp, train_full_batch
from ..core.runtime import seeded
from ..core.validation import as_float_array, check_choice, check_positive, check_same_rows


class FourierFeatures(nn.Module):
    """gamma(v) = [cos(2 pi B v), sin(2 pi B v)] with fixed B ~ N(0, scale^2), shape (n_features, in_dim).

    Maps (n, in_dim) to (n, 2 n_features). ``scale`` (in cycles per unit of v) sets which frequencies the network
    can reach quickly: too small blurs, too large gives noisy over-fitting.
    """

    def __init__(self, in_dim, n_features, scale, seed=0):
        super().__init__()
        check_positive(in_dim, "in_dim", integer=True)
        check_positive(n_features, "n_features", integer=True)
        check_positive(scale, "scale")
        gen = torch.Generator().manual_seed(seed)
        self.register_buffer("B", scale * torch.randn(n_features, in_dim, generator=gen))
        self.in_dim, self.out_dim, self.scale = in_dim, 2 * n_features, scale

    def forward(self, v):
        proj = 2 * np.pi * v @ self.B.T
        return torch.cat([torch.cos(proj), torch.sin(proj)], dim=-1)


class SineLayer(nn.Module):
    """First layer sin(kappa (W x) + b): W Xavier-normal, b zero; kappa > 1 widens the frequencies it starts with."""

    def __init__(self, in_dim, out_dim, kappa=1.0):
        super().__init__()
        check_positive(kappa, "kappa")
        self.linear = nn.Linear(in_dim, out_dim)
        nn.init.xavier_normal_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)
        self.in_dim, self.out_dim, self.kappa = in_dim, out_dim, float(kappa)

    def forward(self, x):
        return torch.sin(self.kappa * (x @ self.linear.weight.T) + self.linear.bias)


def spectrum_sine_layer(values, width, length=2.0, cap=None):
    """A ``SineLayer`` whose units start at the strongest Fourier modes of ``values`` (Ng, Wang & Lai 2024).

    values: samples on a uniform grid, shape (n,) or (n1, n2, ...), whose points start at -1 and span ``length``
    along every axis (2: [-1, 1]; or one span per axis); width: number of units; cap: None, or the most any mode's
    frequency may be along an axis, as a fraction of that axis's Nyquist frequency. Unit j starts as sin(w_j . h +
    b_j) = cos(2 pi k_j . (h + 1) + phase_j) with k_j (cycles per unit of h) and phase_j the j-th largest mode of
    the FFT (the mean excluded), so the layer starts holding the modes the residue has, in place of random rows
    scaled by one kappa. Units beyond the grid's number of modes keep their Xavier start.
    """
    check_positive(width, "width", integer=True)
    k, amplitude = strongest_modes(values, width, length, cap)
    layer = SineLayer(k.shape[1], width).double()
    with torch.no_grad():
        layer.linear.weight[:len(k)] = torch.from_numpy(2 * np.pi * k)
        layer.linear.bias[:len(k)] = torch.from_numpy(2 * np.pi * k.sum(axis=1) + np.angle(amplitude) + np.pi / 2)
    return layer


def spectrum_features(values, n_modes, length=2.0, cap=None):
    """Fixed ``FourierFeatures`` [cos(2 pi k_j . h), sin(2 pi k_j . h)] at the n_modes strongest Fourier modes k_j of
    ``values`` (cycles per unit of h), in place of random rows: (n, d) -> (n, 2 n_modes), float64.

    values, length, cap: as for ``spectrum_sine_layer``. Cosine and sine of each mode let the next layer take any
    phase, so the frequencies need no training: on a periodic field the features are the field's own Fourier basis.
    """
    k, _ = strongest_modes(values, n_modes, length, cap)
    features = FourierFeatures(k.shape[1], len(k), scale=1.0)
    features.B = torch.from_numpy(k)  # float64: the modes, not random draws
    return features


def check_nyquist_fraction(value, name):
    """value if it is None or a fraction in (0, 1] (of a Nyquist frequency); else a ValueError naming ``name``."""
    if value is not None and not 0 < value <= 1:
        raise ValueError(f"{name} must be None or a fraction in (0, 1] of the Nyquist frequency; got {value}")
    return value


def strongest_modes(values, count, length=2.0, cap=None):
    """The ``count`` largest non-constant FFT modes of ``values`` on a uniform grid spanning ``length`` (its ends
    included) along every axis, or length[i] along axis i: wave vectors (m, d) in cycles per unit, and complex
    amplitudes (m,), largest first.

    cap: None, or the most a mode's frequency may be along any axis, as a fraction of that axis's Nyquist frequency.
    """
    values = as_float_array(values, "values")
    check_positive(count, "count", integer=True)
    lengths = np.atleast_1d(np.asarray(length, dtype=np.float64))
    lengths = np.full(values.ndim, lengths[0]) if lengths.shape == (1,) else lengths
    if lengths.shape != (values.ndim,) or not np.all(lengths > 0):
        raise ValueError(f"length must be a positive number or one per axis of values ({values.ndim}); got {length}")
    check_nyquist_fraction(cap, "cap")
    spacings = [span / (n - 1) for span, n in zip(lengths, values.shape)]
    spectrum, axes = _modes(values, spacings)
    strength = np.abs(spectrum)
    if cap is not None:
        for axis, (frequencies, step) in enumerate(zip(axes, spacings)):
            above = np.abs(frequencies) > cap / (2 * step) * (1 + 1e-12)
            strength[(slice(None),) * axis + (above,)] = -1.0
    order = np.argsort(strength.ravel(), kind="stable")[::-1][:count]
    order = order[strength.ravel()[order] >= 0]
    index = np.unravel_index(order, spectrum.shape)
    return np.stack([axis[i] for axis, i in zip(axes, index)], axis=1), spectrum[index]


def feature_kernel(v1, v2, B):
    """Kernel of the Fourier-feature map, K = gamma(v1) gamma(v2)^T / m = mean_j cos(2 pi b_j . (v1 - v2)).

    v1 (n1, d), v2 (n2, d), B (m, d); returns (n1, n2). It depends on v1 - v2 only (stationary); for B ~ N(0, s^2)
    and many features it tends to exp(-2 pi^2 s^2 |v1 - v2|^2), a Gaussian of width 1 / (2 pi s) (Tancik et al.).
    """
    v1 = as_float_array(v1, "v1", ndim=2)
    v2 = as_float_array(v2, "v2", ndim=2)
    B = as_float_array(B, "B", ndim=2)
    if not v1.shape[1] == v2.shape[1] == B.shape[1]:
        raise ValueError(f"v1, v2 and B must have the same number of columns; got {v1.shape[1]}, {v2.shape[1]}, "
                         f"{B.shape[1]}")
    p1, p2 = 2 * np.pi * v1 @ B.T, 2 * np.pi * v2 @ B.T
    return (np.cos(p1) @ np.cos(p2).T + np.sin(p1) @ np.sin(p2).T) / len(B)


def encoded_mlp(in_dim, out_dim, encoding="none", scale=10.0, n_features=128, width=128, depth=3,
                activation="relu", seed=0, dtype=torch.float32):
    """MLP with input encoding "none", "fourier" (``FourierFeatures(scale)``) or "sine" (``SineLayer(kappa=scale)``)."""
    check_choice(encoding, "encoding", ("none", "fourier", "sine"))
    with seeded(seed):
        features = FourierFeatures(in_dim, n_features, scale, seed) if encoding == "fourier" else None
        sine = SineLayer(in_dim, width, kappa=scale) if encoding == "sine" else None
        return mlp(in_dim, out_dim, width, depth, activation, encoding=features, first_layer=sine, dtype=dtype)


def psnr(prediction, target):
    """Peak signal-to-noise ratio in dB for values in [0, 1]: -10 log10(mean squared error)."""
    mse = float(np.mean((np.asarray(prediction, dtype=np.float64) - np.asarray(target, dtype=np.float64)) ** 2))
    return float("inf") if mse == 0 else -10.0 * np.log10(mse)


def sample_image(size=64):
    """Grace Hopper's portrait from matplotlib's sample data, centre-cropped square, block-averaged to size x size.

    Returns float64 RGB in [0, 1], shape (size, size, 3). Ships with matplotlib: nothing is downloaded.
    """
    import matplotlib.cbook as cbook
    import matplotlib.image as mpimg

    check_positive(size, "size", integer=True)
    with cbook.get_sample_data("grace_hopper.jpg") as f:
        img = mpimg.imread(f, format="jpg").astype(np.float64) / 255.0
    side = min(img.shape[:2])
    if size > side:
        raise ValueError(f"size must be at most {side} (the photograph's shorter side); got {size}")
    top, left = (img.shape[0] - side) // 2, (img.shape[1] - side) // 2
    side = side - side % size
    crop = img[top:top + side, left:left + side, :3]
    block = side // size
    return crop.reshape(size, block, size, block, 3).mean(axis=(1, 3))


def pixel_coordinates(size):
    """Pixel centres of a size x size image in [0, 1)^2, shape (size, size, 2)."""
    g = np.arange(size) / size
    return np.stack(np.meshgrid(g, g, indexing="ij"), axis=-1)


def fit_image(image, encoding="fourier", scale=10.0, n_features=128, width=128, depth=3, n_iter=1000, lr=1e-3,
              seed=0, device="cpu"):
    """Regress RGB from pixel coordinates, training on the even pixels and testing on the held-out odd ones.

    image: (size, size, 3) in [0, 1]. Returns a dict with "psnr_train", "psnr_test" (dB), "prediction"
    (size, size, 3 on every pixel) and "loss" per iteration.
    """
    image = as_float_array(image, "image", ndim=3)
    if image.shape[2] != 3 or image.shape[0] != image.shape[1]:
        raise ValueError(f"image must have shape (size, size, 3); got {image.shape}")
    coords = pixel_coordinates(image.shape[0])
    as_t = lambda a: torch.tensor(a.reshape(-1, a.shape[-1]), dtype=torch.float32, device=device)  # noqa: E731
    net = nn.Sequential(encoded_mlp(2, 3, encoding, scale, n_features, width, depth, "relu", seed),
                        nn.Sigmoid()).to(device)
    losses = train_full_batch(net, as_t(coords[::2, ::2]), as_t(image[::2, ::2]), n_iter, lr)
    with torch.no_grad():
        pred = net(as_t(coords)).cpu().double().numpy().reshape(image.shape)
    return {"psnr_train": psnr(pred[::2, ::2], image[::2, ::2]), "psnr_test": psnr(pred[1::2, 1::2], image[1::2, 1::2]),
            "prediction": pred, "loss": np.array(losses)}


def _modes(values, spacings):
    """rfftn of values minus their mean, and per axis the frequency of each mode (cycles per unit); spacings: the
    grid step along each axis."""
    spectrum = np.fft.rfftn(values - values.mean())
    axes = [np.fft.fftfreq(n, d=step) for n, step in zip(values.shape[:-1], spacings)]
    axes.append(np.fft.rfftfreq(values.shape[-1], d=spacings[-1]))
    return spectrum, axes


def dominant_frequency(values, length=1.0):
    """Frequency of the largest non-constant Fourier mode of values on a uniform grid, in cycles per unit length.

    values: shape (n,) or (n1, n2, ...), sampled on a grid spanning ``length`` along every axis. For several axes the
    result is the magnitude of the mode's wave-number vector.
    """
    values = as_float_array(values, "values")
    check_positive(length, "length")
    spectrum, axes = _modes(values, [length / n for n in values.shape])
    index = np.unravel_index(np.argmax(np.abs(spectrum)), spectrum.shape)
    return float(np.sqrt(sum(axis[i] ** 2 for axis, i in zip(axes, index))))


def kappa_for_frequency(freq, in_dim, width):
    """Scale factor for ``SineLayer(in_dim, width, kappa)`` to start near frequency ``freq`` (cycles per input unit).

    With Xavier weights of variance 2 / (in_dim + width), kappa W has angular frequencies of standard deviation
    1.2 pi freq: the rule of Wang & Lai (2024), equal to their code's kappa = 3 x (zero crossings of the residue).
    """
    check_positive(freq, "freq")
    return 1.2 * np.pi * freq / np.sqrt(2.0 / (in_dim + width))


def two_scale_signal(x, high=24, amplitude=0.2):
    """sin(2 pi x) + amplitude sin(2 pi high x): a slow wave carrying a fast ripple, for x in [0, 1]."""
    x = np.asarray(x, dtype=np.float64)
    return np.sin(2 * np.pi * x) + amplitude * np.sin(2 * np.pi * high * x)


def fit_curve(x, y, encoding="none", scale=10.0, width=64, depth=3, n_iter=1500, lr=1e-3, seed=0, device="cpu"):
    """Fit y(x) for samples x, y of shape (n,) with an ``encoded_mlp`` (tanh) by full-batch Adam.

    Returns (predict, losses): predict maps an array of x of shape (m,) to the fit, shape (m,).
    """
    x = as_float_array(x, "x", ndim=1)
    y = as_float_array(y, "y", ndim=1)
    check_same_rows(x, y, "x", "y")
    as_t = lambda a: torch.tensor(a, dtype=torch.float32, device=device)[:, None]  # noqa: E731
    net = encoded_mlp(1, 1, encoding, scale, n_features=width, width=width, depth=depth, activation="tanh",
                      seed=seed).to(device)
    losses = train_full_batch(net, as_t(x), as_t(y), n_iter, lr)

    def predict(points):
        with torch.no_grad():
            return net(as_t(as_float_array(points, "points", ndim=1)))[:, 0].double().cpu().numpy()

    return predict, np.array(losses)
