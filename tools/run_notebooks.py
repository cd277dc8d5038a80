"""Execute the notebooks with papermill into build/notebooks/, each with an HTML copy, plus an index page.

    python tools/run_notebooks.py                 # every notebook, real settings (`make run`)
    python tools/run_notebooks.py --fast 02       # FAST mode, notebooks whose name contains "02"

Failures do not stop the run: every notebook is tried, the index marks the failed ones, and the exit code is 1.
"""
from __future__ import annotations

import argparse
import html
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
KERNEL = "python3"
CELL_TIMEOUT_S = 900  # a stuck cell fails the run with its name instead of hanging it
# FAST cells take seconds to a minute, so a stuck one fails sooner. Not shorter: lesson 12's training cell takes 49 s
# on an idle 2-core machine and went past 120 s in a full `make test` on a slow day.
FAST_CELL_TIMEOUT_S = 300
POLL_SLICE_S = 1.0  # the longest single wait for a kernel message (see _sliced_poll_kernel_manager)


def notebook_paths():
    """The lesson notebooks in teaching order (notebooks/NN_topic.ipynb)."""
    return sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def _sliced_poll_kernel_manager():
    """A jupyter_client kernel manager whose clients wait for shell and IOPub messages in slices of POLL_SLICE_S.

    One long zmq poll sometimes misses the wake-up of a message that has already arrived: a cell that creates
    widgets then sits until the cell timeout expires and completes normally (jupyter/nbclient#312; it stalled two
    FAST notebooks for 300 s each when two ran side by side). A slice ends with a fresh look at the socket, so
    such a miss costs at most a slice."""
    from queue import Empty

    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.channels import AsyncZMQSocketChannel
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import Type

    class SlicedPollChannel(AsyncZMQSocketChannel):
        async def get_msg(self, timeout=None):
            deadline = None if timeout is None else time.monotonic() + timeout
            while True:
                left = POLL_SLICE_S if deadline is None else max(0.0, deadline - time.monotonic())
                try:
                    return await super().get_msg(timeout=min(POLL_SLICE_S, left))
                except Empty:
                    if deadline is not None and time.monotonic() >= deadline:
                        raise

    class SlicedPollClient(AsyncKernelClient):
        shell_channel_class = Type(SlicedPollChannel)
        iopub_channel_class = Type(SlicedPollChannel)

    class SlicedPollKernelManager(AsyncKernelManager):
        client_factory = Type(SlicedPollClient)

    return SlicedPollKernelManager


def execute(path, out_path, fast, device="auto", seed=0):
    """Run one notebook with papermill (explicit kernel, cwd = notebooks/); returns the wall time in seconds.

    Raises papermill's ``PapermillExecutionError`` naming the failing cell when any cell fails.
    """
    import papermill as pm

    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    pm.execute_notebook(str(path), str(out_path), parameters={"FAST": fast, "DEVICE": device, "SEED": seed},
                        kernel_name=KERNEL, cwd=str(NOTEBOOKS), progress_bar=False,
                        start_timeout=120, execution_timeout=FAST_CELL_TIMEOUT_S if fast else CELL_TIMEOUT_S,
                        kernel_manager_class=_sliced_poll_kernel_manager())
    return time.perf_counter() - start


def to_html(nb_path):
    """Write an HTML copy next to an executed notebook; returns its path."""
    import nbformat
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.read(str(nb_path), as_version=4))
    html_path = Path(nb_path).with_suffix(".html")
    html_path.write_text(body, encoding="utf-8")
    return html_path


def write_index(results, out_dir, fast, device):
    """results: list of (name, seconds, error or None). Writes out_dir/index.html."""
    rows = "\n".join(
        f'<tr><td><a href="{html.escape(name)}.html">{html.escape(name)}</a></td><td>{seconds:.1f}</td>'
        f'<td class="{"fail" if error else "ok"}">{html.escape(error or "ok")}</td></tr>'
        for name, seconds, error in results
    )
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>nnkit notebooks</title>
<style>body{{font-family:sans-serif;margin:2em}} td,th{{padding:.3em 1em;text-align:left}}
.ok{{color:#070}} .fail{{color:#b00}}</style></head><body>
<h1>nnkit notebooks</h1><p>Executed {time.strftime("%Y-%m-%d %H:%M")} with FAST={fast}, DEVICE={device!r}.</p>
<table><tr><th>notebook</th><th>run time (s)</th><th>status</th></tr>
{rows}
</table></body></html>"""
    (out_dir / "index.html").write_text(page, encoding="utf-8")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("only", nargs="*", help="run only notebooks whose name contains one of these")
    parser.add_argument("--fast", action="store_true", help="FAST mode (small sizes, seconds per notebook)")
    parser.add_argument("--device", default="auto", help="DEVICE parameter: auto, cpu or cuda (default auto)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "notebooks", help="output folder")
    args = parser.parse_args(argv)

    paths = [p for p in notebook_paths() if not args.only or any(s in p.name for s in args.only)]
    if not paths:
        parser.error(f"no notebook in {NOTEBOOKS} matches {args.only}")
    results = []
    for path in paths:
        out_path = args.out / path.name
        print(f"{path.name} ...", end=" ", flush=True)
        error = None
        try:
            seconds = execute(path, out_path, fast=args.fast, device=args.device)
        except Exception as exc:  # keep going: the index reports every notebook
            seconds, error = float("nan"), f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1][:200]}"
        if out_path.exists():
            to_html(out_path)
        print(f"{seconds:.1f} s" if error is None else f"FAILED ({error})", flush=True)
        results.append((path.stem, seconds, error))
    write_index(results, args.out, args.fast, args.device)
    print(f"index: {args.out / 'index.html'}")
    return 1 if any(error for _, _, error in results) else 0


if __name__ == "__main__":
    sys.exit(main())
