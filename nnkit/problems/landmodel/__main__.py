"""Command line: regenerate the shipped MOFLUX data.

    python -m nnkit.problems.landmodel ensemble --n 1000 --seed 0 --out data/elm_moflux/ensemble.csv [--force]
    python -m nnkit.problems.landmodel observations --out data/elm_moflux [--force]
"""
from __future__ import annotations

import argparse
import sys
import time

from .data import OBSERVATION_SEED, make_ensemble, make_observations, write_ensemble, write_observations


def main(argv=None):
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
    args = parser.parse_args(argv)
    if args.command == "ensemble" and args.n < 1:
        parser.error(f"--n must be a positive integer; got {args.n}")
    start = time.perf_counter()
    try:
        if args.command == "ensemble":
            written = [write_ensemble(make_ensemble(args.n, args.seed), args.out, force=args.force)]
        else:
            written = write_observations(make_observations(args.seed), args.out, force=args.force)
    except FileExistsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path} ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
