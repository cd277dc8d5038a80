import matplotlib.pyplot as plt
import numpy as np
import pytest

from nnkit.inference.posteriors import MCMCSampler
from nnkit.problems.square_toy import SquareToy
from nnkit.teach.widgets import inference as widgets


class Uniform:
    def sample(self, y_obs, n=1000, seed=0):
        return np.random.default_rng(seed).random((n, 3))


@pytest.mark.parametrize("y_obs", [-0.2, 1.0, 4.0])
def test_toy_posterior_demo_over_the_slider_range(y_obs):
    toy = SquareToy()
    samplers = {"exact, other draws": toy, "MCMC": MCMCSampler(toy, n_chains=16, n_steps=400)}
    fig, w1 = widgets.toy_posterior_demo(samplers, y_obs, n=3000, seed=1)
    assert isinstance(fig, plt.Figure)
    assert w1["exact, other draws"] < 0.05 and w1["MCMC"] < 0.3
    assert len(fig.axes[0].get_legend().get_texts()) == 3    # the exact density and both samplers


def test_toy_explorer_updates(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda: None)
    monkeypatch.setattr(widgets, "toy_posterior_demo", lambda samplers, y_obs: (plt.figure(), {}))
    explorer = widgets.toy_posterior_explorer({"exact": SquareToy()})
    explorer.children[0].value = 2.0
    explorer.update()
    assert isinstance(explorer.result, plt.Figure)


def test_calibration_demo_and_explorer(monkeypatch):
    fig, draws = widgets.calibration_demo({"a": Uniform(), "b": Uniform()}, [1.0, 2.0], truth=[0.5] * 3,
                                          names=["p", "q", "r"])
    assert isinstance(fig, plt.Figure) and draws["a"].shape == (4000, 3)
    monkeypatch.setattr(plt, "show", lambda: None)
    asked = []

    class Recording(Uniform):
        def sample(self, y_obs, n=1000, seed=0):
            asked.append(np.array(y_obs))
            return super().sample(y_obs, n, seed)

    explorer = widgets.calibration_slider_explorer({"a": Recording()}, [1.0, 2.0], [(0.0, 3.0), (1.0, 5.0)],
                                                   ["p", "q", "r"], ["y 1", "y 2"])
    explorer.children[1].value = 4.5             # the second output's slider, at its upper end
    explorer.update()
    assert isinstance(explorer.result, plt.Figure)
    np.testing.assert_allclose(asked[-1], [1.0, 4.5])
    with pytest.raises(ValueError, match="one entry per output"):
        widgets.calibration_slider_explorer({"a": Uniform()}, [1.0], [(0.0, 1.0)] * 2, ["p"], ["y"])


def test_metropolis_demo_at_the_step_slider_ends():
    """A tiny step accepts nearly everything and mixes worst; a step near the target's scale mixes best."""
    explorer_steps = {}
    for log10_step in (-2.0, 0.4, 1.5):          # the slider's ends and a step near the banana's scale
        fig, stats = widgets.metropolis_demo(10**log10_step, "banana", n_steps=2000)
        assert isinstance(fig, plt.Figure) and len(fig.axes) == 3
        explorer_steps[log10_step] = stats
        plt.close(fig)
    tiny, good, huge = (explorer_steps[k] for k in (-2.0, 0.4, 1.5))
    assert tiny["acceptance"] > 0.9 and huge["acceptance"] < 0.05 and 0.1 < good["acceptance"] < 0.5
    assert good["ess"] > 10 * tiny["ess"] and good["ess"] > 3 * huge["ess"] and good["rhat"] < 1.05


def test_metropolis_explorer_passes_the_slider_on(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda: None)
    asked = []
    monkeypatch.setattr(widgets, "metropolis_demo", lambda step, target: (asked.append((step, target)), plt.figure()))
    explorer = widgets.metropolis_explorer()
    explorer.children[0].value, explorer.children[1].value = "mixture", 1.0
    explorer.update()
    assert asked[-1] == (10.0, "mixture")
