import matplotlib.pyplot as plt
import numpy as np
import pytest

from nnkit import widgets
from nnkit.calibration import sample_grid_density, square_toy_posterior


class ExactToy:
    """An 'amortised sampler' that draws the exact toy posterior."""

    def sample(self, y_obs, n=1000, seed=0):
        grid, density = square_toy_posterior(y_obs)
        return sample_grid_density(grid, density, n, seed=seed + 1)


class Uniform:
    def sample(self, y_obs, n=1000, seed=0):
        return np.random.default_rng(seed).random((n, 3))


@pytest.mark.parametrize("y_obs", [-0.2, 1.0, 4.0])
def test_toy_posterior_demo_over_the_slider_range(y_obs):
    fig, w1 = widgets.toy_posterior_demo({"exact sampler": ExactToy()}, y_obs, mcmc_steps=200)
    assert isinstance(fig, plt.Figure)
    assert w1["exact sampler"] < 0.03
    assert len(w1) == 2 and all(np.isfinite(v) for v in w1.values())


def test_toy_explorer_updates(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda: None)
    monkeypatch.setattr(widgets, "toy_posterior_demo", lambda samplers, y_obs: (plt.figure(), {}))
    explorer = widgets.toy_posterior_explorer({"exact": ExactToy()})
    explorer.children[0].value = 2.0
    explorer.update()
    assert isinstance(explorer.result, plt.Figure)


def test_calibration_demo_and_explorer(monkeypatch):
    fig, draws = widgets.calibration_demo({"a": Uniform(), "b": Uniform()}, [1.0, 2.0], truth=[0.5] * 3,
                                          names=["p", "q", "r"])
    assert isinstance(fig, plt.Figure) and draws["a"].shape == (4000, 3)
    monkeypatch.setattr(plt, "show", lambda: None)
    explorer = widgets.calibration_explorer({"a": Uniform()}, {"one": [1.0], "two": [2.0]}, {"one": [0.5] * 3},
                                            ["p", "q", "r"])
    explorer.children[0].value = "two"
    explorer.update()
    assert isinstance(explorer.result, plt.Figure)
