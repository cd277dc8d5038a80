"""Shared fixtures: headless matplotlib, a fixed seed for every test, gpu tests skipped without CUDA.

Under pytest-xdist (`make test` runs one worker per core) each worker and the notebook kernels it starts use one
CPU thread: two single-threaded processes on 2 cores finish the suite sooner than one process on two threads, whose
small tensors spend much of their time synchronising threads."""
import os

if "PYTEST_XDIST_WORKER" in os.environ:  # before torch is imported; kernels started later inherit it
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # only in this process: notebook kernels keep their inline backend

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import nnkit  # noqa: E402

@pytest.fixture(autouse=True)
def seed_all():
    nnkit.seed_everything(0)
    yield
    plt.close("all")


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if item.get_closest_marker("gpu"):
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    """List the run time each notebook test recorded with record_property("notebook_seconds", ...)."""
    reports = [r for kind in ("passed", "failed") for r in terminalreporter.stats.get(kind, []) if r.when == "call"]
    times = {r.nodeid: dict(r.user_properties)["notebook_seconds"] for r in reports
             if "notebook_seconds" in dict(r.user_properties)}
    if times:
        terminalreporter.section("notebook run times")
        for nodeid, seconds in sorted(times.items()):
            terminalreporter.write_line(f"{seconds:6.1f} s  {nodeid}")
