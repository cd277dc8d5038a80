"""Figures for calibrating many sites at once (lesson 13). Prints, asserts nothing.

One DBUQ sampler is trained on the shipped ensemble across sites (data/elm_sites/ensemble.csv: one land-model run
at each of 6000 random sites), conditioned on the 5 annual LH values and the 3 site descriptors. Then:
1. the time to calibrate 500 new sites (1000 draws each), and the interval coverage of their true parameters;
2. C2ST against the exact posterior of each of the 20 shipped reference sites (10,000 model runs at the site);
3. per-site MCMC on a BNN surrogate trained on the same ensemble (descriptors as extra inputs), at the same 20
   sites: C2ST and the time per site, and the ratio of the two methods' time per site.
Run: python benchmarks/many_sites.py [--device cpu|cuda] [--mcmc-sites 20]
"""
import argparse
import time

import numpy as np

from nnkit.core.scaling import BoxTransform
from nnkit.inference.bnn import SVGDRegressor
from nnkit.inference.dbuq import DBUQ
from nnkit.inference.metrics import c2st
from nnkit.inference.posteriors import FixedInputs, MCMCSampler, SurrogatePosterior, residual_correlation
from nnkit.inference.sbc import interval_coverage
from nnkit.problems import landmodel as lm
from nnkit.problems.landmodel import sites

LEVELS = (0.5, 0.8, 0.95)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--mcmc-sites", type=int, default=20)
    args = parser.parse_args()
    descriptors, theta, lh = sites.load_site_ensemble()
    data = sites.load_site_data()
    box = BoxTransform(lm.LOWER, lm.UPPER)
    print(f"ensemble: {len(theta)} runs at {len(np.unique(descriptors, axis=0))} sites")

    start = time.perf_counter()
    dbuq = DBUQ(y_bandwidth=sites.CONDITIONING_BANDWIDTH, box=box, seed=0, device=args.device)
    dbuq.fit(theta, sites.conditioning(lh, descriptors))
    train_seconds = time.perf_counter() - start
    print(f"DBUQ trained in {train_seconds:.1f} s")

    new_sites, truth, observed = sites.site_cases(500, seed=99)
    start = time.perf_counter()
    draws = np.stack([dbuq.sample(c, 1000, seed=i)
                      for i, c in enumerate(sites.conditioning(observed, new_sites))])
    per_site = (time.perf_counter() - start) / len(new_sites)
    coverage = interval_coverage(truth, draws, LEVELS).mean(axis=1)
    print(f"500 new sites calibrated in {per_site * 500:.2f} s ({1000 * per_site:.1f} ms per site); coverage of "
          f"the truths at {'/'.join(f'{int(100 * q)}' for q in LEVELS)} %: "
          f"{' / '.join(f'{c:.2f}' for c in coverage)}")

    reference = lm.to_unit(data.reference)
    scores = [c2st(reference[i], lm.to_unit(dbuq.sample(c, reference.shape[1], seed=1000 + i)))
              for i, c in enumerate(sites.conditioning(data.observed, data.descriptors))]
    print(f"DBUQ C2ST against the exact posterior at {len(scores)} sites: median {np.median(scores):.3f}, "
          f"max {np.max(scores):.3f}")

    m = args.mcmc_sites
    start = time.perf_counter()
    n_fit = int(0.9 * len(theta))
    inputs, lh_white = np.hstack([theta, descriptors]), lh / sites.LH_NOISE_SD
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
