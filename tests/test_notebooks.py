"""Every notebook executed top to bottom with papermill in FAST mode; its own asserts are the checks."""
import pytest

from tools.run_notebooks import execute, notebook_paths


@pytest.mark.notebook
@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: p.stem)
def test_notebook_runs_in_fast_mode(path, tmp_path, record_property):
    seconds = execute(path, tmp_path / path.name, fast=True, device="auto")
    record_property("notebook_seconds", round(seconds, 1))  # listed at the end of the run by conftest.py
