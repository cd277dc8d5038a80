"""``nnkit calibrate``: calibrate a simulator's parameters from an ensemble of its runs, for every row of an
observations table, from the command line.

    nnkit calibrate --ensemble runs.csv --spec spec.toml --observations obs.csv --out results/
    nnkit calibrate --example moflux --out results/
    nnkit calibrate --example sites --out results/     # 20 sites, the site descriptors as conditions

One sampler (``--method``: dbuq, inn, cinn or mcmc) is trained once on the ensemble, less ``--validate`` members held
out; it then answers every observation and calibrates the held-out members from their own outputs plus noise,
which scores it (interval coverage, SBC). Every input is checked before anything is written, and ``--out`` is
never overwritten without ``--force``.
"""
from __future__ import annotations

import hashlib
import json
import pickle
import time
from pathlib import Path

import numpy as np

from ..core.runtime import get_device, package_versions
from . import report
from .chunks import check_out, dask_client, load_chunks, plan, run_chunks, start_run, write_whole
from .ensemble import add_dask_arguments, check_dask_arguments
from .examples import EXAMPLES, example_predictive, example_scores, write_example
from .inputs import InputError, check_ensemble, check_observations, load_spec, load_table
from .methods import DEFAULT_ITERATIONS, METHODS, Unwhitened, fit_sampler, whitener

MAX_CORNER_PLOTS = 3      # corner plots for the first observations only; the draws hold them all
VALIDATION_DRAWS = 200    # posterior draws per held-out member
REFERENCE_ESS_FLOOR = 100  # the reference refuses an observation its runs weight onto fewer effective draws
SAMPLER_FILE = "sampler.pkl"   # the trained sampler, for --resume


def add_arguments(cal):
    """The options of ``nnkit calibrate`` on its subparser ``cal``."""
    cal.add_argument("--ensemble", type=Path, help="CSV (or netCDF) with the parameter and output columns")
    cal.add_argument("--spec", type=Path, help="TOML: parameters with bounds, observed outputs with their noise")
    cal.add_argument("--observations", type=Path, help="CSV (or netCDF): one row per observation to calibrate")
    cal.add_argument("--example", choices=EXAMPLES, help="a shipped mini land-model case (inputs written to "
                                                         "OUT/inputs): moflux, its ensemble and three observations; "
                                                         "sites, the ensemble across sites and 20 sites, the site "
                                                         "descriptors as conditions")
    cal.add_argument("--out", type=Path, required=True, help="directory for the results")
    cal.add_argument("--resume", action="store_true", help="continue an interrupted run in --out: the trained "
                                                           "sampler and the observations already answered are kept")
    cal.add_argument("--force", action="store_true", help="start over, overwriting the files of an earlier run")
    cal.add_argument("--method", choices=(*METHODS, "reference"), default="dbuq",
                     help="dbuq (default), inn, cinn (conditional INN), mcmc (BNN surrogate + adaptive Metropolis), "
                          "or reference: the exact posterior by importance sampling from the simulator's own runs "
                          "(--example moflux only)")
    cal.add_argument("--draws", type=int, default=1000, help="posterior draws per observation (default 1000)")
    cal.add_argument("--format", choices=("csv", "netcdf"), default="csv",
                     help="file of the posterior draws: draws.csv (long format, default) or draws.nc (one variable "
                          "per parameter over observation x draw; needs xarray: pip install 'nnkit[netcdf]')")
    cal.add_argument("--validate", type=int, help="ensemble members held out to score the sampler (default 50; "
                                                  "10 for mcmc, which runs chains per member; 0 skips it)")
    cal.add_argument("--iterations", type=int, help=f"training steps, or simulator runs for reference (defaults: "
                                                    f"{DEFAULT_ITERATIONS})")
    cal.add_argument("--seed", type=int, default=0)
    cal.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    cal.add_argument("--chunk", type=int, default=100, help="observations per chunk, the unit of work on Dask and "
                                                            "of resuming (default 100)")
    add_dask_arguments(cal, "default: a LocalCluster, one worker per core, when there is more than one chunk to "
                            "answer, else this process")
    cal.add_argument("--quiet", action="store_true", help="no progress bars")


class RunError(RuntimeError):
    """A run that started but cannot give an honest answer (e.g. a reference with too few effective draws)."""


def calibrate(args, argv):
    """Run one calibration as the parsed ``args`` say; writes into args.out."""
    for name in ("draws", "validate", "iterations", "chunk"):
        value = getattr(args, name)
        if value is not None and (value < 0 or (value == 0 and name != "validate")):
            raise InputError(f"--{name} must be a positive integer; got {value}")
    check_dask_arguments(args)
    if args.example and any((args.ensemble, args.spec, args.observations)):
        raise InputError("--example brings its own inputs; leave out --ensemble, --spec and --observations")
    if args.method == "reference" and args.example != "moflux":
        raise InputError("--method reference runs the simulator itself; here only --example moflux has one")
    if not args.example and not all((args.ensemble, args.spec, args.observations)):
        raise InputError("give --ensemble, --spec and --observations (or --example moflux)")
    try:
        get_device(args.device)
    except (ValueError, RuntimeError) as err:
        raise InputError(f"--device {args.device!r}: {err}") from None
    if args.format == "netcdf":
        report.check_netcdf_writer()
    check_out(args.out, args.resume, args.force)
    if args.example:
        args.ensemble, args.spec, args.observations = write_example(args.example, args.out / "inputs")
    spec = load_spec(args.spec)
    ensemble = load_table(args.ensemble, spec.parameters + spec.outputs + spec.conditions, "ensemble")
    check_ensemble(ensemble, spec)
    observed = load_table(args.observations, spec.outputs + spec.conditions, "observations")
    check_observations(observed, spec, ensemble)
    if spec.conditions and args.method == "inn":
        raise InputError(f"{spec.path}: --method inn cannot take [conditions]: its invertible map runs from the "
                         "parameters to the outputs, and the parameters do not make the conditions; use dbuq, cinn "
                         "or mcmc")
    n_validate = (10 if args.method == "mcmc" else 50) if args.validate is None else args.validate
    d = len(spec.parameters)
    if len(ensemble.values) - n_validate < 20:
        raise InputError(f"{ensemble.path}: {len(ensemble.values)} members leave fewer than 20 to train on after "
                         f"holding out --validate {n_validate}")
    settings = {"method": args.method, "seed": args.seed, "iterations": args.iterations, "draws": args.draws,
                "format": args.format, "validate": n_validate, "chunk": args.chunk, "device": args.device,
                "inputs": {name: digest(getattr(args, name)) for name in ("ensemble", "spec", "observations")}}
    start_run(args.out, settings, args.resume, stale=(SAMPLER_FILE,))
    run_calibration(args, argv, spec, ensemble, observed, n_validate, d)


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def run_calibration(args, argv, spec, ensemble, observed, n_validate, d):
    k, white = len(spec.outputs), whitener(spec.noise_covariance)
    theta, outputs, known = ensemble.values[:, :d], ensemble.values[:, d:d + k], ensemble.values[:, d + k:]

    def conditioned(y, c):
        """What the sampler sees: whitened outputs, then the conditions over their widths."""
        return np.hstack([y @ white.T, c / spec.condition_width])

    rng = np.random.default_rng(args.seed)
    held_out = rng.permutation(len(theta))[:n_validate]
    train = np.setdiff1d(np.arange(len(theta)), held_out)
    seconds, show = {}, not args.quiet
    start = time.perf_counter()
    sampler = trained_sampler(args, spec, theta[train], conditioned(outputs[train], known[train]))
    seconds["train"] = time.perf_counter() - start
    y_obs = conditioned(observed.values[:, :k], observed.values[:, k:])
    noise = rng.multivariate_normal(np.zeros(k), spec.noise_covariance, size=n_validate)
    y_val = conditioned(outputs[held_out] + noise, known[held_out])
    n_chunks = -(-len(y_obs) // args.chunk) + -(-n_validate // args.chunk)
    workers = args.workers if args.workers is not None or args.scheduler or n_chunks > 2 else 0
    with dask_client(workers, args.scheduler) as client:
        stage = "observations"
        try:
            start = time.perf_counter()
            draws = answer(sampler, y_obs, args.draws, args.seed, args, client, stage)
            seconds["answer"] = time.perf_counter() - start
            stage, start = "validation", time.perf_counter()
            val_draws = answer(sampler, y_val, VALIDATION_DRAWS, args.seed + 10_000, args, client, stage)
            seconds["validate"] = time.perf_counter() - start
        except ValueError as err:
            if args.method != "reference":
                raise
            raise RunError(f"--method reference, {stage}: {err} (--iterations sets the runs; --validate 0 skips the "
                           "self-validation); no results were written") from None
    files = ["draws.nc" if args.format == "netcdf" else "draws.csv", "summary.csv"]
    if args.format == "netcdf":
        report.write_draws_netcdf(args.out / files[0], observed.ids, draws, spec,
                                  {"method": args.method, "seed": args.seed, "command": "nnkit " + " ".join(argv)})
    else:
        report.write_csv(args.out / files[0], ("id", "draw", *spec.parameters), report.draw_rows(observed.ids, draws))
    summary = report.summary_rows(observed.ids, draws, spec.parameters, spec.lower, spec.upper)
    report.write_csv(args.out / "summary.csv", report.SUMMARY_COLUMNS, summary)
    for obs_id, x in list(zip(observed.ids, draws))[:MAX_CORNER_PLOTS]:
        name = f"corner_{_safe(obs_id)}.png"
        fig = report.corner_figure(x, spec.parameters, spec.lower, spec.upper, f"{args.method}: {obs_id}")
        fig.savefig(args.out / name, dpi=90)
        report.plt.close(fig)
        files.append(name)

    exact = None
    if args.example:
        start = time.perf_counter()
        exact = example_scores(args.example, observed.ids, draws)
        seconds["score"] = time.perf_counter() - start
        report.write_csv(args.out / "exact.csv", *exact)
        files += ["exact.csv", *example_predictive(args.example, observed.ids, draws, args.out, args.seed)]

    validation = None
    if n_validate:
        coverage, ranks, p_values = report.self_validation(theta[held_out], val_draws)
        header = ("parameter", *(f"coverage_{int(100 * level)}" for level in report.LEVELS), "sbc_p_value")
        rows = [(name, *map(float, coverage[:, i]), float(p_values[i])) for i, name in enumerate(spec.parameters)]
        report.write_csv(args.out / "validation.csv", header, rows)
        fig = report.validation_figure(coverage, ranks, VALIDATION_DRAWS, spec.parameters)
        fig.savefig(args.out / "validation.png", dpi=90)
        report.plt.close(fig)
        files += ["validation.csv", "validation.png"]
        validation = (header, rows)

    settings = run_settings(args, argv, spec, ensemble, observed, n_validate, seconds)
    (args.out / "run.json").write_text(json.dumps(settings, indent=2), encoding="utf-8")
    files.append("run.json")
    flat = {key: value for key, value in settings.items() if not isinstance(value, dict)}
    page = report.html_report(f"nnkit calibrate: {args.method}", flat, summary, validation, files, exact)
    (args.out / "report.html").write_text(page, encoding="utf-8")
    if show:
        print(f"{len(observed.ids)} observation(s) calibrated with {args.method} in {seconds['answer']:.1f} s after "
              f"{seconds['train']:.1f} s of training; results in {args.out}/report.html")


def trained_sampler(args, spec, theta, y_white):
    """The sampler of --method trained on theta (n, d) and whitened outputs (n, k), kept in OUT/sampler.pkl so a
    --resume answers with the very same one (loaded from there when it exists)."""
    path = args.out / SAMPLER_FILE
    if args.resume and path.exists():
        with open(path, "rb") as handle:
            return pickle.load(handle)     # written by this command into --out, not user input
    if args.method == "reference":
        from ..problems import landmodel as lm

        runs = args.iterations or DEFAULT_ITERATIONS["reference"]
        reference = lm.reference_sampler(runs, args.seed, REFERENCE_ESS_FLOOR, not args.quiet)
        reference.runs()            # the simulator runs now, once, not on every Dask worker
        sampler = Unwhitened(reference, spec.noise_covariance)
    else:
        sampler = fit_sampler(args.method, theta, y_white, spec.lower, spec.upper, args.iterations, args.seed,
                              args.device, not args.quiet, len(spec.conditions))
    write_whole(path, lambda handle: pickle.dump(sampler, handle))
    return sampler


def answer_chunk(chunk, sampler, y, n, seed):
    """Draws (chunk.size, n, d) for the rows chunk.start:chunk.stop of y (m, k); row i is seeded seed + i, so the
    chunking does not change the numbers."""
    return {"draws": np.stack([sampler.sample(y[i], n, seed=seed + i) for i in range(chunk.start, chunk.stop)])}


def answer(sampler, y, n, seed, args, client, name):
    """Draws (m, n, d) for every row of y (m, k), in chunks of --chunk rows kept in OUT/chunks/<name>/."""
    if len(y) == 0:
        return np.empty((0, n, 0))
    chunks, directory = plan(len(y), args.chunk, seed), args.out / "chunks" / name
    run_chunks(answer_chunk, chunks, directory, client, not args.quiet, name,
               shared={"sampler": sampler, "y": y, "n": n, "seed": seed})
    return load_chunks(chunks, directory)["draws"]


def _safe(text):
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


def run_settings(args, argv, spec, ensemble, observed, n_validate, seconds):
    """Everything needed to repeat the run: the command, the inputs (with checksums), seeds, sizes, versions."""
    return {
        "command": "nnkit " + " ".join(argv), "method": args.method, "seed": args.seed, "device": args.device,
        "iterations": args.iterations or DEFAULT_ITERATIONS[args.method], "draws": args.draws,
        "ensemble_members": len(ensemble.values), "held_out_for_validation": n_validate,
        "observations": len(observed.ids), "chunk": args.chunk, "workers": args.workers,
        "scheduler": args.scheduler, "resumed": args.resume, "parameters": ", ".join(spec.parameters),
        "outputs": ", ".join(spec.outputs), "conditions": ", ".join(spec.conditions),
        "inputs": {str(p): digest(p) for p in (args.spec, args.ensemble, args.observations)},
        "seconds": {key: round(value, 2) for key, value in seconds.items()},
        "versions": package_versions(),
    }
