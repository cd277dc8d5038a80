"""The two install paths (pip via pyproject.toml, conda via environment.yml) list the same packages."""
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONDA_TO_PIP = {"pytorch-cpu": "torch", "pytorch-gpu": "torch", "pytorch": "torch"}


def name_of(spec):
    return re.split(r"[<>=!~\[ ;]", spec.strip(), maxsplit=1)[0].lower()


def test_environment_yml_and_pyproject_list_the_same_packages():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_specs = project["dependencies"] + [s for extra in project["optional-dependencies"].values() for s in extra]
    pip_names = {name_of(s) for s in pip_specs} - {"nnkit"}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda_specs = [d for d in env["dependencies"] if isinstance(d, str)]
    conda_names = {CONDA_TO_PIP.get(name_of(s), name_of(s)) for s in conda_specs} - {"python", "pip"}
    assert pip_names == conda_names, (f"only in pyproject: {sorted(pip_names - conda_names)}; "
                                      f"only in environment.yml: {sorted(conda_names - pip_names)}")
    assert env["channels"][0] == "conda-forge" and "pytorch" not in env["channels"]


def test_torch_is_pinned_to_the_cpu_build_and_installed_first():
    assert "torch==2.13.0" in (ROOT / "constraints.txt").read_text().split()
    makefile = (ROOT / "Makefile").read_text()
    torch_line = makefile.index("-c constraints.txt torch")
    assert torch_line < makefile.index('-c constraints.txt -e ".[dev]"')


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / "README.md").read_text()
    assert "make test" in (ROOT / ".ci" / "run").read_text()
