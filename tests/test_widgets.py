"""Widget logic is tested by calling it directly: ipywidgets swallows exceptions raised inside callbacks."""
import matplotlib.pyplot as plt
import numpy as np
import pytest

from nnkit.basics import gd
from nnkit.problems.toys import TARGETS_1D, make_linear_data
from nnkit.teach.widgets import basics as widgets


@pytest.fixture
def line():
    return make_linear_data(n=40, seed=0)


def test_learning_rate_demo_over_the_slider_range(line):
    x, y = line
    explorer = widgets.learning_rate_explorer(x, y)
    lr_slider, steps_slider = explorer.children[:2]
    critical = gd.critical_learning_rate(x)
    for lr in (10**lr_slider.min, 0.5 * critical, 10**lr_slider.max):
        for steps in (steps_slider.min, steps_slider.max):
            fig, traj = widgets.learning_rate_demo(x, y, lr, steps)
            assert isinstance(fig, plt.Figure)
            assert traj.diverged == (lr > critical)
            plt.close(fig)


def test_learning_rate_explorer_redraws_when_a_slider_moves(line, monkeypatch):
    monkeypatch.setattr(plt, "show", lambda: None)
    explorer = widgets.learning_rate_explorer(*line)
    first = explorer.result
    assert isinstance(first, plt.Figure)
    explorer.children[1].value = 5
    assert isinstance(explorer.result, plt.Figure) and explorer.result is not first


@pytest.mark.parametrize("target", sorted(TARGETS_1D))
def test_mlp_fit_demo_learns_every_target(target):
    fig, model = widgets.mlp_fit_demo(target, width=16, depth=2, n_epochs=150)
    assert isinstance(fig, plt.Figure)
    assert model.history["train_loss"][-1] < model.history["train_loss"][0]


def test_mlp_fit_demo_extreme_settings():
    fig, model = widgets.mlp_fit_demo("step", width=1, depth=5, activation="relu", n_epochs=10)
    assert model.layer_sizes == (1, 1, 1, 1, 1, 1, 1)
    assert np.all(np.isfinite(model.history["train_loss"]))


def test_mlp_fit_demo_rejects_unknown_target():
    with pytest.raises(ValueError, match="target must be one of"):
        widgets.mlp_fit_demo("square wave")


def test_mlp_fit_explorer_trains_on_request(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda: None)
    explorer = widgets.mlp_fit_explorer()
    assert explorer.result is None  # manual: nothing trains until the button is pressed
    controls = {child.description: child for child in explorer.children if hasattr(child, "description")}
    controls["epochs"].value = 20
    explorer.update()  # what pressing "Train" does
    assert isinstance(explorer.result, plt.Figure)
