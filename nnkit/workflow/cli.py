"""The ``nnkit`` console script: ``nnkit calibrate`` and ``nnkit ensemble`` (``nnkit <command> --help``)."""
from __future__ import annotations

import argparse
import sys

from . import calibrate, ensemble
from .inputs import InputError


def build_parser():
    parser = argparse.ArgumentParser(prog="nnkit", description="nnkit's research workflow")
    commands = parser.add_subparsers(dest="command", required=True)
    for module, name, summary in (
            (calibrate, "calibrate", "calibrate parameters from an ensemble, for many observations"),
            (ensemble, "ensemble", "run a prior ensemble of the mini land model in chunks, on Dask")):
        module.add_arguments(commands.add_parser(name, help=summary, description=module.__doc__,
                                                 formatter_class=argparse.RawDescriptionHelpFormatter))
    return parser


def main(argv=None):
    """Entry point of the ``nnkit`` console script; returns the exit status (2 for bad input, 1 for a failed run)."""
    args = build_parser().parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")   # figures go to files; set here, not on import, so a notebook keeps its backend
    command = {"calibrate": calibrate.calibrate, "ensemble": ensemble.ensemble}[args.command]
    try:
        command(args, sys.argv[1:] if argv is None else list(argv))
    except InputError as err:
        print(f"nnkit {args.command}: {err}\nNothing was written.", file=sys.stderr)
        return 2
    except calibrate.RunError as err:
        print(f"nnkit {args.command}: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
