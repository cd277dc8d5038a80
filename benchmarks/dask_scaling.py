"""Figures for chunked runs on Dask (``nnkit ensemble``). Prints, asserts nothing.

The same land-model ensemble (--n members in chunks of --chunk, seed 0) in this process without Dask, then on a
LocalCluster of 1 and of 2 worker processes, side by side in one run: the wall time of each (cluster start and stop
included), the speed-up from 1 to 2 workers, and whether all three gave the same numbers.
Run: python benchmarks/dask_scaling.py [--n 2000] [--chunk 250]
"""
import argparse
import tempfile
import time

import numpy as np

from nnkit.workflow.chunks import dask_client, load_chunks, plan, run_chunks
from nnkit.workflow.ensemble import simulate_chunk


def timed_run(workers, chunks):
    with tempfile.TemporaryDirectory() as directory:
        start = time.perf_counter()
        with dask_client(workers) as client:
            run_chunks(simulate_chunk, chunks, directory, client)
        seconds = time.perf_counter() - start
        return seconds, load_chunks(chunks, directory)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--chunk", type=int, default=250)
    args = parser.parse_args()
    chunks = plan(args.n, args.chunk, seed=0)
    print(f"land-model ensemble: {args.n} members in {len(chunks)} chunks of {args.chunk}")
    runs = {label: timed_run(workers, chunks) for label, workers in
            (("this process (no Dask)", 0), ("LocalCluster, 1 worker", 1), ("LocalCluster, 2 workers", 2))}
    for label, (seconds, _) in runs.items():
        print(f"  {label:26s} {seconds:6.1f} s   {1000 * seconds / args.n:5.2f} ms per member")
    one, two = runs["LocalCluster, 1 worker"][0], runs["LocalCluster, 2 workers"][0]
    print(f"  speed-up from 1 to 2 workers: {one / two:.2f}x")
    first = runs["this process (no Dask)"][1]
    same = all(np.array_equal(first[k], result[k]) for _, result in runs.values() for k in first)
    print(f"  identical numbers in all three: {same}")


if __name__ == "__main__":
    main()
