"""Figures for calibration (lessons 09-11). Prints, asserts nothing.

1. Square toy at y_obs = 1: marginal W1 of DBUQ and the INN to the exact posterior, and the share of samples in the
   positive mode (both modes present when it is near 0.5).
2. ELM synthetic cases (5 annual LH values): C2ST of MCMC on the BNN surrogate, DBUQ and the INN against the exact
   posterior (the shipped importance-sampling reference of 200,000 model runs), beside the null band (the exact
   draws against themselves), and whether the truth lies inside each 95 % interval of the informed parameters.
3. DBUQ build time (labelled set + generator); time for 10,000 posterior samples of a new observation (median of
   5); MCMC time to the same bulk effective sample size (10,000), measured in the same run; the ratio.
Run: python benchmarks/calibration.py [--device cpu|cuda]
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
from nnkit.inference.posteriors import MCMCSampler, SurrogatePosterior
from nnkit.problems import landmodel as lm
from nnkit.problems.square_toy import SquareToy


def toy(device):
    square = SquareToy()
    x, y = square.simulate(20000, seed=0)
    exact = square.sample(1.0, 20000, seed=1)
    dbuq = DBUQ(y_bandwidth=0.063, n_labels=20000, n_neighbours=512, hidden=128, activation="relu", n_iter=3000,
                device=device).fit(x, y)
    inn = INNCalibrator(1, 1, noise_sd=0.1, hidden=64, n_blocks=4, n_iter=3000, device=device).fit(x, x**2)
    print("1. square toy, y_obs = 1 (target: W1 <= 0.05, both modes)")
    for name, sampler in (("DBUQ", dbuq), ("INN", inn)):
        s = sampler.sample([1.0], 20000)
        print(f"   {name:5s} W1 to exact {marginal_w1(s, exact)[0]:.3f}, share x > 0: {np.mean(s > 0):.3f}")


def elm(device):
    ens, obs = lm.load_ensemble(), lm.load_observations()
    lh = [lm.OUTPUT_NAMES.index(f"LH_{year}") for year in lm.YEARS]
    theta, y, sd = ens.parameters, ens.outputs[:, lh], obs.noise_sd[lh]
    box = BoxTransform(lm.LOWER, lm.UPPER)
    bnn = SVGDRegressor(seed=0, device=device).fit(theta[:900], y[:900])
    start = time.perf_counter()
    dbuq = DBUQ(y_bandwidth=sd, eps=0.01, ode_steps=50, n_labels=10000, n_neighbours=1000, hidden=128, n_iter=3000,
                box=box, device=device).fit(theta, y)
    build = time.perf_counter() - start
    inn = INNCalibrator(8, 5, noise_sd=sd, box=box, n_iter=2000, device=device).fit(theta, y)
    mcmc = MCMCSampler(SurrogatePosterior(bnn, sd, box), n_chains=64, n_steps=6000, n_adapt=2000, initial_scale=0.05)
    print("2. ELM synthetic cases against the exact posterior (targets: DBUQ C2ST <= 0.58, INN <= 0.56; truth inside "
          "the 95 % interval of informed parameters)")
    mcmc_seconds_per_ess = []
    for case in ("synthetic_1", "synthetic_2"):
        y_obs, truth = obs.values[case][lh], lm.to_unit(obs.true_parameters[case])
        exact = lm.to_unit(lm.load_reference(case).draws)
        ref, other_half = exact[:3000], exact[3000:]
        informed = np.flatnonzero(exact.std(axis=0) < 0.8 / np.sqrt(12))
        print(f"   {case}: null band (exact against exact) C2ST {c2st(ref, other_half):.3f}; informed "
              f"{[lm.PARAMETER_NAMES[i] for i in informed]}")
        for name, sampler in (("MCMC", mcmc), ("DBUQ", dbuq), ("INN", inn)):
            s = lm.to_unit(sampler.sample(y_obs, 3000))
            if name == "MCMC":
                run = mcmc.result   # run.seconds includes adaptation
                mcmc_seconds_per_ess.append(run.seconds / ess_bulk(run.samples).min())
            lo, hi = np.quantile(s, [0.025, 0.975], axis=0)
            inside = ((lo <= truth) & (truth <= hi))[informed]
            print(f"   {case} {name:5s} C2ST {c2st(ref, s):.3f}; truth inside: {inside.tolist()}")
    y_new = obs.values["synthetic_1"][lh]
    times = []
    for seed in range(6):
        start = time.perf_counter()
        dbuq.sample(y_new, 10000, seed=seed)
        times.append(time.perf_counter() - start)
    answer = float(np.median(times[1:]))
    mcmc_seconds = 10000 * float(np.mean(mcmc_seconds_per_ess))
    print("3. DBUQ cost (targets: build <= 30 s on 2 CPU cores, 10,000 samples < 20 ms)")
    print(f"   build {build:.1f} s (reverse ODE {dbuq.history['ode_seconds']:.1f} s, generator "
          f"{dbuq.history['train_seconds']:.1f} s); 10,000 samples {answer * 1e3:.1f} ms")
    print(f"   MCMC to a bulk ESS of 10,000 (min over parameters, adaptation included): {mcmc_seconds:.1f} s; "
          f"ratio MCMC / DBUQ answer {mcmc_seconds / answer:.0f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    device = get_device(args.device)
    print(f"device: {device}, torch threads: {torch.get_num_threads()}")
    toy(device)
    elm(device)


if __name__ == "__main__":
    main()
