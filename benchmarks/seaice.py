"""Figures for the sea-ice surrogate (lesson 12). Prints, asserts nothing.

1. Simulation time of the toy model: 3 years at 12 h on the FAST (32 x 32) and full (64 x 64) grids.
2. UNet training time at the notebook's FAST and full settings (targets: under 60 s and under 5 min on 2 CPU
   cores), with the device's time when one is given.
3. RMSE against lead (12 h to 30 days, starts every 5 days of the test year) of the UNet and persistence, and
   whether the UNet beats persistence at every lead.
Run: python benchmarks/seaice.py [--device cpu|cuda] [--only fast|full]
"""
import argparse
import time

import numpy as np
import torch

from nnkit import get_device
from nnkit.problems import seaice

SETTINGS = {"fast": dict(n=32, width=8, epochs=4), "full": dict(n=64, width=16, epochs=8)}
N_LEADS = 60


def one(name, n, width, epochs, device):
    start = time.perf_counter()
    run = seaice.simulate(3, n, seed=0)
    simulate_seconds = time.perf_counter() - start
    year = run.steps_per_year
    model = seaice.SeaIceSurrogate(width=width, n_epochs=epochs, seed=0, device=device)
    model.fit(run, np.arange(1, 2 * year - 1))
    starts = np.arange(2 * year, 3 * year - N_LEADS - 1, 10)
    truth = np.stack([run.thickness[s + 1:s + N_LEADS + 1] for s in starts])
    rmse, _ = seaice.forecast_skill(model.forecast(run, starts, N_LEADS), truth, run.mask)
    persistence = np.repeat(run.thickness[starts][:, None], N_LEADS, axis=1)
    rmse_p, _ = seaice.forecast_skill(persistence, truth, run.mask)
    print(f"{name}: {n}x{n}, width {width}, {epochs} epochs on {2 * year - 2} steps")
    print(f"   simulate 3 years {simulate_seconds:.1f} s; train {model.history['seconds']:.1f} s on {device}")
    for k in (1, 10, 30, 60):
        print(f"   lead {k / 2:4.1f} d RMSE UNet {rmse[k - 1]:.3f} m, persistence {rmse_p[k - 1]:.3f} m")
    print(f"   UNet beats persistence at every lead from 12 h to 30 days: {bool(np.all(rmse < rmse_p))}; "
          f"smallest gain {np.min(1 - rmse / rmse_p):.0%}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--only", choices=sorted(SETTINGS), help="run one setting only")
    args = parser.parse_args()
    device = get_device(args.device)
    print(f"device: {device}, torch threads: {torch.get_num_threads()}")
    for name, setting in SETTINGS.items():
        if args.only in (None, name):
            one(name, **setting, device=device)


if __name__ == "__main__":
    main()
