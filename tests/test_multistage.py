import numpy as np
import pytest
import torch

from nnkit.core.nets import mlp
from nnkit.spectral.fourier import spectrum_features, spectrum_sine_layer, strongest_modes
from nnkit.problems.navier_stokes import spectral_upsample
from nnkit.spectral.multistage import MultiStageNN, lbfgs


@pytest.fixture(scope="module")
def two_stage_fit():
    x = np.linspace(-1, 1, 301)[:, None]
    y = np.sin(2 * x + 1) + 0.2 * np.exp(1.3 * x)
    model = MultiStageNN(widths=(16, 16), n_iter=300, lbfgs_iter=1200, seed=0).fit(x, y, n_stages=2)
    return x, y, model


@pytest.mark.slow
def test_second_stage_cuts_the_error_by_orders_of_magnitude(two_stage_fit):
    x, y, model = two_stage_fit
    first, second = model.history["error"]
    assert first < 1e-2 and second < 1e-2 * first
    rel = lambda p: np.linalg.norm(p - y) / np.linalg.norm(y)  # noqa: E731
    assert rel(model.predict(x, n_stages=1)) == pytest.approx(first)
    assert rel(model.predict(x)) == pytest.approx(second)


@pytest.mark.slow
def test_stage_scales_and_kappa(two_stage_fit):
    x, y, model = two_stage_fit
    assert model.history["eps"][0] == pytest.approx(np.sqrt(np.mean(y**2)))
    assert model.history["eps"][1] == pytest.approx(model.history["error"][0] * np.linalg.norm(y) / np.sqrt(len(y)))
    assert model.history["kappa"][0] == 1.0 and model.history["kappa"][1] > 1.0
    assert model.history["frequency"][1] > 0
    assert len(model.history["loss_curve"][1]) >= 300


def test_held_out_error_per_stage_is_the_error_between_the_training_points():
    x = np.linspace(-1, 1, 41)[:, None]
    x_mid = 0.5 * (x[1:] + x[:-1])
    f = lambda v: np.cos(3 * v) + 0.1 * v  # noqa: E731
    model = MultiStageNN(widths=(8, 8), n_iter=40, lbfgs_iter=40, seed=1).fit(x, f(x), x_held_out=x_mid,
                                                                              y_held_out=f(x_mid))
    held_out = model.history["held_out_error"]
    assert len(held_out) == 2
    for stage, error in enumerate(held_out):
        prediction = model.predict(x_mid, n_stages=stage + 1)
        assert error == pytest.approx(np.linalg.norm(prediction - f(x_mid)) / np.linalg.norm(f(x_mid)))
    # the same points as held-out and as training data give the training error
    same = MultiStageNN(widths=(8,), n_iter=40, lbfgs_iter=40, seed=1).fit(x, f(x), x_held_out=x, y_held_out=f(x))
    assert same.history["held_out_error"] == pytest.approx(same.history["error"])
    assert MultiStageNN(widths=(4,), n_iter=2, lbfgs_iter=2).fit(x, f(x)).history["held_out_error"] == []


def test_later_stages_train_on_the_dense_points():
    x = np.linspace(-1, 1, 21)[:, None]
    x_dense = np.linspace(-1, 1, 81)[:, None]
    f = lambda v: np.cos(3 * v) + 0.05 * np.sin(20 * v)  # noqa: E731
    model = MultiStageNN(widths=(8, 8, 8), n_iter=30, lbfgs_iter=30, seed=2, dense_from=1).fit(
        x, f(x), x_dense=x_dense, y_dense=f(x_dense))
    assert model.history["points"] == [21, 81, 81]
    # stage 1's scale and error are those of the residue on the dense points
    residue = f(x_dense) - model.predict(x_dense, n_stages=1)
    assert model.history["eps"][1] == pytest.approx(np.sqrt(np.mean(residue**2)))
    after = f(x_dense) - model.predict(x_dense, n_stages=2)
    assert model.history["error"][1] == pytest.approx(np.linalg.norm(after) / np.linalg.norm(f(x_dense)))
    coarse_only = MultiStageNN(widths=(8, 8, 8), n_iter=30, lbfgs_iter=30, seed=2).fit(x, f(x))
    assert coarse_only.history["points"] == [21, 21, 21]


def test_frequency_cap_bounds_the_stage_frequency():
    x = np.linspace(-1, 1, 41)[:, None]  # Nyquist frequency (41 - 1) / 4 = 10 cycles per unit of h
    y = np.cos(2 * x) + 0.5 * np.sin(2 * np.pi * 9 * x)  # stage 0 misses the 9-cycle term: the residue holds it
    free = MultiStageNN(widths=(8, 8), n_iter=50, lbfgs_iter=50, seed=0).fit(x, y)
    capped = MultiStageNN(widths=(8, 8), n_iter=50, lbfgs_iter=50, seed=0, frequency_cap=0.25).fit(x, y)
    assert free.history["frequency"][1] > 2.5
    assert capped.history["frequency"][1] == pytest.approx(2.5)
    assert capped.history["kappa"][1] < free.history["kappa"][1]


def test_kappa_scale_multiplies_the_later_stages_kappa_only():
    x = np.linspace(-1, 1, 101)[:, None]
    y = np.cos(3 * x) + 0.1 * np.sin(25 * x)
    fits = [MultiStageNN(widths=(8, 8, 8), n_iter=20, lbfgs_iter=20, seed=3, kappa_scale=scale).fit(x, y)
            for scale in (1.0, 0.25)]
    wang_lai, lowered = (np.array(fit.history["kappa"]) for fit in fits)
    assert wang_lai[0] == lowered[0] == 1.0  # stage 0 is the tanh network
    assert lowered[1] == pytest.approx(0.25 * wang_lai[1])  # the same stage 0, so the same residue and frequency
    assert fits[0].history["frequency"][1] == fits[1].history["frequency"][1]


def test_min_held_out_gain_drops_the_stage_that_gains_too_little_and_stops():
    x = np.linspace(-1, 1, 101)[:, None]
    mid = 0.5 * (x[1:] + x[:-1])
    f = lambda v: np.cos(3 * v) + 0.1 * np.sin(25 * v)  # noqa: E731
    settings = dict(widths=(8, 8, 8), n_iter=30, lbfgs_iter=30, seed=5)
    held_out = dict(x_held_out=mid, y_held_out=f(mid))
    free = MultiStageNN(**settings).fit(x, f(x), **held_out)
    ratio = free.history["held_out_error"][1] / free.history["held_out_error"][0]
    assert ratio < 0.8  # stage 1 gains: a rule asking for a little more than it gains stops there
    stopped = MultiStageNN(**settings, min_held_out_gain=1 - 0.9 * ratio).fit(x, f(x), **held_out)
    assert len(stopped.stages) == 1 and stopped.history["best_step"] == 0
    assert stopped.history["held_out_error"] == free.history["held_out_error"][:2]  # the dropped stage stays listed
    np.testing.assert_array_equal(stopped.predict(x), free.predict(x, n_stages=1))
    passed = MultiStageNN(**settings, min_held_out_gain=1 - 1.1 * ratio).fit(x, f(x), **held_out)
    assert len(passed.stages) >= 2 and passed.history["best_step"] == len(passed.stages) - 1


def test_same_seed_same_numbers():
    x = np.linspace(-1, 1, 101)[:, None]
    y = np.cos(3 * x)
    runs = [MultiStageNN(widths=(8, 8), n_iter=30, lbfgs_iter=30, seed=4).fit(x, y, 2).predict(x)
            for _ in range(2)]
    np.testing.assert_array_equal(runs[0], runs[1])


def test_two_dimensional_grid():
    g = np.linspace(0, 1, 16, endpoint=False)
    x = np.stack(np.meshgrid(g, g, indexing="ij"), axis=-1).reshape(-1, 2)
    y = (np.sin(2 * np.pi * x[:, :1]) * np.cos(2 * np.pi * x[:, 1:]))
    model = MultiStageNN(widths=(8, 8), n_iter=50, lbfgs_iter=100).fit(x, y, 2, grid_shape=(16, 16))
    assert model.predict(x).shape == (256, 1)
    assert model.history["error"][1] < model.history["error"][0]


def test_lbfgs_minimises_a_quadratic():
    torch.manual_seed(0)
    net = mlp(1, 1, width=4, depth=1, dtype=torch.float64)
    x = torch.linspace(-1, 1, 20, dtype=torch.float64)[:, None]
    loss = lambda m: torch.mean((m(x) - 3 * x) ** 2)  # noqa: E731
    start = float(loss(net).detach())
    final = lbfgs(net, loss, max_iter=200)
    assert final < 1e-6 * start and final == pytest.approx(float(loss(net).detach()))


def test_torch_threads_are_restored():
    before = torch.get_num_threads()
    MultiStageNN(widths=(4,), n_iter=2, lbfgs_iter=2).fit(np.linspace(0, 1, 10)[:, None], np.ones((10, 1)))
    assert torch.get_num_threads() == before


def test_bad_inputs():
    x = np.linspace(-1, 1, 50)[:, None]
    y = np.sin(x)
    small = dict(widths=(4, 4), n_iter=2, lbfgs_iter=2)
    with pytest.raises(ValueError, match="n_stages must be a positive integer"):
        MultiStageNN(**small).fit(x, y, n_stages=0)
    with pytest.raises(ValueError, match=r"n_stages must be at most len\(widths\) = 2"):
        MultiStageNN(**small).fit(x, y, n_stages=3)
    y_bad = y.copy()
    y_bad[5] = np.nan
    with pytest.raises(ValueError, match="y contains 1 NaN"):
        MultiStageNN(**small).fit(x, y_bad)
    with pytest.raises(ValueError, match="same number of samples"):
        MultiStageNN(**small).fit(x, y[:-1])
    with pytest.raises(ValueError, match="equally spaced"):
        MultiStageNN(**small).fit(x[::-1], y)
    with pytest.raises(ValueError, match="pass grid_shape"):
        MultiStageNN(**small).fit(np.zeros((4, 2)), np.zeros((4, 1)))
    with pytest.raises(ValueError, match="grid_shape must have 2 entries"):
        MultiStageNN(**small).fit(np.random.rand(6, 2), np.zeros((6, 1)), grid_shape=(2, 2))
    with pytest.raises(ValueError, match="pass both or neither"):
        MultiStageNN(**small).fit(x, y, x_held_out=x)
    with pytest.raises(ValueError, match="must have 1 and 1 columns"):
        MultiStageNN(**small).fit(x, y, x_held_out=np.zeros((3, 2)), y_held_out=np.ones((3, 1)))
    with pytest.raises(ValueError, match="x_held_out and y_held_out must have the same number of samples"):
        MultiStageNN(**small).fit(x, y, x_held_out=x, y_held_out=y[:-1])
    with pytest.raises(ValueError, match="y_held_out contains 1 NaN"):
        MultiStageNN(**small).fit(x, y, x_held_out=x, y_held_out=y_bad)
    with pytest.raises(ValueError, match="all zeros"):
        MultiStageNN(**small).fit(x, y, x_held_out=x, y_held_out=np.zeros_like(y))
    with pytest.raises(ValueError, match="x_dense and y_dense go together"):
        MultiStageNN(**small).fit(x, y, x_dense=x)
    with pytest.raises(ValueError, match="x_dense must lie within one grid step of x.s bounding box"):
        MultiStageNN(**small).fit(x, y, x_dense=2 * x, y_dense=y)
    with pytest.raises(ValueError, match="x_dense must be sorted, equally spaced"):
        MultiStageNN(**small).fit(x, y, x_dense=x[::-1], y_dense=y)
    with pytest.raises(ValueError, match="frequency_cap must be None or a fraction"):
        MultiStageNN(frequency_cap=1.5)
    with pytest.raises(ValueError, match="dense_from"):
        MultiStageNN(dense_from=0)
    with pytest.raises(ValueError, match="widths"):
        MultiStageNN(widths=(0,))
    with pytest.raises(ValueError, match=r"min_held_out_gain must be in \[0, 1\)"):
        MultiStageNN(min_held_out_gain=1.0)
    with pytest.raises(ValueError, match="min_held_out_gain stops on the held-out error: pass x_held_out"):
        MultiStageNN(min_held_out_gain=0.1, **small).fit(x, y)
    with pytest.raises(ValueError, match="kappa_scale must be a positive"):
        MultiStageNN(kappa_scale=0)
    with pytest.raises(ValueError, match="kappa_scale scales the rows of first_layer='kappa' only"):
        MultiStageNN(kappa_scale=0.5, first_layer="fourier")
    with pytest.raises(ValueError, match="lr must be a positive"):
        MultiStageNN(lr=-1.0)
    with pytest.raises(RuntimeError, match="call fit"):
        MultiStageNN().predict(x)


def test_threads_argument():
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        MultiStageNN(threads=0)
    data = np.linspace(0, 1, 10)[:, None], np.ones((10, 1))
    assert MultiStageNN(widths=(4,), n_iter=1, lbfgs_iter=1, threads=None).fit(*data).history["threads"] == \
        torch.get_num_threads()
    assert MultiStageNN(widths=(4,), n_iter=1, lbfgs_iter=1, threads=1).fit(*data).history["threads"] == 1


def test_spectrum_sine_layer_starts_at_the_strongest_modes_with_their_phases():
    n = 64
    h = np.linspace(-1, 1, n)
    k2, k5 = 2 * (n - 1) / (2 * n), 5 * (n - 1) / (2 * n)  # FFT bins 2 and 5, in cycles per unit of h
    first, second = np.cos(2 * np.pi * k2 * (h + 1) + 0.3), np.cos(2 * np.pi * k5 * (h + 1) - 1.0)
    layer = spectrum_sine_layer(0.4 * first + 1.0 * second + 2.0, width=3)
    with torch.no_grad():
        units = layer(torch.from_numpy(h[:, None])).numpy()
    np.testing.assert_allclose(units[:, 0], second, atol=1e-10)  # the stronger mode comes first
    np.testing.assert_allclose(units[:, 1], first, atol=1e-10)
    grid = np.meshgrid(h, h, indexing="ij")
    layer_2d = spectrum_sine_layer(np.cos(2 * np.pi * (k2 * (grid[0] + 1) + k5 * (grid[1] + 1))), width=1)
    np.testing.assert_allclose(layer_2d.linear.weight.detach().numpy(), [[2 * np.pi * k2, 2 * np.pi * k5]])


def test_spectrum_first_layer_fits_a_2d_field_better_than_kappa_at_the_same_budget():
    m = 24
    coords = 2 * np.pi * np.arange(m) / m
    xx, yy = np.meshgrid(coords, coords, indexing="ij")
    field = np.sin(3 * xx + yy) + 0.5 * np.cos(2 * xx - 5 * yy) + 0.3 * np.sin(7 * yy) + 0.2 * np.cos(6 * xx + 4 * yy)
    x, y = np.stack([xx, yy], axis=-1).reshape(-1, 2), field.reshape(-1, 1)
    errors = {rule: MultiStageNN(widths=(16,), n_iter=100, lbfgs_iter=150, first_layer=rule).fit(
        x, y, grid_shape=(m, m)).history["error"][-1] for rule in ("kappa", "spectrum")}
    assert errors["spectrum"] < 0.1 * errors["kappa"], errors
    with pytest.raises(ValueError, match="first_layer"):
        MultiStageNN(first_layer="random")


def test_spectrum_features_are_the_strongest_modes_and_span_any_phase():
    n = 64
    h = np.linspace(-1, 1, n)
    k2, k5 = 2 * (n - 1) / (2 * n), 5 * (n - 1) / (2 * n)  # FFT bins 2 and 5, in cycles per unit of h
    signal = 0.4 * np.cos(2 * np.pi * k2 * h + 0.3) + np.sin(2 * np.pi * k5 * h - 1.0) + 2.0
    features = spectrum_features(signal, n_modes=2)
    np.testing.assert_allclose(features.B.numpy(), [[k5], [k2]])  # the stronger mode first
    with torch.no_grad():
        columns = features(torch.from_numpy(h[:, None])).numpy()
    design = np.column_stack([columns, np.ones(n)])
    fit = design @ np.linalg.lstsq(design, signal, rcond=None)[0]
    np.testing.assert_allclose(fit, signal, atol=1e-10)  # cosine and sine of each mode: any phase, no training


def test_strongest_modes_cap_keeps_modes_below_the_fraction_of_nyquist():
    n = 64
    h = np.linspace(-1, 1, n)
    step = 2 / (n - 1)
    low, high = 4 / (n * step), 24 / (n * step)  # FFT bins 4 and 24 (Nyquist is bin 32)
    signal = 0.1 * np.cos(2 * np.pi * low * h) + np.cos(2 * np.pi * high * h)
    assert strongest_modes(signal, 1)[0][0, 0] == pytest.approx(high)
    capped, _ = strongest_modes(signal, 3, cap=0.5)
    assert capped[0, 0] == pytest.approx(low) and np.all(np.abs(capped) <= 0.5 / (2 * step))
    for bad in (0, 1.5):
        with pytest.raises(ValueError, match="cap"):
            strongest_modes(signal, 1, cap=bad)


def test_strongest_modes_read_each_axis_with_its_own_span():
    spans, shape, bins = (2.0, 4.0), (16, 20), (3, 2)
    steps = [span / (n - 1) for span, n in zip(spans, shape)]
    frequencies = [b / (n * step) for b, n, step in zip(bins, shape, steps)]  # exact FFT bins along each axis
    h1, h2 = np.meshgrid(*(-1 + step * np.arange(n) for step, n in zip(steps, shape)), indexing="ij")
    values = np.cos(2 * np.pi * (frequencies[0] * h1 + frequencies[1] * h2))
    np.testing.assert_allclose(strongest_modes(values, 1, length=spans)[0][0], frequencies)
    for bad in ((2.0, 4.0, 1.0), (2.0, -1.0)):
        with pytest.raises(ValueError, match="length must be a positive number or one per axis"):
            strongest_modes(values, 1, length=bad)


def test_a_dense_periodic_grid_past_the_box_gives_its_stages_the_field_s_own_wave_numbers():
    m = 12
    coarse, dense = (2 * np.pi * np.arange(k) / k for k in (m, 2 * m))  # the dense grid ends past the coarse one
    points = lambda c: np.stack(np.meshgrid(c, c, indexing="ij"), axis=-1).reshape(-1, 2)  # noqa: E731
    field = lambda p: (np.sin(p[:, :1]) + 0.3 * np.cos(3 * p[:, :1] - 4 * p[:, 1:])) ** 2  # noqa: E731
    model = MultiStageNN(widths=(8, 8), n_iter=5, lbfgs_iter=5, first_layer="fourier", modes=8, dense_from=1).fit(
        points(coarse), field(points(coarse)), grid_shape=(m, m), x_dense=points(dense), y_dense=field(points(dense)),
        dense_grid_shape=(2 * m, 2 * m))
    unit = (m - 1) / (2 * m)  # cycles per unit of h of wave number 1 on [0, 2 pi): h spans 2 over (m - 1) / m of it
    for stage in range(2):
        wave_numbers = model.stages[stage][0][0].B.numpy() / unit
        np.testing.assert_allclose(wave_numbers, np.round(wave_numbers), atol=1e-9)
    assert np.abs(model.stages[1][0][0].B.numpy() / unit).max() > m / 2  # the dense stage reads beyond the coarse band


def test_fourier_first_layer_fits_between_the_points_with_its_features_fixed():
    m = 24
    coords = 2 * np.pi * np.arange(m) / m
    centres = coords + np.pi / m  # between the grid points
    field = lambda a, b: np.exp(np.sin(a) + 0.5 * np.cos(2 * b)) + 0.2 * np.sin(3 * a - 2 * b) ** 3  # noqa: E731
    points = lambda c: np.stack(np.meshgrid(c, c, indexing="ij"), axis=-1).reshape(-1, 2)  # noqa: E731
    x, x_mid = points(coords), points(centres)
    y, y_mid = field(x[:, :1], x[:, 1:]), field(x_mid[:, :1], x_mid[:, 1:])
    held_out = {}
    for rule in ("kappa", "fourier"):
        model = MultiStageNN(widths=(16,), n_iter=100, lbfgs_iter=150, first_layer=rule, modes=16).fit(
            x, y, grid_shape=(m, m), x_held_out=x_mid, y_held_out=y_mid)
        held_out[rule] = model.history["held_out_error"][-1]
    assert held_out["fourier"] < 0.1 * held_out["kappa"] and held_out["fourier"] < 0.02, held_out
    features = model.stages[0][0][0]
    np.testing.assert_allclose(features.B.numpy(), strongest_modes(y.reshape(m, m), 16)[0])  # untouched by training
    with pytest.raises(ValueError, match="depth >= 2"):
        MultiStageNN(first_layer="fourier", depth=1)


def test_band_penalty_is_the_power_above_the_band():
    coords = 2 * np.pi * np.arange(8) / 8
    h = torch.from_numpy(np.stack(np.meshgrid(coords, coords, indexing="ij"), axis=-1).reshape(-1, 2))
    penalty = MultiStageNN(band=0.5, band_weight=2.0)._band_penalty((8, 8))
    above = torch.cos(3 * h[:, :1])  # 3 of the 4 cycles the 8-point axis resolves
    below = torch.cos(h[:, 1:])
    assert float(penalty(above)) == pytest.approx(2.0 * 0.5)  # band_weight x its mean square
    assert float(penalty(below)) == pytest.approx(0.0, abs=1e-12)
    assert float(penalty(above + below)) == pytest.approx(1.0)
    for bad in (0, 1.5):
        with pytest.raises(ValueError, match="band"):
            MultiStageNN(band=bad)
    with pytest.raises(ValueError, match="band_weight"):
        MultiStageNN(band=0.5, band_weight=0)


@pytest.mark.slow
def test_band_penalty_lets_the_second_stage_gain_between_the_points():
    m = 8
    coords = lambda n: 2 * np.pi * np.arange(n) / n  # noqa: E731
    points = lambda c: np.stack(np.meshgrid(c, c, indexing="ij"), axis=-1).reshape(-1, 2)  # noqa: E731
    k = np.fft.fftfreq(m) * m
    spectrum = np.exp(-0.3 * (k[:, None] ** 2 + k[None, :] ** 2))
    field = np.fft.ifft2(spectrum * np.fft.fft2(np.random.default_rng(0).standard_normal((m, m)))).real
    train, fine = spectral_upsample(field, 2 * m), spectral_upsample(field, 4 * m)  # band-limited, as the truth
    between = np.zeros((4 * m, 4 * m), dtype=bool)
    between[1::2, :] = between[:, 1::2] = True
    held_out = {}
    for band in (None, 0.5):  # 0.5: the 8-point field's band on the 16-point grid
        model = MultiStageNN(widths=(12, 12), n_iter=100, lbfgs_iter=200, first_layer="fourier", modes=8, band=band)
        model.fit(points(coords(2 * m)), train.reshape(-1, 1), grid_shape=(2 * m, 2 * m),
                  x_held_out=points(coords(4 * m))[between.ravel()], y_held_out=fine[between][:, None])
        held_out[band] = model.history["held_out_error"]
    assert held_out[None][1] > held_out[None][0]   # free, the second stage fits the points and adds error between
    assert held_out[0.5][1] < 0.7 * held_out[0.5][0], held_out  # kept in the band, it gains there too
