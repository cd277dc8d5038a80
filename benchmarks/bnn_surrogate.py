"""Figures for the mini land model and the SVGD-BNN surrogate (lesson 09). Prints, asserts nothing.

1. Land model: seconds to simulate 1000 members.
2. Test R2 (mean over the 15 outputs; the last 100 of the shipped 1000 members are the test set) of the SVGD-BNN,
   the plain deterministic NN and the NN with early stopping, by training size; the BNN's 2-sigma coverage.
3. SVGD time per iteration with 10 and 100 particles (hidden 50, batch 100), measured side by side; the ratio.
Run: python benchmarks/bnn_surrogate.py [--device cpu|cuda] [--sizes 10 30 50 500]
"""
import argparse
import time

import torch

from nnkit import get_device
from nnkit.inference.baseline import MLPRegressor
from nnkit.inference.bnn import SVGDRegressor
from nnkit.inference.metrics import coverage, r2_score
from nnkit.problems import landmodel as lm


def land_model_time():
    theta = lm.sample_prior(1000, seed=0)
    start = time.perf_counter()
    lm.simulate(theta)
    return time.perf_counter() - start


def accuracy_by_size(sizes, device):
    ens = lm.load_ensemble()
    x, y = lm.to_unit(ens.parameters), ens.outputs
    x_test, y_test = x[-100:], y[-100:]
    print(f"{'n':>5} {'BNN R2':>8} {'NN R2':>8} {'NN-ES R2':>9} {'BNN 2sd cover':>14} {'BNN s':>7}")
    for n in sizes:
        bnn = SVGDRegressor(device=device).fit(x[:n], y[:n])
        pred = bnn.predict(x_test)
        plain = MLPRegressor(device=device).fit(x[:n], y[:n]).predict(x_test)
        stopped = MLPRegressor(val_fraction=0.2, device=device).fit(x[:n], y[:n]).predict(x_test)
        print(f"{n:5d} {r2_score(y_test, pred.mean).mean():8.3f} {r2_score(y_test, plain).mean():8.3f} "
              f"{r2_score(y_test, stopped).mean():9.3f} {coverage(y_test, pred.mean, pred.std):14.3f} "
              f"{bnn.history['seconds']:7.1f}")


def seconds_per_iteration(n_particles, device, n_iter=300):
    ens = lm.load_ensemble()
    x, y = lm.to_unit(ens.parameters[:500]), ens.outputs[:500]
    SVGDRegressor(n_particles=n_particles, n_iter=20, device=device).fit(x, y)  # warm-up
    reg = SVGDRegressor(n_particles=n_particles, n_iter=n_iter, device=device).fit(x, y)
    return reg.history["seconds"] / n_iter


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 30, 50, 100, 500])
    args = parser.parse_args()
    device = get_device(args.device)
    print(f"device {device}, torch threads {torch.get_num_threads()}")
    print(f"land model, 1000 members: {land_model_time():.1f} s")
    accuracy_by_size(args.sizes, device)
    t10, t100 = seconds_per_iteration(10, device), seconds_per_iteration(100, device)
    print(f"SVGD per iteration: 10 particles {t10 * 1e3:.2f} ms, 100 particles {t100 * 1e3:.2f} ms, "
          f"ratio {t100 / t10:.2f}")


if __name__ == "__main__":
    main()
