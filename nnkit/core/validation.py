"""Argument checks shared by every module: each raises ``ValueError`` naming the argument and what was expected."""
from __future__ import annotations

import numbers

import numpy as np


def as_float_array(value, name, ndim=None, dtype=np.float64):
    """Convert ``value`` to a finite float array, checking its number of dimensions.

    ndim: an int or a tuple of allowed ints; None accepts any.
    """
    try:
        arr = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be numeric array-like; got {type(value).__name__}") from err
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if allowed is not None and arr.ndim not in allowed:
        want = " or ".join(f"{d}-D" for d in allowed)
        hint = "; reshape a 1-D array with x[:, None]" if arr.ndim == 1 and 2 in allowed else ""
        raise ValueError(f"{name} must be {want}; got shape {arr.shape}{hint}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} NaN or inf value(s); clean or drop them first")
    return arr


def check_same_rows(a, b, name_a, name_b):
    """Require ``a`` and ``b`` to have the same number of samples (first axis)."""
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"{name_a} and {name_b} must have the same number of samples; "
            f"got {a.shape[0]} and {b.shape[0]}"
        )


def check_positive(value, name, integer=False):
    """Require a positive real (or, with ``integer=True``, a positive int); return it."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind) or not np.isfinite(value) or value <= 0:
        what = "a positive integer" if integer else "a positive finite number"
        raise ValueError(f"{name} must be {what}; got {value!r}")
    return value


def check_per_output(value, name, k, allow_zero=False):
    """Require a positive number (broadcast to k) or k positive numbers, one per output (with ``allow_zero``,
    numbers >= 0); return them as (k,)."""
    arr = as_float_array(value, name, ndim=(0, 1))
    arr = np.broadcast_to(arr, (k,)).copy() if arr.ndim == 0 else arr
    if arr.shape != (k,) or np.any(arr < 0 if allow_zero else arr <= 0):
        what = f"a number >= 0 or {k} numbers >= 0" if allow_zero else f"a positive number or {k} positive numbers"
        raise ValueError(f"{name} must be {what} (one per output); got {value!r}")
    return arr


def check_choice(value, name, choices):
    """Require ``value`` to be one of ``choices``; return it."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}; got {value!r}")
    return value


def check_nonnegative(value, name):
    """Require a finite real >= 0; return it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    return value


def check_fraction(value, name, include_zero=True, include_one=False):
    """Require a real in [0, 1) (the ends included or not as asked); return it."""
    real = isinstance(value, numbers.Real) and not isinstance(value, bool)
    low_ok = real and (value >= 0 if include_zero else value > 0)
    high_ok = real and (value <= 1 if include_one else value < 1)
    if not (low_ok and high_ok):
        interval = ("[" if include_zero else "(") + "0, 1" + ("]" if include_one else ")")
        raise ValueError(f"{name} must be in {interval}; got {value!r}")
    return value


def check_observation(y_obs, k, what="outputs"):
    """One observation as a finite (k,) array (a (1, k) row is accepted), or a ValueError naming y_obs and k."""
    y_obs = as_float_array(y_obs, "y_obs", ndim=(0, 1, 2)).reshape(-1)
    if y_obs.shape != (k,):
        raise ValueError(f"y_obs must hold {k} values (one per {what}); got {y_obs.size}")
    return y_obs


def check_regression_data(x, y):
    """x (n, d) and y (n, k) or (n,) with n >= 2, returned as float arrays (n, d) and (n, k)."""
    x = as_float_array(x, "x", ndim=2)
    y = as_float_array(y, "y", ndim=(1, 2))
    y = y[:, None] if y.ndim == 1 else y
    check_same_rows(x, y, "x", "y")
    if x.shape[0] < 2:
        raise ValueError(f"x needs at least 2 samples to fit; got {x.shape[0]}")
    return x, y


def check_correlation(value, k, name="error_correlation"):
    """A correlation matrix (k, k): symmetric, unit diagonal, positive definite; returned as float64."""
    r = as_float_array(value, name, ndim=2)
    if r.shape != (k, k):
        raise ValueError(f"{name} must be a ({k}, {k}) correlation matrix; got shape {r.shape}")
    if not (np.allclose(r, r.T, atol=1e-8) and np.allclose(np.diag(r), 1.0, atol=1e-8)):
        raise ValueError(f"{name} must be symmetric with a unit diagonal (a correlation matrix)")
    smallest = np.linalg.eigvalsh(r).min()
    if smallest <= 1e-10:
        raise ValueError(f"{name} must be positive definite; its smallest eigenvalue is {smallest:.3g} (more "
                         f"held-out runs than outputs make it so)")
    return r
