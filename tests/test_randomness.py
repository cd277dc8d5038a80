"""Library code leaves the global random state alone: a notebook's later draws do not depend on which fits ran
before them, and each fit's numbers depend on its own seed only."""
import numpy as np
import pytest
import torch

from nnkit.inference.baseline import MLPRegressor
from nnkit.inference.bnn import SVGDRegressor
from nnkit.inference.dbuq import DBUQ
from nnkit.inference.flows import INNCalibrator
from nnkit.inference.metrics import c2st
from nnkit.inference.posteriors import MCMCSampler, SVGDSampler
from nnkit.problems import seaice
from nnkit.problems.square_toy import SquareToy
from nnkit.spectral.bias import track_spectral_bias
from nnkit.spectral.fourier import encoded_mlp, fit_curve
from nnkit.spectral.multistage import MultiStageNN

X = np.random.default_rng(0).random((40, 2))
Y = np.c_[X.sum(axis=1), X[:, 0] * X[:, 1]]
GRID = np.linspace(-1, 1, 32)[:, None]
TOY = SquareToy()
SMALL_RUN = seaice.simulate(n_years=1, n=16, seed=0)

LIBRARY_CALLS = {
    "INNCalibrator()": lambda: INNCalibrator(2, 2, hidden=4, n_blocks=1),
    "INNCalibrator.fit": lambda: INNCalibrator(2, 2, hidden=4, n_blocks=1, n_iter=2).fit(X, Y),
    "MLPRegressor.fit": lambda: MLPRegressor(hidden=4, n_iter=3, val_fraction=0.2).fit(X, Y),
    "SVGDRegressor.fit": lambda: SVGDRegressor(hidden=4, n_particles=3, n_iter=3).fit(X, Y),
    "DBUQ.fit": lambda: DBUQ(n_labels=20, n_neighbours=8, ode_steps=2, hidden=4, n_iter=3).fit(X, Y),
    "MultiStageNN.fit": lambda: MultiStageNN(widths=(4, 4), n_iter=2, lbfgs_iter=2).fit(GRID, np.sin(3 * GRID)),
    "SeaIceSurrogate.fit": lambda: seaice.SeaIceSurrogate(width=2, n_epochs=1).fit(SMALL_RUN, np.arange(1, 5)),
    "encoded_mlp": lambda: (encoded_mlp(1, 1, "fourier", n_features=4, width=4), encoded_mlp(1, 1, "sine", width=4)),
    "fit_curve": lambda: fit_curve(GRID[:, 0], GRID[:, 0] ** 2, "sine", 2.0, width=4, n_iter=2),
    "track_spectral_bias": lambda: track_spectral_bias([1, 2], n_points=16, width=4, n_iter=2),
    "c2st": lambda: c2st(X[:20], X[20:], n_folds=2, max_epochs=2),
    "MCMCSampler.sample": lambda: MCMCSampler(TOY, n_chains=4, n_steps=20).sample([1.0], 10),
    "SVGDSampler.sample": lambda: SVGDSampler(TOY, n_iter=2).sample([1.0], 10),
}


@pytest.mark.parametrize("name", sorted(LIBRARY_CALLS))
def test_library_calls_leave_the_global_random_state_alone(name):
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()
    LIBRARY_CALLS[name]()
    assert torch.equal(torch.get_rng_state(), torch_state), f"{name} moved torch's global random state"
    after = np.random.get_state()
    assert after[0] == numpy_state[0] and np.array_equal(after[1], numpy_state[1]) and after[2:] == numpy_state[2:]


def test_a_fit_does_not_depend_on_the_global_state_before_it():
    def fitted_prediction():
        return MLPRegressor(hidden=4, n_iter=5, seed=3).fit(X, Y).predict(X[:3])

    first = fitted_prediction()
    torch.rand(1000)   # a notebook drawing numbers between two fits
    np.testing.assert_array_equal(fitted_prediction(), first)
