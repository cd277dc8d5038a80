"""The shipped cases behind ``nnkit calibrate --example NAME``, each scored against its exact posterior, computed
from the simulator itself, and run through the simulator for its posterior predictive.

    moflux   the MOFLUX ensemble (2000 runs) and its three observation cases (``data/elm_moflux/``)
    sites    the ensemble across sites and 20 site cases, the site descriptors given as conditions
             (``data/elm_sites/``)
"""
from __future__ import annotations

import numpy as np

from . import report

EXAMPLES = ("moflux", "sites")
PREDICTIVE_RUNS = 100     # simulator runs per observation for the posterior predictive
PREDICTIVE_PLOTS = 3      # observations shown in predictive.png; predictive.csv holds them all


def write_example(name, directory):
    """Write the example's spec and observations table into ``directory`` as ``nnkit calibrate`` inputs: the 8
    land-model parameters, the 5 annual LH values (noise sd 1.5 W/m2) and, for sites, the 3 site descriptors as
    conditions. Returns (ensemble, spec, observations) paths; the ensemble is the shipped CSV."""
    from ..problems import landmodel as lm
    from ..problems.landmodel import sites

    directory.mkdir(parents=True, exist_ok=True)
    lines = [f"# nnkit calibrate spec: the mini land model ({name}), calibrated from annual latent heat",
             "[parameters]            # name = [lower, upper] of the uniform prior"]
    lines += [f"{p.name} = [{p.low!r}, {p.high!r}]    # {p.unit}" for p in lm.PARAMETERS]
    lines += ["", "[outputs]               # observed column = noise sd (W/m2)"]
    lines += [f"{output} = {sites.LH_NOISE_SD!r}" for output in lm.CALIBRATED_OUTPUTS]
    columns = [lm.OUTPUT_NAMES.index(output) for output in lm.CALIBRATED_OUTPUTS]
    if name == "moflux":
        cases = lm.load_observations().values
        header, rows = ("id", *lm.CALIBRATED_OUTPUTS), [(case, *map(float, y[columns])) for case, y in cases.items()]
        ensemble = lm.DATA_DIR / lm.data.ENSEMBLE_FILE
    else:
        data = sites.load_site_data()
        widths = sites.CONDITIONING_BANDWIDTH[len(columns):]
        lines += ["", "[conditions]            # known per site = width: sites this close share ensemble runs"]
        lines += [f"{c} = {float(w)!r}    # {unit}" for c, w, unit in zip(sites.DESCRIPTOR_NAMES, widths,
                                                                           sites.DESCRIPTOR_UNITS)]
        header = ("id", *lm.CALIBRATED_OUTPUTS, *sites.DESCRIPTOR_NAMES)
        rows = [(f"site_{i:02d}", *map(float, np.concatenate([y, d])))
                for i, (y, d) in enumerate(zip(data.observed, data.descriptors))]
        ensemble = sites.SITES_DIR / sites.ENSEMBLE_FILE
    spec = directory / "spec.toml"
    spec.write_text("\n".join(lines) + "\n", encoding="utf-8")
    observations = directory / "observations.csv"
    report.write_csv(observations, header, rows)
    return ensemble, spec, observations


def _exact_draws(name):
    """{id: exact posterior draws (m, 8)} of the example's cases."""
    from ..problems import landmodel as lm
    from ..problems.landmodel import sites

    if name == "moflux":
        return {case: lm.load_reference(case).draws for case in lm.load_observations().values}
    return {f"site_{i:02d}": draws for i, draws in enumerate(sites.load_site_data().reference)}


def example_scores(name, ids, draws):
    """(header, rows): C2ST and mean marginal W1 on the unit box of each case's draws against its exact posterior
    (moflux: 200,000 land-model runs weighted by the likelihood; sites: 10,000-40,000 runs at the site). C2ST 0.5:
    indistinguishable."""
    from ..inference.metrics import c2st, marginal_w1
    from ..problems import landmodel as lm

    exact_draws, rows = _exact_draws(name), []
    for case, x in zip(ids, draws):
        exact = lm.to_unit(exact_draws[case])
        n = min(len(exact), len(x), 1000)
        rows.append((case, float(c2st(exact[:n], lm.to_unit(x[:n]))), float(marginal_w1(exact, lm.to_unit(x)).mean()),
                     n))
    return ("id", "c2st_vs_exact", "mean_w1_vs_exact", "draws_compared"), rows


def _simulate_cases(name, ids, thetas):
    """Land-model outputs (m, runs, 15) of parameters thetas (m, runs, 8), case j's at its own site, and what was
    observed (m, 15) (NaN where nothing was: the sites observe LH only)."""
    from ..problems import landmodel as lm
    from ..problems.landmodel import sites

    m, runs = thetas.shape[:2]
    flat = thetas.reshape(m * runs, -1)
    if name == "moflux":
        cases = lm.load_observations().values
        return lm.simulate(flat).reshape(m, runs, -1), np.array([cases[case] for case in ids])
    data, index = sites.load_site_data(), [int(case.split("_")[1]) for case in ids]
    outputs = sites.simulate_sites(flat, np.repeat(data.descriptors[index], runs, axis=0)).reshape(m, runs, -1)
    observed = np.full((m, len(lm.OUTPUT_NAMES)), np.nan)
    observed[:, [lm.OUTPUT_NAMES.index(output) for output in lm.CALIBRATED_OUTPUTS]] = data.observed[index]
    return outputs, observed


def example_predictive(name, ids, draws, out, seed):
    """Run the land model on PREDICTIVE_RUNS draws of each case: predictive.csv (mean, sd, 2.5/97.5 % of every
    output, beside what was observed) and predictive.png (+-2 sd bands per variable and year for the first
    PREDICTIVE_PLOTS cases, with the observations: LH was calibrated on, NEE and LAI were not). Returns the file
    names."""
    from ..problems import landmodel as lm
    from ..teach.plotting import plot_yearly_bands

    rng = np.random.default_rng(seed)
    runs = min(PREDICTIVE_RUNS, draws.shape[1])
    picked = np.stack([x[rng.choice(len(x), size=runs, replace=False)] for x in draws])
    outputs, observed = _simulate_cases(name, ids, picked)
    rows = []
    for case, y, y_obs in zip(ids, outputs, observed):
        q = np.quantile(y, [0.025, 0.975], axis=0)
        rows += [(case, output, float(y[:, j].mean()), float(y[:, j].std()), float(q[0, j]), float(q[1, j]),
                  float(y_obs[j])) for j, output in enumerate(lm.OUTPUT_NAMES)]
    report.write_csv(out / "predictive.csv", ("id", "output", "mean", "sd", "q2.5", "q97.5", "observed"), rows)
    shown, n_cols = min(PREDICTIVE_PLOTS, len(ids)), len(lm.OUTPUT_VARIABLES)
    fig, axes = report.plt.subplots(shown, n_cols, figsize=(4.5 * n_cols, 3.2 * shown), squeeze=False)
    for row_axes, case, y, y_obs in zip(axes, ids, outputs, observed):
        plot_yearly_bands(row_axes, lm.YEARS, lm.OUTPUT_VARIABLES, lm.OUTPUT_UNITS, y.mean(axis=0), y.std(axis=0),
                          y_obs, label=f"{case}: posterior predictive", truth_label="observed")
    fig.suptitle("posterior predictive +- 2 sd and the observations (LH calibrated on, NEE and LAI not)")
    fig.tight_layout()
    fig.savefig(out / "predictive.png", dpi=90)
    report.plt.close(fig)
    return ["predictive.csv", "predictive.png"]
