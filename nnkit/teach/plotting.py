"""The kit's figure style and the drawing functions that notebooks and widgets share."""
from __future__ import annotations

import numpy as np


def use_style():
    """Apply the kit's one figure style (seaborn 'whitegrid', readable fonts)."""
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook", rc={"figure.dpi": 100, "axes.titleweight": "bold"})


def plot_loss_surface(ax, w_grid, b_grid, J, trajectory=None, levels=30, log=True):
    """Contours of J(w, b) (shape (len(b_grid), len(w_grid))) with the descent path of a ``gd.Trajectory``."""
    values = np.log10(J) if log else J
    cs = ax.contourf(w_grid, b_grid, values, levels=levels, cmap="viridis")
    ax.figure.colorbar(cs, ax=ax, label="log10 J" if log else "J")
    if trajectory is not None:
        w, b = trajectory.w[:, 0], trajectory.b
        inside = (w >= w_grid[0]) & (w <= w_grid[-1]) & (b >= b_grid[0]) & (b <= b_grid[-1])
        ax.plot(w[inside], b[inside], ".-", color="tab:red", lw=1.2, ms=4, label="descent path")
        ax.plot(w[0], b[0], "o", color="white", mec="k", label="start")
        ax.legend(loc="upper left", fontsize="small")
    ax.set(xlabel="w", ylabel="b", xlim=(w_grid[0], w_grid[-1]), ylim=(b_grid[0], b_grid[-1]))
    return ax


def plot_loss_curve(ax, losses, label=None, ylabel="loss J"):
    """Loss against step on a log scale."""
    ax.semilogy(np.arange(len(losses)), losses, label=label)
    ax.set(xlabel="step", ylabel=ylabel)
    return ax


def plot_frequency_heatmap(ax, history, level=None):
    """Relative error per frequency (columns) against training step (rows) from a ``spectral.bias.SpectralHistory``.

    level: mark where each frequency's error first drops to this value (e.g. 0.1).
    """
    import seaborn as sns

    step = max(1, len(history.steps) // 20)
    sns.heatmap(history.errors, ax=ax, vmin=0, vmax=1, cmap="magma_r", cbar_kws={"label": "relative error"},
                xticklabels=[f"{k:g}" for k in history.freqs], yticklabels=step)
    ax.set_yticklabels([f"{history.steps[i]:d}" for i in range(0, len(history.steps), step)], rotation=0)
    if level is not None:
        reached = history.errors <= level
        cols = np.flatnonzero(reached.any(axis=0))
        ax.plot(cols + 0.5, np.argmax(reached, axis=0)[cols] + 0.5, "o", color="cyan", mec="k",
                label=f"first error <= {level:g}")
        ax.legend(loc="lower left", fontsize="small")
    ax.set(xlabel="frequency k (cycles per domain)", ylabel="step")
    return ax


def plot_yearly_bands(axes, years, variables, units, mean, std, truth=None, label="surrogate",
                      truth_label="model run"):
    """One panel per variable: mean +- 2 std (n_vars * n_years,) against the year, truth as black squares.

    Values are ordered variable-major (all years of the first variable, then the next), as the land-model outputs.
    """
    n_years = len(years)
    for i, (ax, var) in enumerate(zip(axes, variables)):
        sl = slice(i * n_years, (i + 1) * n_years)
        ax.errorbar(years, mean[sl], yerr=2 * std[sl], fmt="o-", capsize=4, label=f"{label} ± 2 sd")
        if truth is not None:
            ax.plot(years, truth[sl], "ks", ms=5, label=truth_label)
        ax.set(title=var, xlabel="year", ylabel=f"{var} ({units[var]})", xticks=years)
    axes[0].legend()


def plot_output_heatmap(ax, values, years, variables, title, fmt=".2f", cmap="viridis", **kwargs):
    """Heat map of values (n_vars * n_years,) laid out as variables x years, annotated."""
    import seaborn as sns

    table = np.asarray(values).reshape(len(variables), len(years))
    sns.heatmap(table, ax=ax, annot=True, fmt=fmt, cmap=cmap, xticklabels=years, yticklabels=variables, **kwargs)
    ax.set_title(title)


def plot_rank_histogram(ax, ranks, n_draws, bins=20, level=0.99):
    """Histogram of SBC ranks (m,) in 0..n_draws over ``bins`` bins, with the grey band that each bin of a uniform
    histogram stays in with probability ``level`` (binomial)."""
    from scipy import stats

    ranks = np.asarray(ranks)
    edges = np.linspace(0, n_draws + 1, bins + 1)
    lo, hi = stats.binom.interval(level, len(ranks), 1 / bins)
    ax.axhspan(lo, hi, color="0.85", label=f"uniform, {level:.0%} per bin")
    ax.hist(ranks, bins=edges, color="tab:purple", alpha=0.8)
    ax.set(xlabel=f"rank of the truth among {n_draws} draws", ylabel="count")
    return ax


def plot_ecdf_difference(ax, ranks, n_draws, band, label=None):
    """F(z) - z of SBC ranks (m,) in 0..n_draws against the fractional rank z, with the simultaneous ``band``
    (an ``inference.sbc.ECDFBand``): calibrated ranks keep the curve inside it."""
    from ..inference.sbc import rank_ecdf

    ecdf = rank_ecdf(ranks, n_draws)[:, 0]
    ax.fill_between(band.z, band.lower - band.z, band.upper - band.z, color="0.85",
                    label=f"{band.level:.0%} simultaneous band")
    ax.plot(band.z, ecdf - band.z, label=label)
    ax.axhline(0, color="k", lw=0.8)
    ax.set(xlabel="fractional rank z", ylabel="ECDF(z) - z")
    return ax
