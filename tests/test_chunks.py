"""Chunked runs (``nnkit.workflow.chunks``, ``nnkit ensemble``): the same numbers in this process and on a Dask
LocalCluster, a killed worker or a killed run loses nothing and duplicates nothing, and a rerun computes only the
chunks that are missing."""
import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from nnkit.problems import landmodel as lm
from nnkit.workflow.chunks import chunk_path, dask_client, done, load_chunks, plan, run_chunks, save_chunk
from nnkit.workflow.cli import main
from nnkit.workflow.ensemble import simulate_chunk

N, SIZE, SEED = 32, 8, 3      # 4 land-model chunks, about 3 s each on one core


def squares(chunk):
    """A cheap task: the chunk's rows squared, and one seeded draw per row."""
    rows = np.arange(chunk.start, chunk.stop)
    return {"rows": rows, "square": rows**2, "noise": chunk.rng().standard_normal(chunk.size)}


def test_plan_covers_every_row_once_with_a_seed_per_chunk():
    chunks = plan(10, 4, seed=7)
    assert [(c.start, c.stop) for c in chunks] == [(0, 4), (4, 8), (8, 10)]
    assert [c.seed for c in chunks] == [(7, 0), (7, 1), (7, 2)]
    for n, size in ((0, 4), (10, 0), (2.5, 1)):
        with pytest.raises(ValueError, match="positive integer"):
            plan(n, size, 0)


def test_a_rerun_computes_only_the_chunks_not_on_disk_and_ignores_half_written_files(tmp_path):
    chunks = plan(10, 3, seed=1)
    assert run_chunks(squares, chunks, tmp_path) == 4
    whole = load_chunks(chunks, tmp_path)
    assert np.array_equal(whole["rows"], np.arange(10)) and np.array_equal(whole["square"], np.arange(10) ** 2)
    chunk_path(tmp_path, chunks[1]).unlink()
    chunk_path(tmp_path, chunks[1]).with_suffix(".npz.partial").write_bytes(b"cut off")   # a killed write
    assert run_chunks(squares, chunks, tmp_path) == 1
    again = load_chunks(chunks, tmp_path)
    assert all(np.array_equal(whole[k], again[k]) for k in whole)
    assert run_chunks(squares, chunks, tmp_path) == 0
    chunk_path(tmp_path, chunks[2]).unlink()
    with pytest.raises(FileNotFoundError, match=r"chunks \[2\] are not done"):
        load_chunks(chunks, tmp_path)


def test_save_chunk_replaces_a_file_whole(tmp_path):
    path = tmp_path / "chunk_00000.npz"
    save_chunk(path, {"x": np.ones(3)})
    assert not list(tmp_path.glob("*.partial"))
    with np.load(path) as data:
        assert np.array_equal(data["x"], np.ones(3))


@pytest.fixture(scope="module")
def serial_ensemble(tmp_path_factory):
    directory = tmp_path_factory.mktemp("serial")
    chunks = plan(N, SIZE, SEED)
    run_chunks(simulate_chunk, chunks, directory)
    return load_chunks(chunks, directory)


@pytest.fixture(scope="module")
def client():
    with dask_client(workers=2) as client:
        yield client


def test_the_serial_run_is_the_prior_ensemble_of_the_land_model(serial_ensemble):
    theta = serial_ensemble["parameters"]
    assert theta.shape == (N, 8) and len(np.unique(theta, axis=0)) == N
    first = plan(N, SIZE, SEED)[0]
    assert np.array_equal(serial_ensemble["outputs"][:SIZE], lm.simulate(theta[:SIZE]))
    assert np.array_equal(theta[:SIZE], lm.sample_prior(SIZE, seed=list(first.seed)))


def test_two_dask_workers_give_the_same_numbers_as_one_process(serial_ensemble, client, tmp_path):
    assert len(client.scheduler_info()["workers"]) == 2
    chunks = plan(N, SIZE, SEED)
    assert run_chunks(simulate_chunk, chunks, tmp_path, client) == len(chunks)
    result = load_chunks(chunks, tmp_path)
    assert all(np.array_equal(result[k], serial_ensemble[k]) for k in ("parameters", "outputs"))


def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(serial_ensemble, client, tmp_path):
    pids = client.run(os.getpid)
    victim = next(iter(pids.values()))
    chunks = plan(N, SIZE, SEED)

    def kill_after_the_first_chunk():
        while not done(chunks, tmp_path):
            time.sleep(0.05)
        os.kill(victim, signal.SIGKILL)

    killer = threading.Thread(target=kill_after_the_first_chunk)
    killer.start()
    assert run_chunks(simulate_chunk, chunks, tmp_path, client) == len(chunks)
    killer.join()
    assert victim not in client.run(os.getpid).values()            # the nanny started a new worker
    assert sorted(p.name for p in tmp_path.iterdir()) == [chunk_path(tmp_path, c).name for c in chunks]
    result = load_chunks(chunks, tmp_path)
    assert all(np.array_equal(result[k], serial_ensemble[k]) for k in ("parameters", "outputs"))


def test_a_killed_ensemble_run_resumes_where_it_stopped(serial_ensemble, tmp_path):
    out = tmp_path / "runs"
    args = ["ensemble", "--n", str(N), "--chunk", str(SIZE), "--seed", str(SEED), "--out", str(out), "--quiet"]
    process = subprocess.Popen([sys.executable, "-m", "nnkit.workflow.cli", *args, "--workers", "0"])
    chunks = plan(N, SIZE, SEED)
    while not done(chunks, out / "chunks") and process.poll() is None:
        time.sleep(0.05)
    process.kill()
    process.wait()
    finished = len(done(chunks, out / "chunks"))
    assert 1 <= finished < len(chunks) and not (out / "ensemble.csv").exists()

    assert main(args + ["--workers", "0"]) == 2                       # neither --resume nor --force: refused
    assert main(args + ["--workers", "0", "--chunk", "4", "--resume"]) == 2     # other settings: refused
    assert main(args + ["--workers", "0", "--resume"]) == 0
    run = json.loads((out / "run.json").read_text())
    assert (run["chunks_reused"], run["chunks_computed"]) == (finished, len(chunks) - finished)
    table = np.loadtxt(out / "ensemble.csv", delimiter=",", skiprows=1)
    expected = np.hstack([serial_ensemble["parameters"], serial_ensemble["outputs"]])
    np.testing.assert_allclose(table, expected, rtol=1e-6)            # the CSV keeps 7 significant digits
    assert len(np.unique(table[:, :8], axis=0)) == N


def test_bad_ensemble_options_are_refused_before_anything_is_written(tmp_path, capsys):
    out = tmp_path / "none"
    for extra in (["--n", "0"], ["--chunk", "-1"], ["--workers", "-2"], ["--workers", "2", "--scheduler", "x:1"],
                  ["--resume", "--force"], ["--resume"]):
        assert main(["ensemble", "--out", str(out), "--quiet", *extra]) == 2
        assert not out.exists()
    err = capsys.readouterr().err
    assert "--n must be a positive integer" in err and "give one" in err and "holds no run to continue" in err


def test_a_local_cluster_leaves_the_environment_of_this_process_as_it_was():
    # Dask's nannies set OMP_NUM_THREADS=1 here for their workers; left set, every Jupyter kernel started later in
    # this process ran its numerics on one thread (notebooks 3x slower after the chunk tests in one pytest run)
    before = dict(os.environ)
    with dask_client(workers=1) as client:
        assert client.submit(os.getenv, "OMP_NUM_THREADS").result() == "1"  # the workers still get their setting
    assert dict(os.environ) == before
