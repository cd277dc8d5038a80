"""Student copies: no solutions, still valid, and they run top to bottom before any exercise is solved."""
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


@pytest.mark.notebook
@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: p.stem)
def test_student_copy_runs_with_exercises_unsolved(path, tmp_path, record_property):
    student = tmp_path / "student" / path.name
    student.parent.mkdir()
    nbformat.write(make_student.student_copy(nbformat.read(str(path), as_version=4)), str(student))
    record_property("notebook_seconds", round(execute(student, tmp_path / "out.ipynb", fast=True), 1))
    executed = nbformat.read(str(tmp_path / "out.ipynb"), as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert "not implemented yet" in printed
