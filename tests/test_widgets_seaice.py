import matplotlib.pyplot as plt
import numpy as np
import pytest

from nnkit.teach.widgets import seaice as widgets


def rollout():
    mask = np.ones((8, 8), dtype=bool)
    mask[:, :2] = False
    truth = np.random.default_rng(0).uniform(0, 2, size=(5, 8, 8)) * mask
    return truth, {"surrogate": truth + 0.1, "persistence": np.repeat(truth[:1], 5, axis=0)}, mask


@pytest.mark.parametrize("lead", [1, 5])
def test_rollout_demo_shows_truth_forecasts_and_errors(lead):
    truth, forecasts, mask = rollout()
    fig = widgets.seaice_rollout_demo(truth, forecasts, mask, lead)
    titles = [ax.get_title() for ax in fig.axes]
    assert "truth" in titles and "surrogate - truth (RMSE 0.10 m)" in titles
    assert fig.get_suptitle() == f"lead {lead / 2:g} days"
    with pytest.raises(ValueError, match="lead must be in 1..5"):
        widgets.seaice_rollout_demo(truth, forecasts, mask, 6)


def test_rollout_explorer_updates(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda: None)
    truth, forecasts, mask = rollout()
    explorer = widgets.seaice_rollout_explorer(truth, forecasts, mask)
    explorer.children[0].value = 4
    explorer.update()
    assert isinstance(explorer.result, plt.Figure)
    assert explorer.result.get_suptitle() == "lead 2 days"
