"""Toy sea-ice model, partial convolutions, UNet surrogate, forecast skill and spectral exponent."""
import numpy as np
import pytest
import torch
from torch.nn import functional as F

from nnkit.problems import seaice
from nnkit.problems.seaice.simulator import advect


@pytest.fixture(scope="module")
def run():
    return seaice.simulate(n_years=2, n=32, seed=0)


@pytest.mark.slow
def test_simulation_is_seeded_masked_and_seasonal(run):
    again = seaice.simulate(n_years=2, n=32, seed=0)
    np.testing.assert_array_equal(run.thickness, again.thickness)
    assert run.thickness.shape == (1460, 32, 32) and run.forcing.shape == (1460, 3, 32, 32)
    assert np.all(run.thickness >= 0) and np.all(run.thickness[:, ~run.mask] == 0)
    assert run.mask[8:24, 8:24].all() and 0.3 < run.mask.mean() < 0.8
    mean = run.thickness[:, run.mask].mean(axis=1)
    day = (274 + run.hours / 24) % 365
    march, september = mean[(day > 59) & (day < 90)].mean(), mean[(day > 243) & (day < 273)].mean()
    assert march > 2 * september                         # grows in winter, melts in summer
    assert not np.array_equal(seaice.simulate(1, 32, seed=1).thickness[-1], run.thickness[729])


def test_advection_conserves_ice_and_nothing_crosses_the_coast():
    rng = np.random.default_rng(0)
    mask = seaice.make_mask(32, rng)
    h = rng.uniform(0, 2, size=(32, 32)) * mask
    u, v = rng.normal(0, 0.3, size=(2, 32, 32))
    moved = advect(h, u, v, mask, 6 * 3600.0)
    assert moved.sum() == pytest.approx(h.sum(), rel=1e-12)
    assert np.all(moved[~mask] == 0)


def test_partial_conv_matches_the_slide_formula():
    conv = seaice.PartialConv2d(1, 1, 3)
    x = torch.tensor([[-2., -3, 1, -1], [-1, 1, 1, 4], [1, 2, 1, 3], [-1, 4, 2, 2]])[None, None]
    mask = torch.tensor([[0., 0, 1, 0], [0, 0, 0, 1], [1, 0, 1, 1], [1, 1, 1, 1]])[None, None]
    out = conv(x, mask)
    window, valid = (x * mask)[0, 0, 1:4, 1:4], mask[0, 0, 1:4, 1:4]   # the 3x3 window centred on (2, 2)
    expected = (conv.weight[0, 0] * window).sum() * 9 / valid.sum() + conv.bias[0]
    torch.testing.assert_close(out[0, 0, 2, 2], expected)
    assert torch.all(out[mask == 0] == 0)


def test_partial_conv_ignores_land_and_is_a_plain_conv_in_open_ocean():
    torch.manual_seed(0)
    conv = seaice.PartialConv2d(2, 3, 3)
    mask = torch.ones(1, 1, 8, 8)
    mask[..., :3] = 0
    x = torch.randn(1, 2, 8, 8)
    x_land = x + 5 * (1 - mask) * torch.randn(1, 2, 8, 8)
    torch.testing.assert_close(conv(x, mask), conv(x_land, mask))
    plain = F.conv2d(x, conv.weight, conv.bias, padding=1)
    torch.testing.assert_close(conv(x, mask)[..., 1:7, 4:7], plain[..., 1:7, 4:7])   # windows all in the ocean
    plain_conv = seaice.PartialConv2d(2, 3, 3, partial=False)
    assert not torch.allclose(plain_conv(x, mask), plain_conv(x_land + 1, mask))


def test_new_unet_is_persistence_and_checks_its_input(run):
    net = seaice.SeaIceUNet(8, width=4)
    mask = torch.as_tensor(run.mask[None, None], dtype=torch.float32)
    out = net(torch.randn(2, 8, 32, 32), mask)
    assert out.shape == (2, 1, 32, 32) and torch.all(out == 0)
    with pytest.raises(ValueError, match="x must be"):
        net(torch.randn(2, 7, 32, 32), mask)
    with pytest.raises(ValueError, match="multiples of 4"):
        net(torch.randn(2, 8, 30, 30), torch.ones(1, 1, 30, 30))
    with pytest.raises(ValueError, match="mask must be"):
        net(torch.randn(2, 8, 32, 32), torch.ones(1, 32, 32))
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        seaice.PartialConv2d(1, 1, 4)


def test_new_fixup_resnet_is_persistence_with_identity_blocks(run):
    net = seaice.SeaIceResNet(8, width=6, n_blocks=4)
    mask = torch.as_tensor(run.mask[None, None], dtype=torch.float32)
    x = torch.randn(2, 8, 32, 32)
    assert net(x, mask).shape == (2, 1, 32, 32) and torch.all(net(x, mask) == 0)
    hidden = torch.randn(2, 6, 32, 32) * mask
    for block in net.blocks:
        torch.testing.assert_close(block(hidden, mask), hidden)                 # every residual branch starts at 0
        assert torch.all(block.conv2.weight == 0)
        he_sd = (2 / (6 * 9)) ** 0.5 / 4**0.5                                     # He-normal / sqrt(n_blocks)
        assert 0.7 * he_sd < float(block.conv1.weight.detach().std()) < 1.3 * he_sd
    with torch.no_grad():
        net.head.weight.fill_(0.1)
    out = net(x, mask)
    assert torch.all(out[:, :, ~torch.as_tensor(run.mask)] == 0) and out.abs().sum() > 0   # land stays zero
    with pytest.raises(ValueError, match="x must be"):
        net(torch.randn(2, 7, 32, 32), mask)
    with pytest.raises(ValueError, match="n_blocks must be a positive integer"):
        seaice.SeaIceResNet(8, n_blocks=0)


def power_law_field(n, beta, seed):
    """A random field whose radially averaged spectrum (annulus area included) goes as k^-beta."""
    rng = np.random.default_rng(seed)
    k = np.fft.fftfreq(n) * n
    radius = np.hypot(k[:, None], k[None, :])
    amplitude = np.where(radius > 0, radius, 1.0) ** (-(beta + 1) / 2)
    return np.fft.ifft2(amplitude * np.fft.fft2(rng.standard_normal((n, n)))).real


@pytest.mark.parametrize("beta", [1.5, 2.5, 3.5])
def test_spectral_exponent_recovers_a_power_law(beta):
    fields = np.stack([power_law_field(64, beta, seed) for seed in range(5)])
    estimates = [seaice.spectral_exponent(f) for f in fields]
    assert np.mean(estimates) == pytest.approx(beta, abs=0.2)
    assert seaice.spectral_exponent(fields) == pytest.approx(beta, abs=0.2)    # one mean spectrum of the stack


def test_smoothing_raises_the_spectral_exponent():
    field = power_law_field(64, 2.0, 0)
    k = np.fft.fftfreq(64)
    blurred = np.fft.ifft2(np.fft.fft2(field) * np.exp(-(3 * np.hypot(k[:, None], k[None, :])) ** 2)).real
    assert seaice.spectral_exponent(blurred) > seaice.spectral_exponent(field) + 1
    with pytest.raises(ValueError, match="square"):
        seaice.spectral_exponent(np.zeros((8, 16)))
    with pytest.raises(ValueError, match="k_min"):
        seaice.spectral_exponent(field, k_min=40)


def rollouts(betas, n_leads=4, amplitudes=(1.0, 1.0), seed=0):
    """(S, n_leads, 32, 32) power-law fields: start s has exponent betas[s] and amplitude amplitudes[s]."""
    return np.stack([[a * power_law_field(32, b, seed + 10 * s + lead) for lead in range(n_leads)]
                     for s, (b, a) in enumerate(zip(betas, amplitudes))])


def test_q_beta_is_one_for_the_truth_and_rises_for_smoother_forecasts():
    truth = rollouts((2.0, 2.0))
    assert seaice.q_beta(truth, truth, block=2) == pytest.approx([1.0, 1.0])
    smoother_later = np.concatenate([truth[:, :2], rollouts((3.0, 3.0), seed=99)[:, 2:]], axis=1)
    q = seaice.q_beta(smoother_later, truth, block=2)
    assert q[0] == pytest.approx(1.0) and q[1] == pytest.approx(1.5, abs=0.2)


def test_q_beta_weighs_every_start_the_same():
    truth = rollouts((2.0, 2.0), amplitudes=(100.0, 1.0))
    forecasts = rollouts((2.0, 0.5), amplitudes=(100.0, 1.0), seed=50)  # the weak start is far rougher
    q = seaice.q_beta(forecasts, truth, block=4)
    assert q[0] < 0.8                          # a power-weighted mean would leave only the strong start: about 1
    scaled = forecasts * np.array([0.01, 1.0])[:, None, None, None]
    assert seaice.q_beta(scaled, truth, block=4) == pytest.approx(q)


def test_q_beta_refuses_bad_input():
    truth = rollouts((2.0, 2.0))
    with pytest.raises(ValueError, match="same shape"):
        seaice.q_beta(truth[:1], truth, block=2)
    with pytest.raises(ValueError, match="forecasts"):
        seaice.q_beta(truth[0], truth[0], block=2)
    for block in (0, 5, 1.5):
        with pytest.raises(ValueError, match="block"):
            seaice.q_beta(truth, truth, block=block)


def test_forecast_skill_per_lead():
    mask = np.ones((4, 4), dtype=bool)
    mask[0] = False
    truth = np.zeros((2, 3, 4, 4))
    forecasts = truth + np.arange(3)[None, :, None, None]   # error = lead index, on every cell
    forecasts[:, :, 0] = 99                                 # land is ignored
    rmse, bias = seaice.forecast_skill(forecasts, truth, mask)
    np.testing.assert_allclose(rmse, [0, 1, 2])
    np.testing.assert_allclose(bias, [0, 1, 2])
    assert seaice.masked_bias(-forecasts[0, 2], truth[0, 2], mask) == pytest.approx(-2)
    with pytest.raises(ValueError, match="mask must be"):
        seaice.forecast_skill(forecasts, truth, mask[:3])
    with pytest.raises(ValueError, match="starts, leads"):
        seaice.forecast_skill(forecasts[0], truth[0], mask)


@pytest.mark.slow
def test_surrogate_beats_persistence_on_held_out_days(run):
    steps_per_year = run.steps_per_year
    model = seaice.SeaIceSurrogate(width=8, n_epochs=3, seed=0).fit(run, np.arange(1, steps_per_year - 1))
    starts = np.arange(steps_per_year + 10, 2 * steps_per_year - 20, 30)
    forecast = model.forecast(run, starts, 10)
    truth = np.stack([run.thickness[s + 1:s + 11] for s in starts])
    persistence = np.repeat(run.thickness[starts][:, None], 10, axis=1)
    rmse, _ = seaice.forecast_skill(forecast, truth, run.mask)
    rmse_persistence, _ = seaice.forecast_skill(persistence, truth, run.mask)
    assert forecast.shape == (len(starts), 10, 32, 32) and np.all(forecast[:, :, ~run.mask] == 0)
    assert np.all(rmse < rmse_persistence), (rmse, rmse_persistence)
    again = seaice.SeaIceSurrogate(width=8, n_epochs=3, seed=0).fit(run, np.arange(1, steps_per_year - 1))
    # the same call: a forecast from fewer starts is another batch, which may round differently (one thread)
    np.testing.assert_array_equal(again.forecast(run, starts, 10), forecast)


def test_training_loss_local_global_and_unrolled(run):
    """The one-step local loss is the masked MSE of the increments in sd units; the global term is the squared
    ocean mean of the same errors; an unrolled loss averages the steps, the later ones fed the model's own output."""
    model = seaice.SeaIceSurrogate(width=4, n_epochs=1, seed=0).fit(run, np.arange(1, 40))
    h, f, mask = model._tensors(run)
    t = torch.tensor([5, 17, 30])
    ocean = torch.as_tensor(run.mask)
    with torch.no_grad():
        increment = model.net(model._inputs(h[t], h[t - 1], f[t], f[t + 1]), mask)[:, 0]
        error = (increment - (h[t + 1] - h[t]) * model.h_sd / model.inc_sd)[:, ocean]      # (3, n_ocean)
        local, global_ = (error**2).mean(), (error.mean(dim=1) ** 2).mean()
        assert float(model._rollout_loss(h, f, mask, t)) == pytest.approx(float(local), rel=1e-5)
        model.global_weight = 2.5
        assert float(model._rollout_loss(h, f, mask, t)) == pytest.approx(float(local + 2.5 * global_), rel=1e-5)
        model.global_weight, model.n_unroll = 0.0, 2
        fed = model._physical(model._step(h[t], h[t - 1], f[t], f[t + 1], mask), mask)      # the model's own step
        second = (model._step(fed, h[t], f[t + 1], f[t + 2], mask) - h[t + 2]) * model.h_sd / model.inc_sd
        two_steps = (local + (second[:, ocean] ** 2).mean()) / 2
        assert float(model._rollout_loss(h, f, mask, t)) == pytest.approx(float(two_steps), rel=1e-5)
    unrolled = seaice.SeaIceSurrogate(width=4, n_epochs=2, n_unroll=3, global_weight=1.0, seed=0)
    assert np.all(np.isfinite(unrolled.fit(run, np.arange(1, 40)).history["train_loss"]))
    resnet = seaice.SeaIceSurrogate(width=4, architecture="resnet", n_epochs=2, seed=0).fit(run, np.arange(1, 40))
    assert isinstance(resnet.net, seaice.SeaIceResNet) and np.all(np.isfinite(resnet.history["train_loss"]))


def test_input_noise_shifts_the_starting_state_and_keeps_the_targets(run):
    """With input_noise the rollout starts from the true states at t and t - 1 shifted by the same seeded Gaussian
    field (sd input_noise x the increment's sd, zero on land); the errors are still taken against the truth."""
    model = seaice.SeaIceSurrogate(width=4, n_epochs=1, input_noise=2.0, seed=0).fit(run, np.arange(1, 40))
    h, f, mask = model._tensors(run)
    t = torch.tensor([5, 17, 30])
    ocean = torch.as_tensor(run.mask)
    shift = torch.randn(h[t].shape, generator=torch.Generator().manual_seed(3)) * mask[0]
    shift = shift * 2.0 * model.inc_sd / model.h_sd
    with torch.no_grad():
        step = model._step(h[t] + shift, h[t - 1] + shift, f[t], f[t + 1], mask)
        error = ((step - h[t + 1]) * model.h_sd / model.inc_sd)[:, ocean]
        loss = model._rollout_loss(h, f, mask, t, torch.Generator().manual_seed(3))
        assert float(loss) == pytest.approx(float((error**2).mean()), rel=1e-5)
        assert float(model._rollout_loss(h, f, mask, t)) != pytest.approx(float(loss), rel=1e-3)
    again = seaice.SeaIceSurrogate(width=4, n_epochs=1, input_noise=2.0, seed=0).fit(run, np.arange(1, 40))
    assert again.history["train_loss"] == model.history["train_loss"]
    with pytest.raises(ValueError, match="input_noise"):
        seaice.SeaIceSurrogate(input_noise=-1.0)


def test_forecast_stays_within_the_simulators_bounds(run):
    """Fed back, each step is clipped to [0, H_MAX_M] m as in the simulator, however large the predicted increment."""
    model = seaice.SeaIceSurrogate(width=4, n_epochs=1, seed=0).fit(run, np.arange(1, 40))
    for sign in (1.0, -1.0):
        with torch.no_grad():
            head = list(model.net.parameters())[-1]  # the output bias: a uniform increment of 1e4 sd per step
            head.fill_(sign * 1e4)
        forecast = model.forecast(run, [20], 3)
        ocean = forecast[:, :, run.mask]
        expected = seaice.H_MAX_M if sign > 0 else 0.0
        np.testing.assert_allclose(ocean, expected, atol=1e-4)


def test_surrogate_refuses_bad_input(run):
    model = seaice.SeaIceSurrogate(width=4, n_epochs=1)
    with pytest.raises(RuntimeError, match="not fitted"):
        model.forecast(run, [10], 3)
    with pytest.raises(TypeError, match="SeaIceRun"):
        model.fit(run.thickness, np.arange(1, 10))
    with pytest.raises(ValueError, match="steps must lie in"):
        model.fit(run, np.arange(0, 10))
    with pytest.raises(ValueError, match="integer step indices"):
        model.fit(run, [1.5, 2.5])
    last = len(run.thickness) - 4
    with pytest.raises(ValueError, match=rf"steps must lie in \[1, {last}\].*n_unroll = 3"):
        seaice.SeaIceSurrogate(width=4, n_epochs=1, n_unroll=3).fit(run, np.arange(1, last + 2))
    with pytest.raises(ValueError, match="architecture must be one of"):
        seaice.SeaIceSurrogate(architecture="transformer")
    with pytest.raises(ValueError, match="n_unroll must be a positive integer"):
        seaice.SeaIceSurrogate(n_unroll=0)
    with pytest.raises(ValueError, match="global_weight must be"):
        seaice.SeaIceSurrogate(global_weight=-1.0)
    model.fit(run, np.arange(1, 20))
    with pytest.raises(ValueError, match="n_leads"):
        model.forecast(run, [len(run.thickness) - 5], 10)
    with pytest.raises(ValueError, match="n must be a multiple of 4"):
        seaice.simulate(1, n=30)
