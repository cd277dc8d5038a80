"""A widget lesson in a real browser: JupyterLab served locally, driven by headless Chromium through selenium.

All cells of lesson 03 run (FAST mode), then the bump explorer's slider is moved with the keyboard, and the test
waits for the widget to draw a new figure; no cell may end with an error output. Skipped, with the install line,
where Chromium or its driver is missing (``.ci/run`` installs both, so CI runs it).
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tools.run_notebooks import notebook_paths

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
LESSON = "03_universal_approximation.ipynb"
TOKEN = "nnkit-browser-test"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None or DRIVER is None,
                       reason="Chromium is not installed: `apt-get install chromium chromium-driver` (Debian) "
                              "enables the browser test"),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fast_copy(tmp_path):
    """The lesson with FAST = True in its parameters cell, written to tmp_path."""
    path = next(p for p in notebook_paths() if p.name == LESSON)
    nb = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    cell["source"] = [line.replace("FAST = False", "FAST = True") for line in cell["source"]]
    (tmp_path / LESSON).write_text(json.dumps(nb), encoding="utf-8")


def wait_for(condition, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on tmp_path that exposes its application object to the page; yields its base URL."""
    fast_copy(tmp_path)
    port = free_port()
    env = {**os.environ, "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.token={TOKEN}", f"--ServerApp.root_dir={tmp_path}", "--LabApp.expose_app_in_browser=True",
         "--allow-root"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        import urllib.request

        def up():
            try:
                return urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2).status == 200
            except OSError:
                return False

        wait_for(up, 60, "JupyterLab to start")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


# JavaScript run in the page; window.jupyterapp is there because of expose_app_in_browser.
NOTEBOOK_READY = """
const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
return !!(w && w.content && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel);
"""
ALL_RUN = """
const w = window.jupyterapp.shell.currentWidget;
const code = w.content.widgets.filter(c => c.model.type === 'code');
return w.sessionContext.session.kernel.status === 'idle' && code.every(c => c.model.executionCount !== null);
"""
ERRORS = """
const w = window.jupyterapp.shell.currentWidget;
return w.content.widgets.filter(c => c.model.type === 'code')
  .flatMap(c => c.model.outputs.toJSON().filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue));
"""
FIGURES = "return Array.from(document.querySelectorAll('.widget-output img, .jupyter-widgets-output-area img'))" \
          ".map(img => img.src.length + ':' + img.src.slice(-64));"


def test_widget_lesson_runs_and_redraws_in_chromium(lab, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(f"{lab}/lab/tree/{LESSON}?token={TOKEN}")
    wait_for(lambda: browser.execute_script(NOTEBOOK_READY), 90, "the notebook and its kernel")
    browser.execute_script("return window.jupyterapp.commands.execute('notebook:run-all-cells');")
    wait_for(lambda: browser.execute_script(ALL_RUN), 240, "all cells to run")
    assert browser.execute_script(ERRORS) == []

    before = wait_for(lambda: browser.execute_script(FIGURES), 60, "the bump explorer's first figure")
    handle = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, ".widget-slider .noUi-handle"), 30,
                      "the explorer's slider")[0]
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", handle)
    handle.click()
    for _ in range(5):
        handle.send_keys(Keys.ARROW_RIGHT)
    after = wait_for(lambda: (lambda figs: figs if figs and figs != before else None)(
        browser.execute_script(FIGURES)), 60, "a new figure after moving the slider")
    assert after != before
    assert browser.execute_script(ERRORS) == []
    assert not browser.find_elements(By.CSS_SELECTOR, ".widget-output [data-mime-type='application/vnd.jupyter.stderr']")
