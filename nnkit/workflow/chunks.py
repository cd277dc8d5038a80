"""Work cut into seeded chunks, run in this process or on ``dask.distributed``, each chunk's result written to its
own file the moment it arrives.

A chunk's numbers depend on the run's seed and the chunk's index only, never on which worker ran it or in what
order, so one worker, many workers or a cluster give the same bytes. Files are written whole (to a temporary name,
then renamed), so a killed run leaves only complete chunks behind, and a rerun computes exactly the missing ones.

    chunks = plan(n=2000, size=250, seed=0)
    with dask_client(workers=2) as client:          # client None: --workers 0, this process, no Dask
        run_chunks(task, chunks, directory, client)  # task(chunk) -> dict of arrays, a module-level function
    arrays = load_chunks(chunks, directory)
"""
from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.training import progress
from .inputs import InputError

PLAN_FILE = "plan.json"     # the settings a --resume must match


@dataclass(frozen=True)
class Chunk:
    """Rows start:stop of the work; ``seed`` ([run seed, index]) seeds everything random inside the chunk."""

    index: int
    start: int
    stop: int
    seed: tuple

    @property
    def size(self):
        return self.stop - self.start

    def rng(self):
        return np.random.default_rng(list(self.seed))


def plan(n, size, seed):
    """The chunks of ``n`` rows, ``size`` rows each (the last one shorter)."""
    for name, value in (("n", n), ("size", size)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return [Chunk(i, start, min(start + size, n), (int(seed), i)) for i, start in enumerate(range(0, n, size))]


def chunk_path(directory, chunk):
    return Path(directory) / f"chunk_{chunk.index:05d}.npz"


def done(chunks, directory):
    """The chunks whose file exists."""
    return [c for c in chunks if chunk_path(directory, c).exists()]


def write_whole(path, write):
    """Call write(handle) on a temporary file beside ``path``, then rename it to ``path``: whole or not at all."""
    path = Path(path)
    temporary = path.with_name(path.name + ".partial")
    with open(temporary, "wb") as handle:
        write(handle)
    os.replace(temporary, path)


def save_chunk(path, arrays):
    """Write ``arrays`` (name -> array) to ``path`` whole or not at all."""
    write_whole(path, lambda handle: np.savez(handle, **arrays))


def run_chunks(task, chunks, directory, client=None, show=False, desc="chunks", shared=None):
    """Compute ``task(chunk, **shared)`` (a dict of arrays) for every chunk without a file in ``directory`` and
    write each result as it arrives. client: a ``dask.distributed.Client``, or None to run here, one chunk after
    another; shared: keyword arguments of every call (a trained sampler, the data), sent to each worker once.
    Returns the number of chunks computed (the others were already on disk)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    todo = [c for c in chunks if not chunk_path(directory, c).exists()]
    shared = shared or {}
    if client is None:
        for chunk in progress(todo, desc, show and bool(todo)):
            save_chunk(chunk_path(directory, chunk), task(chunk, **shared))
        return len(todo)
    if not todo:
        return 0
    from dask.distributed import as_completed

    shared = {name: client.scatter(value, broadcast=True, hash=False) for name, value in shared.items()}
    futures = client.map(task, todo, pure=False, **shared)   # pure=False: never reuse a result by its inputs' key
    by_key = {future.key: chunk for future, chunk in zip(futures, todo)}
    for future in progress(as_completed(futures), desc, show and bool(todo)):
        save_chunk(chunk_path(directory, by_key[future.key]), future.result())
        future.release()
    return len(todo)


def load_chunks(chunks, directory):
    """The chunks' arrays joined along the first axis, in chunk order (name -> array)."""
    missing = [c.index for c in chunks if not chunk_path(directory, c).exists()]
    if missing:
        raise FileNotFoundError(f"{directory}: chunks {missing} are not done")
    parts = []
    for chunk in chunks:
        with np.load(chunk_path(directory, chunk)) as data:
            parts.append({name: data[name] for name in data.files})
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


@contextlib.contextmanager
def dask_client(workers=None, scheduler=None):
    """A ``dask.distributed.Client``: on the scheduler at address ``scheduler`` (a cluster started elsewhere, e.g.
    with dask-jobqueue), else on a LocalCluster of ``workers`` single-threaded processes (None: one per core).
    ``workers=0`` and no scheduler yields None: run in this process, without Dask."""
    if workers == 0 and scheduler is None:
        yield None
        return
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ImportError("running on Dask needs dask.distributed: pip install 'nnkit[dask]' "
                          "(or --workers 0 to run in this process)") from None
    if scheduler is not None:
        with Client(scheduler) as client:
            yield client
        return
    workers = os.cpu_count() if workers is None else workers
    with environ_restored(), \
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            yield client


@contextlib.contextmanager
def environ_restored():
    """Put ``os.environ`` back as it was on exit. Dask's nannies set OMP_NUM_THREADS=1 (and more) in this process's
    environment to pass it to their workers, and leave it there: every process started later (a Jupyter kernel, a
    subprocess) would then run its numerics on one thread."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def check_out(out, resume, force):
    """Refuse, before anything is written, an --out that is a file, a non-empty --out without --resume or --force,
    and a --resume without an earlier run in --out."""
    out = Path(out)
    if resume and force:
        raise InputError("--resume continues the run in --out, --force starts it over: give one")
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a directory")
    if resume and not (out / PLAN_FILE).exists():
        raise InputError(f"--resume: {out / PLAN_FILE} is missing, so {out} holds no run to continue")
    if not resume and out.is_dir() and any(out.iterdir()) and not force:
        raise InputError(f"--out {out} exists and is not empty; pass --resume to continue the run in it or "
                         "--force to start over")


def start_run(out, settings, resume, stale=()):
    """Resuming: check ``settings`` (JSON-able) match the plan of the run in ``out``. Otherwise delete an earlier
    run's chunk files and the ``stale`` files in ``out``, and write the plan. Returns out/chunks."""
    out, chunk_dir = Path(out), Path(out) / "chunks"
    plan_file = out / PLAN_FILE
    if resume:
        before = json.loads(plan_file.read_text(encoding="utf-8"))
        changed = [f"{key}: {before.get(key)} then, {value} now" for key, value in settings.items()
                   if before.get(key) != value]
        if changed:
            raise InputError(f"--resume: the run in {out} had other settings ({'; '.join(changed)}); resume it with "
                             "the same ones, or start over with --force")
        return chunk_dir
    for old in [*chunk_dir.glob("**/chunk_*.npz*"), *(out / name for name in stale)]:
        old.unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    plan_file.write_text(json.dumps(settings, indent=2), encoding="utf-8")
    return chunk_dir
