import matplotlib.pyplot as plt
import numpy as np
import pytest

from nnkit.problems import landmodel as lm
from nnkit.teach.widgets import inference as widgets


@pytest.fixture(scope="module")
def ensemble():
    return lm.load_ensemble()


@pytest.mark.parametrize("n_train,particles,hidden,member", [(10, 5, 5, 0), (900, 100, 200, 99)])
def test_bnn_surrogate_demo_over_the_control_range(ensemble, n_train, particles, hidden, member):
    fig, r2 = widgets.bnn_surrogate_demo(ensemble, n_train, particles, hidden, n_iter=5, member=member)
    assert isinstance(fig, plt.Figure) and np.isfinite(r2)


def test_bnn_explorer_trains_on_request(ensemble, monkeypatch):
    monkeypatch.setattr(plt, "show", lambda: None)
    explorer = widgets.bnn_surrogate_explorer(ensemble)
    assert explorer.result is None
    values = {"training runs": 10, "particles": 5, "hidden": 5}
    for child in explorer.children:
        if getattr(child, "description", "") in values:
            child.value = values[child.description]
    explorer.update()
    assert isinstance(explorer.result, plt.Figure)
