"""Shared fixtures: headless matplotlib, a fixed seed for every test, gpu tests skipped without CUDA."""
import matplotlib

matplotlib.use("Agg")  # only in this process: notebook kernels keep their inline backend

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import nnkit  # noqa: E402

NOTEBOOK_TIMES = {}


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
    if NOTEBOOK_TIMES:
        terminalreporter.section("notebook run times (FAST mode)")
        for name, seconds in sorted(NOTEBOOK_TIMES.items()):
            terminalreporter.write_line(f"{name:40s} {seconds:6.1f} s")
