"""What ``nnkit calibrate`` writes: posterior draws and their summary (CSV), corner plots, the self-validation on
held-out ensemble members (coverage, SBC ranks, plots) and one HTML page linking all of it."""
from __future__ import annotations

import csv
import html

import matplotlib.pyplot as plt
import numpy as np

from ..inference.sbc import ecdf_band, interval_coverage, sbc_ranks, sbc_uniformity

LEVELS = (0.5, 0.8, 0.95)
SUMMARY_COLUMNS = ("id", "parameter", "mean", "sd", "q2.5", "q50", "q97.5", "sd_over_prior_sd")


def write_csv(path, header, rows):
    """rows: sequences of values in header's order; floats written with 7 significant digits."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([f"{v:.7g}" if isinstance(v, float) else v for v in row] for row in rows)


def draw_rows(ids, draws):
    """Long-format rows (id, draw, parameters...) of draws (m, n, d) for m observations."""
    return [(obs_id, j, *map(float, x)) for obs_id, per_obs in zip(ids, draws) for j, x in enumerate(per_obs)]


def check_netcdf_writer():
    """Raise InputError (before anything is written) when xarray or its h5netcdf engine is missing."""
    from .inputs import InputError

    try:
        import h5netcdf  # noqa: F401  (the engine xarray writes with)
        import xarray  # noqa: F401
    except ImportError:
        raise InputError("--format netcdf needs xarray and h5netcdf (pip install 'nnkit[netcdf]')") from None


def write_draws_netcdf(path, ids, draws, spec, attrs):
    """Draws (m, n, d) as netCDF: one variable per parameter over (observation, draw), with the observation ids as
    coordinate, each variable's prior bounds as attributes, and ``attrs`` (method, seed, command) on the file."""
    import xarray

    data = xarray.Dataset(
        {name: (("observation", "draw"), draws[:, :, i], {"prior_lower": float(spec.lower[i]),
                                                           "prior_upper": float(spec.upper[i])})
         for i, name in enumerate(spec.parameters)},
        coords={"observation": list(ids), "draw": np.arange(draws.shape[1])},
        attrs={"title": "posterior draws from nnkit calibrate", **attrs})
    data.to_netcdf(path, engine="h5netcdf")


def summary_rows(ids, draws, names, lower, upper):
    """One row per observation and parameter: mean, sd, 2.5/50/97.5 % and the posterior sd over the prior sd
    (uniform prior: (upper - lower) / sqrt(12)); near 1: the data say little about the parameter."""
    prior_sd = (np.asarray(upper) - np.asarray(lower)) / np.sqrt(12)
    rows = []
    for obs_id, x in zip(ids, draws):
        q = np.quantile(x, [0.025, 0.5, 0.975], axis=0)
        for i, name in enumerate(names):
            sd = float(x[:, i].std())
            rows.append((obs_id, name, float(x[:, i].mean()), sd, *map(float, q[:, i]), sd / prior_sd[i]))
    return rows


def corner_figure(x, names, lower, upper, title):
    """Histograms on the diagonal and pairwise scatter below it, of draws x (n, d) over the prior box."""
    d = x.shape[1]
    fig, axes = plt.subplots(d, d, figsize=(1.6 * d + 1, 1.6 * d + 1), squeeze=False)
    for i in range(d):
        for j in range(d):
            ax = axes[i, j]
            if j > i:
                ax.axis("off")
                continue
            if i == j:
                ax.hist(x[:, i], bins=30, range=(lower[i], upper[i]), color="tab:blue", alpha=0.7)
                ax.set_yticks([])
            else:
                ax.scatter(x[:, j], x[:, i], s=1, alpha=0.3, color="tab:blue")
                ax.set(xlim=(lower[j], upper[j]), ylim=(lower[i], upper[i]))
            ax.tick_params(labelsize=6)
            if i == d - 1:
                ax.set_xlabel(names[j], fontsize=7)
            if j == 0 and i > 0:
                ax.set_ylabel(names[i], fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def self_validation(truths, draws):
    """Coverage (len(LEVELS), d) of the central intervals, SBC ranks (m, d) and the ECDF-test p-values (d,) of
    held-out members' true parameters truths (m, d) under their posterior draws (m, L, d)."""
    ranks = sbc_ranks(truths, draws)
    return interval_coverage(truths, draws, LEVELS), ranks, sbc_uniformity(ranks, draws.shape[1])


def validation_figure(coverage, ranks, n_draws, names):
    """Coverage against the nominal level per parameter, and the ranks' ECDF minus uniform inside the 95 % band."""
    from ..teach.plotting import plot_ecdf_difference

    fig, (ax_cov, ax_ecdf) = plt.subplots(1, 2, figsize=(12, 4))
    for i, name in enumerate(names):
        ax_cov.plot(LEVELS, coverage[:, i], "o-", lw=0.8, label=name)
    ax_cov.plot([0.4, 1], [0.4, 1], color="k", lw=0.8)
    ax_cov.set(xlabel="nominal level of the central interval", ylabel="share of held-out truths inside",
               title="interval coverage")
    ax_cov.legend(fontsize=7)
    band = ecdf_band(len(ranks), n_draws)
    for i, name in enumerate(names):
        plot_ecdf_difference(ax_ecdf, ranks[:, i], n_draws, band, label=name)
    ax_ecdf.set_title("SBC: ECDF of the ranks minus uniform (95 % band)")
    fig.tight_layout()
    return fig


def html_report(title, settings, summary, validation, files, exact=None):
    """One self-contained HTML page: the settings, the summary table, the validation, the scores against an exact
    posterior where there is one (exact: (header, rows)) and links to every file."""
    esc = html.escape

    def table(header, rows):
        head = "".join(f"<th>{esc(str(h))}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{esc(f'{v:.4g}' if isinstance(v, float) else str(v))}</td>"
                                         for v in row) + "</tr>" for row in rows)
        return f"<table><tr>{head}</tr>{body}</table>"

    images = "".join(f'<p><img src="{esc(f)}" style="max-width:100%"></p>' for f in files if f.endswith(".png"))
    links = "".join(f'<li><a href="{esc(f)}">{esc(f)}</a></li>' for f in files)
    parts = [f"<h1>{esc(title)}</h1>", "<h2>Settings</h2>", table(("setting", "value"), settings.items()),
             "<h2>Posterior summary</h2>", table(SUMMARY_COLUMNS, summary)]
    if exact is not None:
        parts += ["<h2>Against the exact posterior</h2>", table(*exact)]
    if validation is not None:
        parts += ["<h2>Self-validation on held-out ensemble members</h2>", table(*validation)]
    parts += ["<h2>Figures</h2>", images, "<h2>Files</h2>", f"<ul>{links}</ul>"]
    style = ("body{font-family:sans-serif;max-width:1100px;margin:auto}"
             "td,th{padding:2px 8px;border-bottom:1px solid #ddd}")
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{esc(title)}</title><style>{style}</style>" \
           f"</head><body>{''.join(parts)}</body></html>"
