"""The shipped data/elm_moflux files are exactly what the documented commands make; the CLI never overwrites
without --force."""
import subprocess
import sys

import numpy as np
import pytest

from nnkit.problems import landmodel as lm
from nnkit.problems.landmodel.__main__ import main

RTOL = 1e-6  # files hold 7 significant digits


@pytest.mark.slow
def test_shipped_ensemble_regenerates(tmp_path):
    assert main(["ensemble", "--n", "1000", "--seed", "0", "--out", str(tmp_path / "ensemble.csv")]) == 0
    fresh, shipped = lm.load_ensemble(tmp_path / "ensemble.csv"), lm.load_ensemble()
    assert shipped.parameters.shape == (1000, 8) and shipped.outputs.shape == (1000, 15)
    np.testing.assert_allclose(fresh.parameters, shipped.parameters, rtol=RTOL)
    np.testing.assert_allclose(fresh.outputs, shipped.outputs, rtol=RTOL, atol=1e-12)


@pytest.mark.slow
def test_shipped_observations_regenerate(tmp_path):
    assert main(["observations", "--out", str(tmp_path)]) == 0
    fresh, shipped = lm.load_observations(tmp_path), lm.load_observations()
    assert set(shipped.values) == {"synthetic_1", "synthetic_2", "out_of_model"}
    for case in shipped.values:
        np.testing.assert_allclose(fresh.values[case], shipped.values[case], rtol=RTOL)
        np.testing.assert_allclose(fresh.true_parameters[case], shipped.true_parameters[case], rtol=RTOL)
    np.testing.assert_array_equal(shipped.noise_sd, lm.noise_sd())


@pytest.mark.slow
def test_synthetic_observations_are_the_model_plus_noise_of_the_stated_size():
    obs = lm.load_observations()
    for case in ("synthetic_1", "synthetic_2"):
        truth = lm.simulate(obs.true_parameters[case])[0]
        z = (obs.values[case] - truth) / obs.noise_sd
        assert np.all(np.abs(z) < 4) and 0.3 < np.std(z) < 2.0
    model_error = obs.values["out_of_model"] - lm.simulate(obs.true_parameters["out_of_model"])[0]
    chi2 = np.sum((model_error / obs.noise_sd) ** 2)
    assert chi2 > 37.7  # the 99.9 % point of chi2 with 15 degrees of freedom: not explainable by noise alone


@pytest.mark.slow
def test_cli_refuses_to_overwrite_without_force(tmp_path, capsys):
    out = tmp_path / "mine.csv"
    out.write_text("my own work\n")
    assert main(["ensemble", "--n", "3", "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert out.read_text() == "my own work\n"
    assert main(["ensemble", "--n", "3", "--out", str(out), "--force"]) == 0
    assert lm.load_ensemble(out).outputs.shape == (3, 15)


def test_cli_runs_as_a_module_and_rejects_bad_n(tmp_path):
    run = subprocess.run([sys.executable, "-m", "nnkit.problems.landmodel", "ensemble", "--n", "0", "--out",
                          str(tmp_path / "x.csv")], capture_output=True, text=True)
    assert run.returncode == 2 and "--n must be a positive integer" in run.stderr
    assert not (tmp_path / "x.csv").exists()


def test_load_ensemble_refuses_a_foreign_csv(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="columns"):
        lm.load_ensemble(path)
