"""`make run`'s runner: executed notebook, HTML copy and an index page with run times."""
import pytest

from tools import run_notebooks


@pytest.mark.notebook
def test_runner_writes_notebook_html_and_index(tmp_path):
    first = run_notebooks.notebook_paths()[0]
    assert run_notebooks.main([first.name[:2], "--fast", "--out", str(tmp_path)]) == 0
    assert (tmp_path / first.name).exists()
    assert "<html" in (tmp_path / first.with_suffix(".html").name).read_text()
    index = (tmp_path / "index.html").read_text()
    assert first.stem in index and "ok" in index


def test_runner_reports_a_failing_notebook(tmp_path, monkeypatch):
    def boom(path, out_path, fast, device="auto", seed=0):
        raise RuntimeError("cell 3 failed")

    monkeypatch.setattr(run_notebooks, "execute", boom)
    assert run_notebooks.main(["01", "--out", str(tmp_path)]) == 1
    assert "cell 3 failed" in (tmp_path / "index.html").read_text()


def test_runner_rejects_unknown_names(tmp_path):
    with pytest.raises(SystemExit):
        run_notebooks.main(["no-such-notebook", "--out", str(tmp_path)])
