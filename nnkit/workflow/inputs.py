"""What ``nnkit calibrate`` reads, each checked before anything is written: the spec (TOML), the ensemble and the
observations (CSV, or netCDF through xarray). Every error is an ``InputError`` naming the file and, where they
apply, the column and the line (the CSV header is line 1).

The spec::

    [parameters]          # name = [lower, upper] of the uniform prior, in the column's units
    rootb_par = [0.5, 4.0]

    [outputs]             # observed output = its noise sd, in the column's units
    LH_2006 = 1.5

or, for correlated noise, ``outputs = ["LH_2006", ...]`` with ``noise_covariance = [[...], ...]`` (k x k, in that
order). An optional ``[conditions]`` table names columns that are known for each observation rather than
calibrated (site descriptors, say): the ensemble varies them, each observation row gives its own, and the sampler
is conditioned on them; its value is a width in the column's units, how far apart two rows may be and still inform
each other (DBUQ's kernel width; MCMC takes them as inputs of its surrogate, the INN cannot take them)::

    [conditions]          # known column = its width
    latitude = 2.6

The observations table has the output and condition columns and, optionally, an ``id`` column naming each row.
"""
from __future__ import annotations

import csv
import gzip
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


class InputError(ValueError):
    """Bad input for a calibration; the message names the file, and the column and line where they apply."""


@dataclass(frozen=True)
class Spec:
    """Parameters with their uniform prior bounds (d,), observed outputs and their noise covariance (k, k), and
    the conditions known per observation with their widths (c,)."""

    path: Path
    parameters: tuple
    lower: np.ndarray
    upper: np.ndarray
    outputs: tuple
    noise_covariance: np.ndarray
    conditions: tuple = ()
    condition_width: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def noise_sd(self):
        """Noise sd per output (k,)."""
        return np.sqrt(np.diag(self.noise_covariance))


@dataclass(frozen=True)
class Table:
    """Named float columns of one file: values (n, len(columns)); ids (n,) names the rows."""

    path: Path
    columns: tuple
    values: np.ndarray
    ids: tuple
    lines: tuple  # the file line of every row (CSV), or its index (netCDF), for error messages


def load_spec(path):
    """Read and check a spec file; returns a ``Spec``."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such spec file") from None
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"{path}: not valid TOML ({err})") from None
    unknown = set(raw) - {"parameters", "outputs", "noise_covariance", "conditions"}
    if unknown:
        raise InputError(f"{path}: unknown key(s) {sorted(unknown)}; a spec has [parameters], [outputs] and, with a "
                         "list of outputs, noise_covariance, and optionally [conditions]")
    parameters = raw.get("parameters")
    if not isinstance(parameters, dict) or not parameters:
        raise InputError(f"{path}: needs a [parameters] table of name = [lower, upper]")
    bounds = []
    for name, value in parameters.items():
        if (not isinstance(value, list) or len(value) != 2 or not all(_is_number(v) for v in value)
                or not np.all(np.isfinite(value)) or value[0] >= value[1]):
            raise InputError(f"{path}: parameter {name!r}: bounds must be [lower, upper] with finite lower < upper; "
                             f"got {value!r}")
        bounds.append(value)
    outputs, covariance = _outputs_and_noise(path, raw)
    conditions = raw.get("conditions", {})
    if not isinstance(conditions, dict):
        raise InputError(f"{path}: [conditions] must be a table of name = width")
    for name, width in conditions.items():
        if not _is_number(width) or not np.isfinite(width) or width <= 0:
            raise InputError(f"{path}: condition {name!r}: the width must be a positive number; got {width!r}")
    names = [*parameters, *outputs, *conditions]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise InputError(f"{path}: column(s) {twice} named in more than one of [parameters], [outputs] and "
                         "[conditions]")
    bounds = np.array(bounds, dtype=float)
    return Spec(path, tuple(parameters), bounds[:, 0], bounds[:, 1], outputs, covariance, tuple(conditions),
                np.array(list(conditions.values()), dtype=float))


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _outputs_and_noise(path, raw):
    outputs = raw.get("outputs")
    if isinstance(outputs, dict) and outputs:
        if "noise_covariance" in raw:
            raise InputError(f"{path}: give the noise either as [outputs] name = sd or as a list of outputs with "
                             "noise_covariance, not both")
        for name, sd in outputs.items():
            if not _is_number(sd) or not np.isfinite(sd) or sd <= 0:
                raise InputError(f"{path}: output {name!r}: the noise sd must be a positive number; got {sd!r}")
        return tuple(outputs), np.diag(np.array(list(outputs.values()), dtype=float) ** 2)
    if isinstance(outputs, list) and outputs and all(isinstance(o, str) for o in outputs):
        cov = raw.get("noise_covariance")
        k = len(outputs)
        try:
            cov = np.array(cov, dtype=float)
        except (TypeError, ValueError):
            cov = None
        if cov is None or cov.shape != (k, k):
            raise InputError(f"{path}: noise_covariance must be a {k} x {k} list of lists, one row per output")
        if not np.allclose(cov, cov.T) or np.any(np.linalg.eigvalsh(cov) <= 0):
            raise InputError(f"{path}: noise_covariance must be symmetric and positive definite")
        return tuple(outputs), cov
    raise InputError(f"{path}: needs an [outputs] table of name = noise sd, or outputs = [names] with "
                     "noise_covariance")


def load_table(path, columns, what):
    """Read the named float columns of a CSV (plain or gzipped, ``.gz``) or netCDF file (``what`` says which input
    it is, for messages)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such {what} file")
    if path.suffix in (".nc", ".nc4", ".netcdf"):
        return _load_netcdf(path, columns, what)
    content = gzip.decompress(path.read_bytes()).decode("utf-8") if path.suffix == ".gz" else path.read_text("utf-8")
    numbered = [(number, text) for number, text in enumerate(content.splitlines(), 1)
                if text.strip() and not text.startswith("#")]        # comment lines keep the numbering true
    if not numbered:
        raise InputError(f"{path}: the {what} file is empty")
    header = [h.strip() for h in next(csv.reader([numbered[0][1]]))]
    _check_columns(path, what, header, columns)
    index = [header.index(c) for c in columns]
    values, ids, lines = [], [], []
    for line, row in zip((n for n, _ in numbered[1:]), csv.reader(t for _, t in numbered[1:])):
        if len(row) != len(header):
            raise InputError(f"{path}: line {line} has {len(row)} values; the header names {len(header)} columns")
        values.append([_number(path, row[i], header[i], line) for i in index])
        ids.append(row[header.index("id")].strip() if "id" in header else f"row_{len(ids) + 1}")
        lines.append(line)
    if not values:
        raise InputError(f"{path}: the {what} file has no data rows")
    return Table(path, tuple(columns), np.array(values, dtype=float), tuple(ids), tuple(lines))


def _check_columns(path, what, present, wanted):
    missing = [c for c in wanted if c not in present]
    if missing:
        raise InputError(f"{path}: the {what} has no column {', '.join(map(repr, missing))} named in the spec; its "
                         f"columns are {', '.join(present)}")


def _number(path, text, column, line):
    try:
        return float(text) if text.strip() else np.nan
    except ValueError:
        raise InputError(f"{path}: column {column!r}, line {line}: {text!r} is not a number") from None


def _load_netcdf(path, columns, what):
    try:
        import xarray
    except ImportError:
        raise InputError(f"{path}: reading netCDF needs xarray (pip install 'nnkit[netcdf]')") from None
    with xarray.open_dataset(path) as data:
        _check_columns(path, what, list(data.data_vars), columns)
        values = np.stack([np.asarray(data[c].values, dtype=float).ravel() for c in columns], axis=1)
        dim = data[columns[0]].dims[0] if data[columns[0]].dims else None
        ids = [str(v) for v in data[dim].values] if dim in data.coords else [f"row_{i + 1}" for i in range(len(values))]
    return Table(path, tuple(columns), values, tuple(ids), tuple(range(len(values))))


def check_ensemble(table, spec):
    """The ensemble's parameters lie within the spec's bounds and no value is missing."""
    _check_finite(table, "every ensemble member needs every column")
    d = len(spec.parameters)
    outside = (table.values[:, :d] < spec.lower) | (table.values[:, :d] > spec.upper)
    if outside.any():
        row, col = map(int, np.argwhere(outside)[0])
        raise InputError(f"{table.path}: column {spec.parameters[col]!r}, line {table.lines[row]}: "
                         f"{table.values[row, col]:g} lies outside the spec's bounds [{spec.lower[col]:g}, "
                         f"{spec.upper[col]:g}] ({int(outside.sum())} value(s) outside in all)")


def check_observations(table, spec=None, ensemble=None):
    """Every observation has every column; its conditions (``spec.conditions``) lie within the ensemble's range."""
    _check_finite(table, f"every observation needs all {len(table.columns)} columns")
    if spec is None or not spec.conditions:
        return
    c = len(spec.conditions)
    low, high = ensemble.values[:, -c:].min(axis=0), ensemble.values[:, -c:].max(axis=0)
    outside = (table.values[:, -c:] < low) | (table.values[:, -c:] > high)
    if outside.any():
        row, col = map(int, np.argwhere(outside)[0])
        raise InputError(f"{table.path}: column {spec.conditions[col]!r}, line {table.lines[row]}: "
                         f"{table.values[row, -c + col]:g} lies outside the ensemble's range [{low[col]:g}, "
                         f"{high[col]:g}], where it has no members to learn from")


def _check_finite(table, why):
    bad = ~np.isfinite(table.values)
    if bad.any():
        row, col = map(int, np.argwhere(bad)[0])
        raise InputError(f"{table.path}: column {table.columns[col]!r}, line {table.lines[row]}: missing value "
                         f"(empty or NaN); {why}")
