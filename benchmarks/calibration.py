"""Figures for calibration (lessons 10-12). Prints, asserts nothing.

1. Square toy at y_obs = 1: marginal W1 of DBUQ and the INN to the exact posterior, and the share of samples in the
   positive mode (both modes present when it is near 0.5).
2. ELM synthetic cases (5 annual LH values): C2ST of MCMC on the BNN surrogate (errors correlated across the
   years), DBUQ and the INN (class defaults; DBUQ also tuned) against the exact posterior (the shipped
   importance-sampling reference of 200,000 model runs), beside the null band (the exact draws against
   themselves), and whether the truth lies inside each 95 % interval of the informed parameters.
3. SBC of the amortised methods over 200 simulated observations: coverage at 50/80/95 % and the ECDF uniformity
   test per parameter; for DBUQ also its reverse ODE alone (no generator), which shows what the generator adds.
4. Build times; DBUQ's time for 10,000 posterior samples of a new observation (median of 5); MCMC time to the
   same bulk effective sample size (10,000), measured in the same run; the ratio.
With --runs N the ELM methods learn from N fresh prior runs of the land model (seed 3) instead of the shipped 1000:
the same defaults, more data (10,000 runs take about 40 s to simulate).
Run: python benchmarks/calibration.py [--device cpu|cuda] [--runs N]
"""
import argparse
import time

import numpy as np
import torch

from nnkit import get_device
from nnkit.core.scaling import BoxTransform
from nnkit.inference.bnn import SVGDRegressor
from nnkit.inference.dbuq import DBUQ
from nnkit.inference.flows import INNCalibrator
from nnkit.inference.diagnostics import ess_bulk
from nnkit.inference.metrics import c2st, marginal_w1
from nnkit.inference.posteriors import MCMCSampler, SurrogatePosterior, residual_correlation
from nnkit.inference.sbc import interval_coverage, sbc_ranks, sbc_uniformity
from nnkit.problems import landmodel as lm
from nnkit.problems.square_toy import SquareToy


def toy(device):
    square = SquareToy()
    x, y = square.simulate(20000, seed=0)
    exact = square.sample(1.0, 20000, seed=1)
    dbuq = DBUQ(y_bandwidth=0.063, eps=1e-4, ode_steps=100, n_labels=20000, n_neighbours=512, hidden=128,
                activation="relu", n_iter=3000, device=device).fit(x, y)
    inn = INNCalibrator(1, 1, noise_sd=0.1, hidden=64, n_blocks=4, n_iter=3000, device=device).fit(x, x**2)
    print("1. square toy, y_obs = 1 (target: W1 <= 0.05, both modes)")
    for name, sampler in (("DBUQ", dbuq), ("INN", inn)):
        s = sampler.sample([1.0], 20000)
        print(f"   {name:5s} W1 to exact {marginal_w1(s, exact)[0]:.3f}, share x > 0: {np.mean(s > 0):.3f}")


def elm_methods(sd, box, device):
    """The amortised methods with their class defaults (what a user who sets only the noise gets), and DBUQ with
    the former defaults (eps 1e-4, 100 ODE steps, 1024 neighbours) for comparison."""
    return {"DBUQ default": DBUQ(y_bandwidth=sd, box=box, device=device),
            "DBUQ eps 1e-4": DBUQ(y_bandwidth=sd, box=box, eps=1e-4, ode_steps=100, n_neighbours=1024, device=device),
            "INN default": INNCalibrator(8, 5, noise_sd=sd, box=box, device=device)}


def training_runs(n_runs, lh):
    """Parameters (n, 8) and LH outputs (n, 5): the shipped ensemble, or n_runs fresh prior runs."""
    if n_runs is None:
        ens = lm.load_ensemble()
        return ens.parameters, ens.outputs[:, lh]
    theta = lm.sample_prior(n_runs, seed=3)
    return theta, lm.simulate(theta)[:, lh]


def elm(device, n_runs):
    obs = lm.load_observations()
    lh = [lm.OUTPUT_NAMES.index(f"LH_{year}") for year in lm.YEARS]
    theta, y = training_runs(n_runs, lh)
    sd, box = obs.noise_sd[lh], BoxTransform(lm.LOWER, lm.UPPER)
    print(f"ELM methods learn from {len(theta)} runs ({'shipped' if n_runs is None else 'fresh, seed 3'}); the BNN "
          f"from all but the last 100, which estimate its error correlation")
    bnn = SVGDRegressor(seed=0, device=device).fit(theta[:-100], y[:-100])
    correlation = residual_correlation(bnn, theta[-100:], y[-100:])
    methods, build = elm_methods(sd, box, device), {}
    for name, method in methods.items():
        start = time.perf_counter()
        method.fit(theta, y)
        build[name] = time.perf_counter() - start
    mcmc = MCMCSampler(SurrogatePosterior(bnn, sd, box, correlation), n_chains=64, n_steps=6000, n_adapt=2000,
                       initial_scale=0.05)
    print("2. ELM synthetic cases against the exact posterior, 3000 against 3000 draws (targets with the class "
          "defaults: DBUQ C2ST <= 0.58, INN <= 0.56; truth inside the 95 % interval of informed parameters)")
    mcmc_seconds_per_ess = []
    for case in ("synthetic_1", "synthetic_2"):
        y_obs, truth = obs.values[case][lh], lm.to_unit(obs.true_parameters[case])
        exact = lm.to_unit(lm.load_reference(case).draws)
        ref, other_half = exact[:3000], exact[3000:]
        informed = np.flatnonzero(exact.std(axis=0) < 0.8 / np.sqrt(12))
        print(f"   {case}: null band (exact against exact) C2ST {c2st(ref, other_half):.3f}; informed "
              f"{[lm.PARAMETER_NAMES[i] for i in informed]}")
        for name, sampler in {"MCMC on the BNN": mcmc, **methods}.items():
            s = lm.to_unit(sampler.sample(y_obs, 3000))
            if sampler is mcmc:
                run = mcmc.result   # run.seconds includes adaptation
                mcmc_seconds_per_ess.append(run.seconds / ess_bulk(run.samples).min())
            lo, hi = np.quantile(s, [0.025, 0.975], axis=0)
            inside = ((lo <= truth) & (truth <= hi))[informed]
            print(f"   {case} {name:15s} C2ST {c2st(ref, s):.3f}; truth inside: {inside.tolist()}")
    sbc(methods, sd, lh)
    dbuq = methods["DBUQ default"]
    y_new = obs.values["synthetic_1"][lh]
    times = []
    for seed in range(6):
        start = time.perf_counter()
        dbuq.sample(y_new, 10000, seed=seed)
        times.append(time.perf_counter() - start)
    answer = float(np.median(times[1:]))
    mcmc_seconds = 10000 * float(np.mean(mcmc_seconds_per_ess))
    print("4. cost (targets: DBUQ build <= 30 s on 2 CPU cores, 10,000 samples < 20 ms)")
    for name, seconds in build.items():
        extra = (f" (reverse ODE {methods[name].history['ode_seconds']:.1f} s, generator "
                 f"{methods[name].history['train_seconds']:.1f} s)") if name.startswith("DBUQ") else ""
        print(f"   {name:12s} build {seconds:.1f} s{extra}")
    print(f"   DBUQ default: 10,000 samples {answer * 1e3:.1f} ms; MCMC to a bulk ESS of 10,000 (min over parameters, "
          f"adaptation included) {mcmc_seconds:.1f} s; ratio MCMC / DBUQ answer {mcmc_seconds / answer:.0f}")


def sbc(methods, sd, lh, n_obs=200, n_draws=200):
    """Simulation-based calibration over n_obs prior draws run through the land model with noise."""
    u_true = lm.to_unit(lm.sample_prior(n_obs, seed=1))
    y_sim = lm.simulate(lm.from_unit(u_true))[:, lh]
    y_sim = y_sim + sd * np.random.default_rng(1).standard_normal(y_sim.shape)
    print(f"3. SBC over {n_obs} simulated observations, {n_draws} draws each (targets: no parameter fails the "
          f"uniformity test at the 1 % level; 95 % intervals cover 0.93-0.97)")
    samplers = {name: method.sample for name, method in methods.items()}
    samplers["DBUQ default, reverse ODE alone"] = methods["DBUQ default"].sample_ode
    for name, sample in samplers.items():
        draws = np.stack([lm.to_unit(sample(v, n_draws, seed=i)) for i, v in enumerate(y_sim)])
        p = sbc_uniformity(sbc_ranks(u_true, draws), n_draws)
        cover = interval_coverage(u_true, draws, (0.5, 0.8, 0.95)).mean(axis=1)
        print(f"   {name:12s} coverage 50/80/95 %: {np.round(cover, 3).tolist()}; uniformity p per parameter "
              f"{np.round(p, 3).tolist()}; fails at 1 %: {[lm.PARAMETER_NAMES[i] for i in np.flatnonzero(p < 0.01)]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--runs", type=int, default=None, help="fresh prior runs to learn from (default: the shipped "
                        "1000-member ensemble)")
    args = parser.parse_args()
    if args.runs is not None and args.runs < 200:
        parser.error(f"--runs must be at least 200 (the BNN holds out 100); got {args.runs}")
    device = get_device(args.device)
    print(f"device: {device}, torch threads: {torch.get_num_threads()}")
    toy(device)
    elm(device, args.runs)


if __name__ == "__main__":
    main()
