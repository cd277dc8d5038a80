"""Figures for calibrating many sites at once (lesson 13). Prints, asserts nothing.

Two amortised samplers learn from the shipped ensemble across sites (data/elm_sites/ensemble.csv.gz: one land-model
run at each of 24,000 random sites), conditioned on the 5 annual LH values and the 3 site descriptors: DBUQ on its
first 6000 runs (as lesson 13), and a conditional INN on the same 6000 runs and on all of them. For each:
1. the training time, the time to calibrate 500 new sites (1000 draws each), and the interval coverage of their
   true parameters;
2. C2ST against the exact posterior of each of the 20 shipped reference sites (10,000 model runs at the site).
Then 3. the flag and the per-site check: the kernel ESS of each reference site over the cINN's runs, and at the
sites with less than a fifth of the median, neural importance sampling from the cINN with the land model at the
site (2000 runs at a time, until the weights are worth 500 draws or --refine-runs are spent): the runs it took, its
efficiency, time and C2ST, and the C2ST of the 20 sites with these sites refined.
4. per-site MCMC on a BNN surrogate trained on DBUQ's runs (descriptors as extra inputs), at the same 20 sites:
C2ST and the time per site, and the ratio of its time per site to DBUQ's.
Run: python benchmarks/many_sites.py [--device cpu|cuda] [--mcmc-sites 20] [--runs 6000] [--refine-runs 8000]
"""
import argparse
import time
from functools import partial

import numpy as np
import torch

from nnkit.core.scaling import BoxTransform
from nnkit.inference.bnn import SVGDRegressor
from nnkit.inference.cinn import ConditionalINN
from nnkit.inference.dbuq import DBUQ, kernel_ess, kernel_log_weights
from nnkit.inference.metrics import c2st
from nnkit.inference.posteriors import FixedInputs, MCMCSampler, SurrogatePosterior, residual_correlation
from nnkit.inference.sbc import interval_coverage
from nnkit.problems import landmodel as lm
from nnkit.problems.landmodel import sites
from nnkit.problems.reference import NeuralImportanceSampler

LEVELS = (0.5, 0.8, 0.95)
FLAG_FRACTION = 0.2     # a site is flagged when its kernel ESS is below this fraction of the median
REFINE_ESS = 500        # the per-site check stops once its weights are worth this many draws


def score(name, sampler, train_seconds, data):
    """Print the figures of one trained sampler; return its time per site (s) and its C2ST at the reference sites."""
    new_sites, truth, observed = sites.site_cases(500, seed=99)
    start = time.perf_counter()
    draws = np.stack([sampler.sample(c, 1000, seed=i)
                      for i, c in enumerate(sites.conditioning(observed, new_sites))])
    per_site = (time.perf_counter() - start) / len(new_sites)
    coverage = interval_coverage(truth, draws, LEVELS).mean(axis=1)
    reference = lm.to_unit(data.reference)
    scores = np.array([c2st(reference[i], lm.to_unit(sampler.sample(c, reference.shape[1], seed=1000 + i)))
                       for i, c in enumerate(sites.conditioning(data.observed, data.descriptors))])
    print(f"{name}: trained in {train_seconds:.1f} s; 500 new sites in {per_site * 500:.2f} s "
          f"({1000 * per_site:.1f} ms per site); coverage at {'/'.join(f'{int(100 * q)}' for q in LEVELS)} %: "
          f"{' / '.join(f'{c:.2f}' for c in coverage)}")
    print(f"   C2ST against the exact posterior at {len(scores)} sites: median {np.median(scores):.3f}, max "
          f"{scores.max():.3f}, sites above 0.65: {int((scores > 0.65).sum())}; {np.round(scores, 2).tolist()}")
    return per_site, scores


def refine_flagged(cinn, conditioning, scores, data, n_runs):
    """Flag the reference sites with few runs near them, refine those by neural importance sampling, and print
    the figures."""
    reference = lm.to_unit(data.reference)
    c_ref = sites.conditioning(data.observed, data.descriptors)
    support = kernel_ess(kernel_log_weights(torch.as_tensor(c_ref), torch.as_tensor(conditioning),
                                            torch.as_tensor(sites.CONDITIONING_BANDWIDTH))).numpy()
    flagged = np.flatnonzero(support < FLAG_FRACTION * np.median(support))
    refined = scores.copy()
    for i in flagged:
        site = data.descriptors[i]
        sampler = NeuralImportanceSampler(cinn, partial(sites.site_lh, site=site), sites.LH_NOISE_SD, cinn.box,
                                          context=partial(sites.conditioning, descriptors=site), n_runs=n_runs,
                                          target_ess=REFINE_ESS)
        draws = sampler.sample(data.observed[i], reference.shape[1], seed=2000 + i)
        refined[i] = c2st(reference[i], lm.to_unit(draws))
        print(f"   site {i} flagged (kernel ESS {support[i]:.0f}, median {np.median(support):.0f}): "
              f"{sampler.n_used} runs at the site in {sampler.seconds:.1f} s, efficiency {sampler.efficiency:.2f}; "
              f"C2ST {scores[i]:.3f} -> {refined[i]:.3f}")
    print(f"   with the {len(flagged)} flagged sites refined: median {np.median(refined):.3f}, max "
          f"{refined.max():.3f}, sites above 0.65: {int((refined > 0.65).sum())}")


def timed_fit(sampler, theta, conditioning):
    start = time.perf_counter()
    sampler.fit(theta, conditioning)
    return sampler, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--mcmc-sites", type=int, default=20)
    parser.add_argument("--runs", type=int, default=6000, help="runs DBUQ and the first cINN learn from")
    parser.add_argument("--refine-runs", type=int, default=8000, help="most land-model runs per flagged site")
    args = parser.parse_args()
    descriptors, theta, lh = sites.load_site_ensemble()
    data = sites.load_site_data()
    box = BoxTransform(lm.LOWER, lm.UPPER)
    n = args.runs
    print(f"ensemble: {len(theta)} runs at {len(np.unique(descriptors, axis=0))} sites; DBUQ learns from {n}")
    conditioning = sites.conditioning(lh, descriptors)

    dbuq, train_seconds = timed_fit(DBUQ(y_bandwidth=sites.CONDITIONING_BANDWIDTH, box=box, seed=0,
                                         device=args.device), theta[:n], conditioning[:n])
    per_site, _ = score(f"DBUQ ({n} runs)", dbuq, train_seconds, data)
    noise_sd = np.concatenate([np.full(5, sites.LH_NOISE_SD), np.zeros(3)])
    for runs, n_iter in ((n, 3000), (len(theta), 6000)):
        cinn = ConditionalINN(noise_sd=noise_sd, box=box, n_iter=n_iter, seed=0, device=args.device,
                              **sites.CINN_SETTINGS)
        cinn, seconds = timed_fit(cinn, theta[:runs], conditioning[:runs])
        _, scores = score(f"cINN ({runs} runs, {n_iter} steps, best at {cinn.history['best_step']})", cinn, seconds,
                          data)
    refine_flagged(cinn, conditioning, scores, data, args.refine_runs)

    m = args.mcmc_sites
    reference = lm.to_unit(data.reference)
    start = time.perf_counter()
    n_fit = int(0.9 * n)
    inputs, lh_white = np.hstack([theta[:n], descriptors[:n]]), lh[:n] / sites.LH_NOISE_SD
    bnn = SVGDRegressor(n_iter=2000, seed=0, device=args.device).fit(inputs[:n_fit], lh_white[:n_fit])
    correlation = residual_correlation(bnn, inputs[n_fit:], lh_white[n_fit:])
    surrogate_seconds = time.perf_counter() - start
    mcmc_scores, mcmc_seconds = [], []
    for i in range(m):
        posterior = SurrogatePosterior(FixedInputs(bnn, data.descriptors[i]), np.ones(5), box, correlation)
        start = time.perf_counter()
        x = MCMCSampler(posterior, n_chains=64, n_steps=4000, n_adapt=1000).sample(
            data.observed[i] / sites.LH_NOISE_SD, reference.shape[1], seed=i)
        mcmc_seconds.append(time.perf_counter() - start)
        mcmc_scores.append(c2st(reference[i], lm.to_unit(x)))
    print(f"BNN surrogate trained in {surrogate_seconds:.1f} s; MCMC C2ST at {m} sites: median "
          f"{np.median(mcmc_scores):.3f}, max {np.max(mcmc_scores):.3f}; {np.mean(mcmc_seconds):.2f} s per site")
    print(f"time per site, MCMC / DBUQ: {np.mean(mcmc_seconds) / per_site:.0f}x; sites at which DBUQ's training "
          f"has paid for itself: {train_seconds / (np.mean(mcmc_seconds) - per_site):.0f}")


if __name__ == "__main__":
    main()
