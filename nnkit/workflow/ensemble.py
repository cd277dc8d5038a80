"""``nnkit ensemble``: a prior ensemble of the mini land model, run in chunks on Dask, ready for ``nnkit calibrate``.

    nnkit ensemble --n 2000 --out runs/                    # a LocalCluster, one worker per core
    nnkit ensemble --n 2000 --out runs/ --resume           # after a crash: only the chunks not on disk yet
    nnkit ensemble --n 200000 --out runs/ --scheduler tcp://head:8786    # a cluster (e.g. dask-jobqueue on Slurm)

Chunk i draws its parameters from the prior with the seed (--seed, i), so the ensemble is the same on one worker,
many or a cluster, and the same after a resume. Written: OUT/chunks/ (one file per chunk, kept for resumes),
OUT/ensemble.csv (one row per member: with --model sites the site descriptors, then the parameters, then the
outputs), OUT/run.json (settings, timings, versions).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from ..core.runtime import package_versions
from ..problems import landmodel as lm
from ..problems.landmodel import sites
from .chunks import check_out, dask_client, done, load_chunks, plan, run_chunks, start_run
from .inputs import InputError


def add_arguments(ens):
    """The options of ``nnkit ensemble`` on its subparser ``ens``."""
    ens.add_argument("--model", choices=sorted(MODELS), default="moflux",
                     help="the simulator: the MOFLUX mini land model (8 parameters, 15 outputs), or sites: the "
                          "same model with each member at its own random site (3 site descriptors first)")
    ens.add_argument("--n", type=int, default=1000, help="members (default 1000)")
    ens.add_argument("--chunk", type=int, default=500, help="members per chunk, the unit of work and of resuming "
                                                            "(default 500; a model call costs about 3 s whatever "
                                                            "its size, so chunks much smaller waste time)")
    ens.add_argument("--seed", type=int, default=0)
    ens.add_argument("--out", type=Path, required=True, help="directory for the ensemble")
    add_dask_arguments(ens)
    ens.add_argument("--resume", action="store_true", help="continue an interrupted run in --out")
    ens.add_argument("--force", action="store_true", help="start over, deleting an earlier run's files in --out")
    ens.add_argument("--quiet", action="store_true", help="no progress bars")


def add_dask_arguments(parser, default="default: one per core"):
    parser.add_argument("--workers", type=int, help=f"Dask LocalCluster worker processes ({default}; 0: run in "
                                                    "this process without Dask)")
    parser.add_argument("--scheduler", help="address of a running Dask scheduler, e.g. tcp://head:8786")


def check_dask_arguments(args):
    if args.workers is not None and args.workers < 0:
        raise InputError(f"--workers must be 0 or more; got {args.workers}")
    if args.workers is not None and args.scheduler:
        raise InputError("--workers starts a LocalCluster, --scheduler joins a running one: give one")


def simulate_chunk(chunk):
    """Prior draws (chunk.size, 8) seeded by the chunk, and their land-model outputs (chunk.size, 15)."""
    theta = lm.sample_prior(chunk.size, seed=list(chunk.seed))
    return {"parameters": theta, "outputs": lm.simulate(theta)}


def simulate_sites_chunk(chunk):
    """One member per site: site descriptors (chunk.size, 3) and prior draws (chunk.size, 8), seeded by the chunk,
    and the land-model outputs at those sites (chunk.size, 15)."""
    descriptors = sites.sample_sites(chunk.size, seed=[*chunk.seed, 0])
    theta = lm.sample_prior(chunk.size, seed=[*chunk.seed, 1])
    return {"parameters": np.hstack([descriptors, theta]), "outputs": sites.simulate_sites(theta, descriptors)}


MODELS = {"moflux": (simulate_chunk, lm.PARAMETER_NAMES),
          "sites": (simulate_sites_chunk, sites.DESCRIPTOR_NAMES + lm.PARAMETER_NAMES)}


def ensemble(args, argv):
    """Run ``nnkit ensemble`` as the parsed ``args`` say; writes into args.out."""
    for name in ("n", "chunk"):
        if getattr(args, name) < 1:
            raise InputError(f"--{name} must be a positive integer; got {getattr(args, name)}")
    check_dask_arguments(args)
    check_out(args.out, args.resume, args.force)
    settings = {"model": args.model, "n": args.n, "chunk": args.chunk, "seed": args.seed}
    chunk_dir = start_run(args.out, settings, args.resume)
    chunks = plan(args.n, args.chunk, args.seed)
    task, inputs = MODELS[args.model]
    already = len(done(chunks, chunk_dir))
    start, computed = time.perf_counter(), 0
    if already < len(chunks):       # no cluster to start for a finished run
        with dask_client(args.workers, args.scheduler) as client:
            computed = run_chunks(task, chunks, chunk_dir, client, not args.quiet, "land-model chunks")
    seconds = time.perf_counter() - start
    result = load_chunks(chunks, chunk_dir)
    path = args.out / "ensemble.csv"
    np.savetxt(path, np.hstack([result["parameters"], result["outputs"]]), delimiter=",", fmt=lm.data.NUMBER_FORMAT,
               header=",".join(inputs + lm.OUTPUT_NAMES), comments="")
    where = args.scheduler or ("this process" if args.workers == 0 else f"a LocalCluster of {args.workers or 'all'} "
                                                                         "worker(s)")
    run = {"command": "nnkit " + " ".join(argv), **settings, "chunks": len(chunks), "chunks_computed": computed,
           "chunks_reused": already, "ran_on": where, "seconds": round(seconds, 2), "versions": package_versions()}
    (args.out / "run.json").write_text(json.dumps(run, indent=2), encoding="utf-8")
    if not args.quiet:
        print(f"{args.n} members in {len(chunks)} chunks ({computed} run now, {already} from an earlier run) on "
              f"{where} in {seconds:.1f} s; wrote {path}")
