import numpy as np
import pytest

from nnkit.inference.baseline import MLPRegressor
from nnkit.inference.bnn import SVGDRegressor
from nnkit.inference.metrics import r2_score
from nnkit.inference.surrogate import PCA, PCASurrogate


def correlated_outputs(n=300, k=12, seed=0):
    """k outputs driven by 2 latent functions of 3 inputs (the same mixing for every seed), plus a little noise."""
    mixing = np.random.default_rng(100).normal(size=(2, k))
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 3))
    latent = np.stack([np.sin(2 * x[:, 0]) + x[:, 1], x[:, 1] * x[:, 2]], axis=1)
    y = latent @ mixing + 5 + 0.01 * rng.standard_normal((n, k))
    return x, y


def test_pca_keeps_the_requested_variance_and_reconstructs():
    _, y = correlated_outputs()
    pca = PCA(0.99).fit(y)
    assert pca.components.shape == (2, 12)
    assert pca.explained_variance_ratio.sum() >= 0.99
    np.testing.assert_allclose(pca.inverse_transform(pca.transform(y)), y, atol=0.05)
    full = PCA(12).fit(y)
    np.testing.assert_allclose(full.inverse_transform(full.transform(y)), y, rtol=1e-10)
    np.testing.assert_allclose(full.truncation_variance, 0.0, atol=1e-20)
    np.testing.assert_allclose(full.components @ full.components.T, np.eye(12), atol=1e-12)


def test_surrogate_predicts_all_outputs_and_counts_saved_parameters():
    x, y = correlated_outputs()
    sur = PCASurrogate(SVGDRegressor(hidden=20, n_particles=8, n_iter=600, lr=3e-3), 0.99).fit(x, y)
    x_test, y_test = correlated_outputs(100, seed=1)
    pred = sur.predict(x_test)
    assert pred.mean.shape == pred.variance.shape == (100, 12)
    assert np.all(r2_score(y_test, pred.mean) > 0.9)
    np.testing.assert_allclose(pred.variance, pred.aleatoric + pred.epistemic)
    assert sur.parameter_savings() == {"full": 20 * 4 + 12 * 21, "reduced": 20 * 4 + 2 * 21, "saved": 10 * 21}
    mlp = PCASurrogate(MLPRegressor(hidden=20, n_iter=500), 2).fit(x, y)
    assert mlp.predict(x_test).shape == (100, 12)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="n_components"):
        PCA(1.5)
    with pytest.raises(ValueError, match="n_components"):
        PCA(0)
    with pytest.raises(ValueError, match="exceeds"):
        PCA(20).fit(correlated_outputs()[1])
    with pytest.raises(TypeError, match="regressor"):
        PCASurrogate(object())
