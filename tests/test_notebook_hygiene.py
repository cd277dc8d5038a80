"""What every committed notebook must look like: clean, parameterised, self-checking, listed in the README."""
import re
from pathlib import Path

import nbformat
import pytest

from tools.run_notebooks import notebook_paths

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
NOTEBOOKS = notebook_paths()


def code_cells(path):
    return [c for c in nbformat.read(str(path), as_version=4).cells if c.cell_type == "code"]


def tags(cell):
    return cell.metadata.get("tags", [])


def test_notebooks_are_numbered_in_sequence():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers == list(range(1, len(NOTEBOOKS) + 1)), [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_valid_and_committed_without_outputs(path):
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, c in enumerate(code_cells(path)) if c.outputs or c.execution_count is not None]
    assert not dirty, f"{path.name}: code cells {dirty} carry outputs; clear them before committing"
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_has_a_parameters_cell_with_fast_device_seed(path):
    params = [c for c in code_cells(path) if "parameters" in tags(c)]
    assert len(params) == 1, f"{path.name}: needs exactly one cell tagged 'parameters'"
    for name, default in (("FAST", "False"), ("DEVICE", '"auto"'), ("SEED", None)):
        pattern = rf"^{name}\s*=\s*" + (re.escape(default) if default else r"\d+")
        assert re.search(pattern, params[0].source, re.M), f"{path.name}: parameters cell lacks {name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_asserts_its_results(path):
    asserts = sum(len(re.findall(r"^\s*assert\b", c.source, re.M)) for c in code_cells(path) if "solution" not in tags(c))
    assert asserts >= 1, f"{path.name}: no assert outside solution cells; executing it would check nothing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_solution_follows_its_stub(path):
    cells = code_cells(path)
    for i, cell in enumerate(cells):
        if "solution" in tags(cell):
            assert i > 0 and "raise NotImplementedError" in cells[i - 1].source, (
                f"{path.name}: solution cell {i} must follow a stub cell raising NotImplementedError")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_mentions_cuda_nowhere(path):
    assert not any("cuda" in c.source.lower() for c in code_cells(path)), f"{path.name}: use nnkit.get_device(DEVICE)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_readme_lists_the_notebook(path):
    assert path.name in README, f"README.md's notebook table lacks {path.name}"
