"""Student copies: no solutions, still valid, and they run before any exercise is solved."""
import ast

import nbformat
import pytest

from tools import make_student
from tools.run_notebooks import execute, notebook_paths


def test_student_copies_drop_solutions_and_keep_stubs(tmp_path):
    assert make_student.main(["--out", str(tmp_path)]) == 0
    for path in notebook_paths():
        source = nbformat.read(str(path), as_version=4)
        copy = nbformat.read(str(tmp_path / path.name), as_version=4)
        nbformat.validate(copy)
        n_solutions = sum(make_student.is_solution(c) for c in source.cells)
        assert n_solutions >= 1, f"{path.name} has no exercise"
        assert len(copy.cells) == len(source.cells) - n_solutions
        assert not any(make_student.is_solution(c) for c in copy.cells)
        stubs = [c for c in copy.cells if "raise NotImplementedError" in c.source]
        assert len(stubs) == n_solutions


def test_existing_student_work_is_not_overwritten(tmp_path, capsys):
    assert make_student.main(["--out", str(tmp_path)]) == 0
    first = notebook_paths()[0].name
    (tmp_path / first).write_text("my answers", encoding="utf-8")
    assert make_student.main(["--out", str(tmp_path)]) == 2
    assert "--force" in capsys.readouterr().err
    assert (tmp_path / first).read_text(encoding="utf-8") == "my answers"
    assert make_student.main(["--out", str(tmp_path), "--force"]) == 0
    nbformat.validate(nbformat.read(str(tmp_path / first), as_version=4))


def through_last_check(nb):
    """The cells of a student copy up to the self-check that follows its last exercise stub."""
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    last_stub = max(i for i in code if "raise NotImplementedError" in nb.cells[i].source)
    last_check = min(i for i in code if i > last_stub and "checks.check_" in nb.cells[i].source)
    return nb.cells[:last_check + 1], nb.cells[last_check + 1:]


def loaded_names(source):
    return {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)
            and isinstance(node.ctx, ast.Load)}


def defined_names(source):
    tree = ast.parse(source)
    return {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))} | {
        target.id for node in tree.body if isinstance(node, ast.Assign) for target in node.targets
        if isinstance(target, ast.Name)}


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: p.stem)
def test_cells_after_the_exercises_do_not_need_their_solutions(path):
    """Past the last self-check a student copy runs exactly the cells of the full notebook (executed in FAST mode
    by test_notebooks), so it runs like them as long as none of them reads what a solution cell defines; the
    checks leave the global random state alone, so those cells also draw the same numbers."""
    source = nbformat.read(str(path), as_version=4)
    nb = make_student.student_copy(source)
    solved = set().union(*(defined_names(c.source) for c in source.cells if make_student.is_solution(c)))
    _, rest = through_last_check(nb)
    for cell in rest:
        if cell.cell_type == "code":
            used = loaded_names(cell.source) & solved
            assert not used, f"{path.name}: a cell after the exercises uses {used}, defined by a solution"


@pytest.mark.notebook
@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: p.stem)
def test_student_copy_runs_with_exercises_unsolved(path, tmp_path, record_property):
    """The student copy runs, through its last exercise's self-check, and reports the exercises as unfinished."""
    student = tmp_path / "student" / path.name
    student.parent.mkdir()
    source = nbformat.read(str(path), as_version=4)
    nb = make_student.student_copy(source)
    nb.cells, _ = through_last_check(nb)
    nbformat.write(nb, str(student))
    record_property("notebook_seconds", round(execute(student, tmp_path / "out.ipynb", fast=True), 1))
    executed = nbformat.read(str(tmp_path / "out.ipynb"), as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert printed.count("not implemented yet") == sum(make_student.is_solution(c) for c in source.cells)
