"""Explorer for lesson 14: a sea-ice rollout against the truth at any lead time."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from . import explorer


def seaice_rollout_demo(truth, forecasts, mask, lead, step_hours=12):
    """Thickness at one lead of a rollout: the truth, every forecast in ``forecasts`` (name -> (L, ny, nx), m) and
    each one's error, land grey. truth: (L, ny, nx); lead: 1..L (steps). Returns the figure."""
    if not 1 <= lead <= len(truth):
        raise ValueError(f"lead must be in 1..{len(truth)}; got {lead!r}")
    names = list(forecasts)
    fig, axes = plt.subplots(2, len(names) + 1, figsize=(3.4 * (len(names) + 1), 6.2), squeeze=False)
    land = np.where(mask, np.nan, 1.0)
    vmax = float(np.quantile(truth[:, mask], 0.99))
    panels = [("truth", truth[lead - 1])] + [(name, forecasts[name][lead - 1]) for name in names]
    for ax, (name, field) in zip(axes[0], panels):
        im = ax.imshow(np.where(mask, field, np.nan), cmap="Blues_r", vmin=0, vmax=vmax)
        ax.imshow(land, cmap="Greys", vmin=0, vmax=2)
        ax.set(title=name, xticks=[], yticks=[])
    fig.colorbar(im, ax=axes[0].tolist(), label="thickness (m)", shrink=0.8)
    axes[1, 0].set_visible(False)
    for ax, name in zip(axes[1, 1:], names):
        error = np.where(mask, forecasts[name][lead - 1] - truth[lead - 1], np.nan)
        rmse = float(np.sqrt(np.nanmean(error**2)))
        im = ax.imshow(error, cmap="RdBu_r", vmin=-0.5, vmax=0.5)
        ax.imshow(land, cmap="Greys", vmin=0, vmax=2)
        ax.set(title=f"{name} - truth (RMSE {rmse:.2f} m)", xticks=[], yticks=[])
    fig.colorbar(im, ax=axes[1].tolist(), label="error (m)", shrink=0.8)
    fig.suptitle(f"lead {lead * step_hours / 24:g} days")
    return fig


def seaice_rollout_explorer(truth, forecasts, mask, step_hours=12):
    """A lead-time slider for ``seaice_rollout_demo``."""
    import ipywidgets as widgets

    return explorer(lambda lead: seaice_rollout_demo(truth, forecasts, mask, lead, step_hours),
                    lead=widgets.IntSlider(value=1, min=1, max=len(truth), description="lead (steps)",
                                           continuous_update=False))
