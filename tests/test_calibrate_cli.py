"""``nnkit calibrate``: its outputs, its reproducibility, and a clear error with nothing written for bad input."""
import csv
import gzip
import json
import pickle
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nnkit.problems import landmodel as lm
from nnkit.workflow.examples import write_example
from nnkit.workflow.cli import main

PARAMS = list(lm.PARAMETER_NAMES)
LH = list(lm.CALIBRATED_OUTPUTS)


@pytest.fixture(scope="module")
def example_inputs(tmp_path_factory):
    """The example's spec and observations, and the first 300 members of the shipped ensemble."""
    directory = tmp_path_factory.mktemp("inputs")
    ensemble, spec, observations = write_example("moflux", directory)
    small = directory / "ensemble.csv"
    with open(ensemble) as source, open(small, "w") as target:
        target.writelines(line for _, line in zip(range(301), source))
    return {"ensemble": small, "spec": spec, "observations": observations}


def run(inputs, out, *extra):
    args = ["calibrate", "--ensemble", str(inputs["ensemble"]), "--spec", str(inputs["spec"]),
            "--observations", str(inputs["observations"]), "--out", str(out), "--quiet"]
    return main(args + [str(e) for e in extra])


def read_rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


SETTINGS = ("--method", "dbuq", "--iterations", "300", "--draws", "200", "--validate", "20", "--chunk", "6")
QUICK = (*SETTINGS, "--workers", "0")     # in this process; 5 chunks: 3 observations, 20 held-out members


@pytest.fixture(scope="module")
def quick_run(example_inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "results"
    assert run(example_inputs, out, *QUICK) == 0
    return out


def test_a_run_writes_draws_summary_plots_validation_settings_and_a_report(quick_run):
    files = {p.name for p in quick_run.iterdir()}
    assert {"draws.csv", "summary.csv", "validation.csv", "validation.png", "run.json", "report.html"} <= files
    assert {f"corner_{case}.png" for case in ("synthetic_1", "synthetic_2", "out_of_model")} <= files
    draws = read_rows(quick_run / "draws.csv")
    assert len(draws) == 3 * 200 and list(draws[0]) == ["id", "draw", *PARAMS]
    theta = np.array([[float(row[p]) for p in PARAMS] for row in draws])
    assert np.all((theta >= lm.LOWER) & (theta <= lm.UPPER))          # inside the prior box
    summary = read_rows(quick_run / "summary.csv")
    assert len(summary) == 3 * len(PARAMS)
    ratio = {row["parameter"]: float(row["sd_over_prior_sd"]) for row in summary if row["id"] == "synthetic_1"}
    assert all(0 < r < 1.3 for r in ratio.values()) and min(ratio.values()) < 0.8   # LH informs some parameters
    settings = json.loads((quick_run / "run.json").read_text())
    assert settings["method"] == "dbuq" and settings["seed"] == 0 and settings["held_out_for_validation"] == 20
    assert settings["versions"]["torch"] and len(settings["inputs"]) == 3
    page = (quick_run / "report.html").read_text()
    resume_state = {"chunks", "plan.json", "sampler.pkl"}          # kept for --resume, not results to link
    assert resume_state <= files
    assert all(f'href="{name}"' in page for name in files - {"report.html"} - resume_state)
    validation = read_rows(quick_run / "validation.csv")
    assert [row["parameter"] for row in validation] == PARAMS
    assert all(0 <= float(row["coverage_95"]) <= 1 for row in validation)


def test_an_earlier_run_is_kept_unless_forced_and_a_rerun_repeats_it(example_inputs, quick_run, tmp_path, capsys):
    out = tmp_path / "copy"
    shutil.copytree(quick_run, out)
    (out / "draws.csv").write_text("an earlier run's file\n")
    stale = out / "chunks" / "observations" / "chunk_00000.npz"
    stale.write_bytes(b"an earlier run's chunk")
    assert run(example_inputs, out, *QUICK) == 2
    assert "--force" in capsys.readouterr().err
    assert (out / "draws.csv").read_text() == "an earlier run's file\n"
    assert run(example_inputs, out, *QUICK, "--force") == 0                 # overwritten, with the same draws:
    assert (out / "draws.csv").read_bytes() == (quick_run / "draws.csv").read_bytes()   # seeded, reproducible
    assert stale.read_bytes() != b"an earlier run's chunk"                 # computed again, not reused


def test_a_killed_run_resumes_on_two_dask_workers_with_the_same_sampler_and_numbers(example_inputs, quick_run,
                                                                                     tmp_path, capsys):
    out = tmp_path / "copy"
    shutil.copytree(quick_run, out)
    trained = (out / "sampler.pkl").stat().st_mtime_ns
    for lost in ["draws.csv", "validation.csv", "report.html", "chunks/observations/chunk_00000.npz",
                 "chunks/validation/chunk_00001.npz", "chunks/validation/chunk_00003.npz"]:
        (out / lost).unlink()
    assert run(example_inputs, out, *SETTINGS, "--draws", "100", "--resume") == 2      # other settings: refused
    assert "draws: 200 then, 100 now" in capsys.readouterr().err
    assert run(example_inputs, out, *SETTINGS, "--resume", "--workers", "2") == 0
    assert (out / "sampler.pkl").stat().st_mtime_ns == trained                       # not trained again
    for name in ("draws.csv", "validation.csv", "summary.csv"):
        assert (out / name).read_bytes() == (quick_run / name).read_bytes()
    settings = json.loads((out / "run.json").read_text())
    assert settings["resumed"] and settings["workers"] == 2


def edited(inputs, tmp_path, which, edit):
    """A copy of the inputs with one file's text changed by edit(text) -> text."""
    changed = dict(inputs)
    changed[which] = tmp_path / inputs[which].name
    changed[which].write_text(edit(inputs[which].read_text()))
    return changed


def replace_field(text, line, column, value):
    """text with the field of the CSV's given line (1 = header) and column name replaced."""
    rows = [row.split(",") for row in text.splitlines()]
    rows[line - 1][rows[0].index(column)] = value
    return "\n".join(",".join(row) for row in rows) + "\n"


BAD_INPUTS = {
    "a column missing from the ensemble": (
        "ensemble", lambda t: t.replace("LH_2008", "LH_2O08", 1), ["ensemble.csv", "'LH_2008'"]),
    "a spec naming a parameter the ensemble lacks": (
        "spec", lambda t: t.replace("flnr = ", "fnlr = "), ["ensemble.csv", "'fnlr'"]),
    "bounds with lower >= upper": (
        "spec", lambda t: t.replace("slatop = [0.01, 0.05]", "slatop = [0.05, 0.01]"), ["spec.toml", "'slatop'"]),
    "an ensemble parameter outside its bounds": (
        "ensemble", lambda t: replace_field(t, 7, "frootcn", "70.0"), ["ensemble.csv", "'frootcn'", "line 7"]),
    "a value that is not a number": (
        "ensemble", lambda t: replace_field(t, 4, "LH_2009", "n/a"), ["ensemble.csv", "'LH_2009'", "line 4"]),
    "NaN in an observation": (
        "observations", lambda t: replace_field(t, 3, "LH_2007", "nan"), ["observations.csv", "'LH_2007'", "line 3"]),
    "a comment line above the header (lines still counted)": (
        "observations", lambda t: "# LH in W/m2\n" + replace_field(t, 3, "LH_2010", ""),
        ["observations.csv", "'LH_2010'", "line 4"]),
    "an observation with the wrong number of values": (
        "observations", lambda t: t.replace("synthetic_2,", "synthetic_2,12.5,", 1), ["observations.csv", "line 3"]),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_named_and_nothing_is_written(case, example_inputs, tmp_path, capsys):
    which, edit, expected = BAD_INPUTS[case]
    out = tmp_path / "results"
    assert run(edited(example_inputs, tmp_path, which, edit), out, *QUICK) == 2
    message = capsys.readouterr().err
    assert all(part in message for part in expected), message
    assert "Traceback" not in message and not out.exists()


def test_options_are_checked_before_anything_is_written(example_inputs, tmp_path, capsys):
    assert run(example_inputs, tmp_path / "a", "--draws", "0") == 2
    assert run(example_inputs, tmp_path / "a", "--device", "tpu") == 2
    assert main(["calibrate", "--example", "moflux", "--spec", "x.toml", "--out", str(tmp_path / "b")]) == 2
    assert main(["calibrate", "--ensemble", "e.csv", "--out", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert all(part in err for part in ("--draws", "--device 'tpu'", "--example brings its own inputs",
                                        "--observations"))
    assert not any((tmp_path / name).exists() for name in "abc")


def test_netcdf_output_without_its_libraries_is_refused_before_anything_is_written(example_inputs, tmp_path,
                                                                                    monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "h5netcdf", None)          # as if the netcdf extra were not installed
    assert run(example_inputs, tmp_path / "a", "--format", "netcdf") == 2
    assert "pip install 'nnkit[netcdf]'" in capsys.readouterr().err and not (tmp_path / "a").exists()


def test_the_console_script_is_installed():
    """pyproject declares it; the install puts it beside the interpreter."""
    script = Path(sys.executable).with_name("nnkit")
    done = subprocess.run([str(script), "calibrate", "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "--example" in done.stdout


def test_a_noise_covariance_is_read_and_whitens_like_the_sds(example_inputs, tmp_path):
    from nnkit.workflow.inputs import InputError, load_spec
    from nnkit.workflow.methods import whitener

    by_sd = load_spec(example_inputs["spec"])
    text = example_inputs["spec"].read_text().split("[outputs]")[0]
    names = ", ".join(f'"{name}"' for name in LH)
    rows = ", ".join("[" + ", ".join("2.25" if i == j else "0.0" for j in range(5)) + "]" for i in range(5))
    path = tmp_path / "cov.toml"
    path.write_text(text.replace("[parameters]", f"outputs = [{names}]\nnoise_covariance = [{rows}]\n[parameters]"))
    by_cov = load_spec(path)
    assert by_cov.outputs == by_sd.outputs
    np.testing.assert_allclose(whitener(by_cov.noise_covariance), np.eye(5) / 1.5)
    np.testing.assert_allclose(by_cov.noise_sd, by_sd.noise_sd)
    path.write_text(path.read_text().replace("[2.25, 0.0,", "[2.25, 5.0,", 1))
    with pytest.raises(InputError, match="symmetric and positive definite"):
        load_spec(path)


def test_netcdf_tables_read_like_csv(example_inputs, tmp_path):
    xarray = pytest.importorskip("xarray")
    from nnkit.workflow.inputs import load_table

    csv_table = load_table(example_inputs["observations"], LH, "observations")
    data = xarray.Dataset({name: ("id", csv_table.values[:, i]) for i, name in enumerate(LH)},
                          coords={"id": list(csv_table.ids)})
    data.to_netcdf(tmp_path / "observations.nc", engine="h5netcdf")
    nc_table = load_table(tmp_path / "observations.nc", LH, "observations")
    np.testing.assert_array_equal(nc_table.values, csv_table.values)
    assert nc_table.ids == csv_table.ids


def test_draws_can_be_written_as_netcdf_with_the_same_numbers(example_inputs, quick_run, tmp_path):
    xarray = pytest.importorskip("xarray")
    out = tmp_path / "nc"
    assert run(example_inputs, out, *QUICK, "--format", "netcdf") == 0        # the same training set
    assert not (out / "draws.csv").exists() and 'href="draws.nc"' in (out / "report.html").read_text()
    rows = read_rows(quick_run / "draws.csv")
    with xarray.open_dataset(out / "draws.nc", engine="h5netcdf") as data:
        assert list(data.data_vars) == PARAMS and data["slatop"].dims == ("observation", "draw")
        assert list(data["observation"].values) == ["synthetic_1", "synthetic_2", "out_of_model"]
        assert data["flnr"].attrs["prior_lower"] == lm.LOWER[PARAMS.index("flnr")]
        assert data.attrs["method"] == "dbuq" and data.attrs["command"].startswith("nnkit calibrate")
        from_csv = np.array([[float(row[p]) for p in PARAMS] for row in rows]).reshape(3, 200, len(PARAMS))
        from_nc = np.stack([data[p].values for p in PARAMS], axis=-1)
    np.testing.assert_allclose(from_nc, from_csv, rtol=1e-6)      # the CSV keeps 7 significant digits


def test_the_example_runs_and_scores_itself_against_the_exact_posterior(tmp_path):
    out = tmp_path / "example"
    assert main(["calibrate", "--example", "moflux", "--out", str(out), "--quiet", *QUICK, "--validate", "0"]) == 0
    assert {"spec.toml", "observations.csv"} == {p.name for p in (out / "inputs").iterdir()}
    scores = {row["id"]: float(row["c2st_vs_exact"]) for row in read_rows(out / "exact.csv")}
    assert set(scores) == {"synthetic_1", "synthetic_2", "out_of_model"}
    assert all(0.45 < value < 0.9 for value in scores.values()), scores   # a broken sampler scores near 1
    assert "Against the exact posterior" in (out / "report.html").read_text()
    predictive = read_rows(out / "predictive.csv")
    assert len(predictive) == 3 * len(lm.OUTPUT_NAMES) and (out / "predictive.png").is_file()
    lh = [row for row in predictive if row["id"] == "synthetic_1" and row["output"] in LH]
    assert all(float(r["q2.5"]) - 3 < float(r["observed"]) < float(r["q97.5"]) + 3 for r in lh)   # W/m2


def test_the_reference_method_runs_the_simulator_and_agrees_with_the_shipped_exact_posterior(tmp_path, capsys):
    out = tmp_path / "reference"
    args = ["calibrate", "--example", "moflux", "--method", "reference", "--quiet", "--draws", "300",
            "--validate", "0"]
    assert main(args + ["--iterations", "4000", "--out", str(out)]) == 0      # 4000 land-model runs
    scores = {row["id"]: float(row["c2st_vs_exact"]) for row in read_rows(out / "exact.csv")}
    assert scores["synthetic_1"] < 0.65, scores          # the same method with 50 times fewer runs
    assert main(args + ["--iterations", "300", "--out", str(tmp_path / "few")]) == 1
    assert "below ess_floor" in capsys.readouterr().err
    assert main(["calibrate", "--method", "reference", "--ensemble", "e.csv", "--spec", "s.toml",
                 "--observations", "o.csv", "--out", str(tmp_path / "own")]) == 2
    assert "only --example moflux" in capsys.readouterr().err


def test_conditions_are_read_checked_and_kept_apart_from_the_outputs(example_inputs, tmp_path):
    from nnkit.workflow.inputs import InputError, load_spec

    path = tmp_path / "spec.toml"
    path.write_text(example_inputs["spec"].read_text() + "\n[conditions]\nlatitude = 2.6\nannual_precipitation = 150\n")
    spec = load_spec(path)
    assert spec.conditions == ("latitude", "annual_precipitation") and spec.outputs == tuple(LH)
    np.testing.assert_array_equal(spec.condition_width, [2.6, 150.0])
    for bad, message in [("latitude = 0", "'latitude': the width must be a positive number"),
                         ("LH_2006 = 3.0", "['LH_2006'] named in more than one")]:
        path.write_text(example_inputs["spec"].read_text() + f"\n[conditions]\n{bad}\n")
        with pytest.raises(InputError, match=re.escape(message)):
            load_spec(path)


@pytest.fixture(scope="module")
def sites_inputs(tmp_path_factory):
    """The sites example's inputs, with the first 1500 runs of its ensemble and its first 4 sites."""
    from nnkit.workflow.examples import write_example

    directory = tmp_path_factory.mktemp("sites")
    ensemble, spec, observations = write_example("sites", directory)
    assert ensemble.suffix == ".gz"                     # the shipped ensemble is gzipped; the small copy is not
    for source, keep in ((ensemble, 1501), (observations, 5)):
        with (gzip.open(source, "rt") if source.suffix == ".gz" else open(source)) as handle:
            lines = [line for _, line in zip(range(keep), handle)]
        (directory / f"small_{source.name.removesuffix('.gz')}").write_text("".join(lines))
    return {"ensemble": directory / "small_ensemble.csv", "spec": spec,
            "observations": directory / f"small_{observations.name}"}


def test_a_gzipped_table_reads_as_the_plain_one(sites_inputs, tmp_path):
    zipped = tmp_path / "ensemble.csv.gz"
    zipped.write_bytes(gzip.compress(sites_inputs["ensemble"].read_bytes()))
    from nnkit.workflow.inputs import load_table

    columns = ["latitude", "rootb_par", "LH_2010"]
    plain, unzipped = load_table(sites_inputs["ensemble"], columns, "ensemble"), load_table(zipped, columns, "ensemble")
    assert np.array_equal(plain.values, unzipped.values) and plain.values.shape == (1500, 3)


def test_an_observation_outside_the_ensembles_conditions_is_refused(sites_inputs, tmp_path, capsys):
    bad = edited(sites_inputs, tmp_path, "observations", lambda t: replace_field(t, 3, "latitude", "60.0"))
    assert run(bad, tmp_path / "out", *QUICK) == 2
    message = capsys.readouterr().err
    assert all(part in message for part in ("observations.csv", "'latitude'", "line 3", "outside the ensemble's"))
    assert not (tmp_path / "out").exists()


def calibrate_four_sites(method, sites_inputs, out):
    """Run --method on the 4 sites (200 draws each, no validation); check the draws and return the kept sampler."""
    assert run(sites_inputs, out, "--method", method, "--iterations", "300", "--draws", "200", "--validate", "0",
               "--workers", "0") == 0
    draws = read_rows(out / "draws.csv")
    assert len(draws) == 4 * 200 and {row["id"] for row in draws} == {f"site_{i:02d}" for i in range(4)}
    assert json.loads((out / "run.json").read_text())["method"] == method
    with open(out / "sampler.pkl", "rb") as handle:
        return pickle.load(handle)


def test_mcmc_holds_each_sites_conditions_fixed_in_its_surrogate(sites_inputs, tmp_path):
    sampler = calibrate_four_sites("mcmc", sites_inputs, tmp_path / "mcmc")
    assert sampler.n_conditions == 3 and sampler.surrogate.n_inputs == len(PARAMS) + 3


def test_the_conditional_inn_takes_each_sites_conditions_as_exact_inputs(sites_inputs, tmp_path):
    sampler = calibrate_four_sites("cinn", sites_inputs, tmp_path / "cinn")
    assert sampler.y_dim == 5 + 3 and np.array_equal(sampler.noise_sd, [1, 1, 1, 1, 1, 0, 0, 0])


def test_the_inn_refuses_conditions_it_cannot_model(sites_inputs, tmp_path, capsys):
    assert run(sites_inputs, tmp_path / "inn", "--method", "inn", "--workers", "0") == 2
    assert "--method inn cannot take [conditions]" in capsys.readouterr().err and not (tmp_path / "inn").exists()


def test_the_sites_example_calibrates_every_site_and_scores_it_against_its_exact_posterior(tmp_path):
    out = tmp_path / "sites"
    assert main(["calibrate", "--example", "sites", "--out", str(out), "--quiet", "--iterations", "1000",
                 "--draws", "300", "--validate", "0", "--workers", "0"]) == 0
    spec = (out / "inputs" / "spec.toml").read_text()
    assert "[conditions]" in spec and "latitude = 2.6" in spec
    scores = np.array([float(row["c2st_vs_exact"]) for row in read_rows(out / "exact.csv")])
    assert len(scores) == 20 and np.median(scores) < 0.75 and scores.max() < 0.95, scores  # broken: near 1
    predictive = read_rows(out / "predictive.csv")
    assert len(predictive) == 20 * len(lm.OUTPUT_NAMES)
    observed = {row["output"]: row["observed"] for row in predictive if row["id"] == "site_03"}
    assert observed["NEE_2006"] == "nan" and float(observed["LH_2006"]) > 0     # the sites observe LH only
