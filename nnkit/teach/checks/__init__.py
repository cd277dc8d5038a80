"""Self-checks for the notebook exercises, one module per lesson group: ``basics`` (01-03), ``spectral`` (04-06),
``inference`` (07-12), ``sites`` (13) and ``seaice`` (14). A notebook imports its group's module as ``checks``.

Each ``check_*`` calls the student's function on a few seeded random cases and compares it with nnkit's own
implementation. It prints a line and returns True when every case agrees, returns False (with a hint) while the
exercise still raises ``NotImplementedError``, and raises ``AssertionError`` saying what differs otherwise, so a
student notebook runs top to bottom before the exercises are done and stops at a wrong answer. The checks draw
their cases from local generators, so they leave the notebook's random state alone.
"""
from __future__ import annotations

import numpy as np


def compare(name, student_fn, cases, reference_fn, labels):
    """Run student_fn and reference_fn on every case (a tuple of arguments); see the module docstring.

    labels name the values the functions return (a tuple of that length, or one value for one label)."""
    for k, args in enumerate(cases):
        try:
            got = student_fn(*args)
        except NotImplementedError:
            print(f"… {name} is not implemented yet: fill in the exercise cell above, then run this cell again.")
            return False
        expected = reference_fn(*args)
        got = got if isinstance(got, tuple) else (got,)
        if len(got) != len(expected):
            raise AssertionError(f"{name} must return {len(expected)} values ({', '.join(labels)}); got {len(got)}")
        for label, g, e in zip(labels, got, expected):
            g = np.asarray(g, dtype=np.float64)
            if g.shape != np.shape(e):
                raise AssertionError(f"{name}: {label} must have shape {np.shape(e)}; got {g.shape} (case {k})")
            if not np.allclose(g, e, rtol=1e-7, atol=1e-10):
                raise AssertionError(f"{name}: {label} is wrong in case {k}:\n expected {np.round(e, 6)}\n"
                                     f" got      {np.round(g, 6)}")
    print(f"✓ {name} agrees with nnkit on {len(cases)} random cases.")
    return True
