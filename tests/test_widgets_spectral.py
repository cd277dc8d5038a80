"""Widget logic of lessons 03-05 and 08, called directly (ipywidgets swallows callback exceptions)."""
import matplotlib.pyplot as plt
import numpy as np
import pytest

from nnkit.teach.widgets import basics, inference, spectral


@pytest.mark.parametrize("n_bumps,steepness", [(1, 10**0.5), (100, 10**4.0), (8, 300.0)])
def test_bump_demo_over_the_slider_range(n_bumps, steepness):
    assert isinstance(basics.bump_demo(n_bumps, steepness), plt.Figure)


def test_bump_explorer_redraws(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda: None)
    explorer = basics.bump_explorer()
    explorer.children[0].value = 20
    assert isinstance(explorer.result, plt.Figure)


def test_spectral_bias_demo_with_repeated_and_extreme_frequencies():
    fig, history = spectral.spectral_bias_demo([1, 40, 40], [0.1, 2.0, 2.0], n_iter=40)
    assert isinstance(fig, plt.Figure) and history.errors.shape[1] == 3


@pytest.mark.parametrize("encoding,scale", [("none", 1.0), ("fourier", 10.0), ("sine", 500.0), ("fourier", 1000.0)])
def test_fourier_scale_demo(encoding, scale):
    fig, error = spectral.fourier_scale_demo(encoding, scale, n_iter=30)
    assert isinstance(fig, plt.Figure) and np.isfinite(error)


@pytest.mark.parametrize("target,n,bandwidth,lr", [("banana", 2, "median", 1e-3), ("mixture", 400, 0.01, 1.0),
                                                     ("gaussian", 50, 10.0, 0.05)])
def test_svgd_demo_over_the_control_range(target, n, bandwidth, lr):
    fig, particles = inference.svgd_demo(target, n, bandwidth, lr, n_iter=6)
    assert isinstance(fig, plt.Figure) and particles.shape == (n, 2) and np.all(np.isfinite(particles))


@pytest.mark.parametrize("builder", [spectral.spectral_bias_explorer, spectral.fourier_scale_explorer,
                                     inference.svgd_explorer])
def test_manual_explorers_train_on_request(builder, monkeypatch):
    monkeypatch.setattr(plt, "show", lambda: None)
    explorer = builder()
    assert explorer.result is None
    for child in explorer.children:
        if getattr(child, "description", "") in ("iters",):
            child.value = child.min
    explorer.update()
    assert isinstance(explorer.result, plt.Figure)


def test_stage_demo_and_explorer_at_the_first_and_last_stage(monkeypatch):
    from nnkit.spectral.multistage import MultiStageNN

    x = np.linspace(-1, 1, 65)[:, None]
    y = np.sin(2 * x) + 0.1 * np.cos(9 * x)
    model = MultiStageNN(widths=(6, 6, 6), n_iter=20, lbfgs_iter=20).fit(x, y)
    for stage in (0, 2):
        assert isinstance(spectral.stage_demo(model, x, y, stage), plt.Figure)
    with pytest.raises(ValueError, match=r"stage must be in \[0, 2\]"):
        spectral.stage_demo(model, x, y, 3)
    monkeypatch.setattr(plt, "show", lambda: None)
    explorer = spectral.stage_explorer(model, x, y)
    explorer.children[0].value = 2
    assert isinstance(explorer.result, plt.Figure)


@pytest.mark.parametrize("scale,shift", [(-1.5, -1.0), (0.0, 0.0), (1.5, 1.0)])
def test_coupling_grid_demo_inverts_at_the_slider_extremes(scale, shift):
    fig, worst = inference.coupling_grid_demo(scale, shift)
    assert isinstance(fig, plt.Figure) and worst < 1e-12


def test_coupling_grid_explorer_redraws(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda: None)
    explorer = inference.coupling_grid_explorer()
    explorer.children[0].value = -1.0
    assert isinstance(explorer.result, plt.Figure)
