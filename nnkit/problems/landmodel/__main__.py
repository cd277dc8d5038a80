"""Command line: regenerate the shipped MOFLUX data.

    python -m nnkit.problems.landmodel ensemble --n 1000 --seed 0 --out data/elm_moflux/ensemble.csv [--force]
    python -m nnkit.problems.landmodel observations --out data/elm_moflux [--force]
    python -m nnkit.problems.landmodel reference --case synthetic_1 [more cases] --n 200000 --out data/elm_moflux
        [--draws 6000] [--seed 7] [--force]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .data import CASES, OBSERVATION_SEED, make_ensemble, make_observations, write_ensemble, write_observations
from .reference import (REFERENCE_DRAWS, REFERENCE_RUNS, REFERENCE_SEED, make_reference, reference_path,
                        reference_sampler, write_reference)


def _parser():
    parser = argparse.ArgumentParser(prog="python -m nnkit.problems.landmodel", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    ens = commands.add_parser("ensemble", help="sample the prior and simulate; write a CSV")
    ens.add_argument("--n", type=int, default=1000, help="number of members (default 1000)")
    ens.add_argument("--seed", type=int, default=0, help="prior sampling seed (default 0)")
    ens.add_argument("--out", required=True, help="CSV file to write")
    ens.add_argument("--force", action="store_true", help="overwrite an existing file")
    obs = commands.add_parser("observations", help="write observations.csv and true_parameters.csv")
    obs.add_argument("--seed", type=int, default=OBSERVATION_SEED, help=f"noise seed (default {OBSERVATION_SEED})")
    obs.add_argument("--out", required=True, help="directory to write into")
    obs.add_argument("--force", action="store_true", help="overwrite existing files")
    ref = commands.add_parser("reference", help="exact posterior draws of observation cases from the model itself")
    ref.add_argument("--case", nargs="+", required=True, choices=sorted(CASES), help="one or more cases")
    ref.add_argument("--n", type=int, default=REFERENCE_RUNS, help=f"prior runs (default {REFERENCE_RUNS})")
    ref.add_argument("--draws", type=int, default=REFERENCE_DRAWS, help=f"draws per case ({REFERENCE_DRAWS})")
    ref.add_argument("--seed", type=int, default=REFERENCE_SEED, help=f"prior seed (default {REFERENCE_SEED})")
    ref.add_argument("--out", required=True, help="directory to write reference_<case>.csv into")
    ref.add_argument("--force", action="store_true", help="overwrite existing files")
    return parser


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    for name in ("n", "draws"):
        if getattr(args, name, 1) < 1:
            parser.error(f"--{name} must be a positive integer; got {getattr(args, name)}")
    start = time.perf_counter()
    try:
        if args.command == "ensemble":
            written = [write_ensemble(make_ensemble(args.n, args.seed), args.out, force=args.force)]
        elif args.command == "observations":
            written = write_observations(make_observations(args.seed), args.out, force=args.force)
        else:
            written = _references(args)
    except (FileExistsError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path} ({time.perf_counter() - start:.1f} s)")
    return 0


def _references(args):
    paths = [reference_path(case, args.out) for case in args.case]
    existing = [str(p) for p in paths if p.exists()]
    if existing and not args.force:   # refuse before hours of runs, not after
        raise FileExistsError(f"{', '.join(existing)} exist; pass --force to overwrite")
    sampler = reference_sampler(args.n, args.seed, progress=True)
    written = []
    for case, path in zip(args.case, paths):
        reference = make_reference(case, sampler, args.draws)
        print(f"{case}: effective sample size {reference.ess:.0f} of {args.n} prior runs")
        Path(args.out).mkdir(parents=True, exist_ok=True)
        written.append(write_reference(reference, path, force=args.force))
    return written


if __name__ == "__main__":
    sys.exit(main())
