"""Surrogates with reduced outputs: PCA of the standardised outputs, then a network (BNN or MLP) on the leading
principal-component scores. Many outputs (years x variables, or a map) are strongly correlated, so a few scores
carry them, and the network's output layer shrinks accordingly."""
from __future__ import annotations

import numpy as np

from ..core.scaling import Standardizer
from ..core.validation import as_float_array
from .baseline import MLPRegressor
from .bnn import SVGDRegressor
from .regression import Prediction


class PCA:
    """Principal components of y (n, k) after standardisation. n_components: an int, or a fraction in (0, 1) of
    the variance to keep (the smallest number of components that reaches it)."""

    def __init__(self, n_components=0.99):
        if isinstance(n_components, float) and 0 < n_components < 1:
            self.n_components = n_components
        elif isinstance(n_components, (int, np.integer)) and not isinstance(n_components, bool) and n_components > 0:
            self.n_components = int(n_components)
        else:
            raise ValueError(f"n_components must be a positive int or a variance fraction in (0, 1); "
                             f"got {n_components!r}")

    def fit(self, y):
        y = as_float_array(y, "y", ndim=2)
        self.scale = Standardizer(y)
        _, sing, vt = np.linalg.svd(self.scale(y), full_matrices=False)
        ratio = sing**2 / np.sum(sing**2)
        if isinstance(self.n_components, float):
            r = int(np.searchsorted(np.cumsum(ratio), self.n_components) + 1)
        elif self.n_components > vt.shape[0]:
            raise ValueError(f"n_components = {self.n_components} exceeds the {vt.shape[0]} available")
        else:
            r = self.n_components
        self.components = vt[:r]  # (r, k)
        self.explained_variance_ratio = ratio[:r]
        z = self.transform(y)
        self.truncation_variance = ((self.scale(y) - z @ self.components) ** 2).mean(axis=0)  # (k,) std. units
        return self

    def transform(self, y):
        """Scores (n, r) of outputs y (n, k)."""
        return self.scale(np.asarray(y, dtype=float)) @ self.components.T

    def inverse_transform(self, z):
        """Outputs (n, k) from scores z (n, r)."""
        return self.scale.inverse(np.asarray(z) @ self.components)

    def variance_to_outputs(self, z_variance):
        """Variances (n, k) in output units of independent score variances z_variance (n, r)."""
        return (np.asarray(z_variance) @ self.components**2) * self.scale.std**2


class PCASurrogate:
    """``regressor`` (an unfitted ``SVGDRegressor`` or ``MLPRegressor``) fitted to the PCA scores of y.

    predict(x) returns a ``Prediction`` for a BNN (variances mapped through the components, treating scores as
    independent; the variance the dropped components leave unexplained is added to the aleatoric part) and the
    mean (n, k) for an MLP.
    """

    def __init__(self, regressor, n_components=0.99):
        if not isinstance(regressor, (SVGDRegressor, MLPRegressor)):
            raise TypeError(f"regressor must be an SVGDRegressor or MLPRegressor; got {type(regressor).__name__}")
        self.regressor, self.pca = regressor, PCA(n_components)

    def fit(self, x, y):
        y = as_float_array(y, "y", ndim=2)
        self.n_outputs = y.shape[1]
        self.regressor.fit(x, self.pca.fit(y).transform(y))
        return self

    def predict(self, x):
        out = self.regressor.predict(x)
        if isinstance(out, np.ndarray):
            return self.pca.inverse_transform(out)
        truncation = self.pca.truncation_variance * self.pca.scale.std**2
        aleatoric = self.pca.variance_to_outputs(out.aleatoric) + truncation
        epistemic = self.pca.variance_to_outputs(out.epistemic)
        return Prediction(self.pca.inverse_transform(out.mean), aleatoric + epistemic, aleatoric, epistemic)

    @property
    def n_components(self):
        return self.pca.components.shape[0]

    def parameter_savings(self):
        """Network parameters with all outputs vs with the PCA scores: dict(full, reduced, saved)."""
        reg = self.regressor
        reduced = reg.n_network_parameters
        full = reduced + (self.n_outputs - self.n_components) * (reg.hidden + 1)
        return {"full": full, "reduced": reduced, "saved": full - reduced}
