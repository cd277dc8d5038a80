"""Interactive explorers for the notebooks, one module per lesson group: ``basics`` (01-03), ``spectral``
(04-06), ``inference`` (07-13) and ``seaice`` (14). A notebook imports its group's module as ``widgets``.

Each explorer is a plain ``*_demo`` function that draws and returns a figure (tests call these directly, because
ipywidgets swallows exceptions raised inside ``interact`` callbacks) plus a thin ``*_explorer`` built by
``explorer`` that wires it to controls.
"""
from __future__ import annotations

import inspect

import matplotlib.pyplot as plt


def explorer(draw, button=None, **controls):
    """``ipywidgets.interactive`` over ``draw(**values)``, which returns a figure or a tuple whose first item is
    the figure; the figure is shown inline. controls: one ipywidget per argument of draw. button: the label of a
    button that runs draw (for draws that train something); None redraws whenever a control moves."""
    import ipywidgets as widgets

    def show(**values):
        out = draw(**values)
        plt.show()
        return out[0] if isinstance(out, tuple) else out

    show.__signature__ = inspect.Signature([inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY)
                                            for name in controls])
    options = {"manual": True, "manual_name": button} if button else {}
    return widgets.interactive(show, options, **controls)
