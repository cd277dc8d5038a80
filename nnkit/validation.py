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


def check_per_output(value, name, k):
    """Require a positive number (broadcast to k) or k positive numbers, one per output; return them as (k,)."""
    arr = as_float_array(value, name, ndim=(0, 1))
    arr = np.broadcast_to(arr, (k,)).copy() if arr.ndim == 0 else arr
    if arr.shape != (k,) or np.any(arr <= 0):
        raise ValueError(f"{name} must be a positive number or {k} positive numbers (one per output); got {value!r}")
    return arr


def check_choice(value, name, choices):
    """Require ``value`` to be one of ``choices``; return it."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}; got {value!r}")
    return value
