"""nnkit: a notebook-first kit for teaching and doing machine learning for Earth-system science.

The package holds every algorithm, in layers by role (see ARCHITECTURE.md): ``core`` (infrastructure), ``basics``
(lessons 01-03), ``spectral`` (04-06), ``inference`` (07-13), ``problems`` (toys, Navier-Stokes, the land model, the
sea-ice model) and ``teach`` (self-checks, widgets, plotting). The notebooks in ``notebooks/`` tell the story.
"""
from .core.runtime import get_device, seed_everything

__version__ = "0.1.0"
__all__ = ["get_device", "seed_everything", "__version__"]
