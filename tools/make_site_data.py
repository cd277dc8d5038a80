"""Make data/elm_sites/: calibration cases at 20 random sites and each site's exact posterior, from the mini land
model itself (importance sampling from 10,000 prior runs at the site, or 40,000 where those are worth fewer than
500 draws), one site per chunk on Dask.

    python tools/make_site_data.py [--out data/elm_sites] [--workers 2] [--force]

Chunks go to build/elm_sites_chunks/ as they finish, so an interrupted run continues where it stopped.
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

from nnkit.problems import landmodel as lm
from nnkit.problems.landmodel import sites
from nnkit.workflow.chunks import dask_client, load_chunks, plan, run_chunks

N_SITES, DRAWS, REFERENCE_SEED, ESS_FLOOR = 20, 500, 5, 500
ROOT = Path(__file__).resolve().parents[1]


def reference_chunk(chunk, descriptors, observed):
    """The reference draws (1, DRAWS, 8), effective sample size (1,) and prior runs (1,) of the chunk's one site:
    10,000 runs, or 40,000 where those are worth fewer than ESS_FLOOR draws."""
    i = chunk.start
    for runs in (sites.REFERENCE_RUNS, 4 * sites.REFERENCE_RUNS):
        sampler = sites.site_reference_sampler(descriptors[i], n_runs=runs, seed=REFERENCE_SEED * 1000 + i)
        ess = sampler.weights(observed[i])[1]
        if ess >= ESS_FLOOR:
            break
    draws = sampler.sample(observed[i], DRAWS, seed=i)   # refuses below the sampler's floor (sites.REFERENCE_ESS)
    return {"draws": draws[None], "ess": np.array([ess]), "runs": np.array([runs])}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "elm_sites")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    files = [args.out / sites.CASES_FILE, args.out / sites.REFERENCE_FILE]
    if any(f.exists() for f in files) and not args.force:
        sys.exit(f"{args.out} already holds the site data; pass --force to overwrite it")
    start = time.perf_counter()
    descriptors, truth, observed = sites.site_cases(N_SITES)
    chunks = plan(N_SITES, 1, REFERENCE_SEED)
    with dask_client(args.workers) as client:
        run_chunks(reference_chunk, chunks, ROOT / "build" / "elm_sites_chunks", client, show=True,
                   desc="site references", shared={"descriptors": descriptors, "observed": observed})
    result = load_chunks(chunks, ROOT / "build" / "elm_sites_chunks")
    sites.write_site_data(args.out, descriptors, truth, observed, result["draws"], result["ess"], result["runs"])
    print(f"wrote {', '.join(map(str, files))} in {time.perf_counter() - start:.0f} s; effective sample sizes "
          f"{result['ess'].min():.0f}-{result['ess'].max():.0f} from {result['runs'].min()}-{result['runs'].max()} "
          "runs per site")


if __name__ == "__main__":
    main()
