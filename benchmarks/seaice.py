"""Figures for the sea-ice surrogate (lesson 14). Prints, asserts nothing.

1. Simulation time of the toy model: 4 years at 12 h on the FAST (32 x 32) and full (64 x 64) grids.
2. Training time at the notebook's FAST and full settings (targets: under 60 s and under 6 min on 2 CPU cores),
   with the device's time when one is given.
3. RMSE against lead (12 h to 60 days, starts every 5 days of the test year) of the network, persistence and the daily
   climatology of the training years: whether the network beats persistence at every lead to 30 days, and the first
   lead where climatology is as good (targets: persistence beaten to 30 d, climatology to at least 60 d).
4. Year-long rollouts. One from the start of the test year: Q_beta, the spectral exponent of the rollout over that
   of the truth, in 30-day blocks of the open-ocean window. Not in 5-day blocks: there the truth's own beta jumps
   between about 0.7 and 9.5 as random cracks cross the window and heal (printed), which no forecast can follow; a
   month holds several cracks, so its spectrum is steady. Then 13, one from every 30th day of the test year (run into
   a fourth simulated year): the thickness range (target: within [0, 8 m], the simulator's cap, to which the
   surrogate clips every step as the simulator does; the share of cells held there is printed) and Q_beta against
   lead as the seed defines it, over start dates (``seaice.q_beta``; targets: within [0.7, 3], never negative,
   rising: the surrogate smooths). One rollout's months mix the lead with the season and with where the truth
   happened to crack; over start dates those average out and the lead remains.
--global-weight, --unroll and --input-noise set the training loss (SeaIceSurrogate's global_weight, n_unroll and
input_noise), --architecture the network (the UNet, or the FixUp ResNet).
Run: python benchmarks/seaice.py [--device cpu|cuda] [--only fast|full] [--global-weight L] [--unroll K]
                                 [--input-noise S] [--architecture unet|resnet]
"""
import argparse
import time

import numpy as np
import torch

from nnkit import get_device
from nnkit.problems import seaice
from nnkit.problems.seaice.simulator import H_MAX_M

SETTINGS = {"fast": dict(n=32, width=8, epochs=4), "full": dict(n=64, width=16, epochs=8)}
N_LEADS = 120  # 60 days of 12 h steps
BLOCK = 60     # 30 days of fields per spectrum


def betas(fields, n, block):
    """beta of consecutive blocks of ``block`` fields in the all-ocean central window."""
    window = (slice(None), slice(n // 4, 3 * n // 4), slice(n // 4, 3 * n // 4))
    return np.array([seaice.spectral_exponent(fields[b:b + block][window])
                     for b in range(0, len(fields) - block + 1, block)])


def one(name, n, width, epochs, device, global_weight, n_unroll, input_noise, architecture):
    start = time.perf_counter()
    run = seaice.simulate(4, n, seed=0)  # years 1-2 train, 3 tests; 4 only ends the year-long rollouts from year 3
    simulate_seconds = time.perf_counter() - start
    year = run.steps_per_year
    model = seaice.SeaIceSurrogate(width=width, architecture=architecture, n_epochs=epochs,
                                   global_weight=global_weight, n_unroll=n_unroll, input_noise=input_noise, seed=0,
                                   device=device)
    model.fit(run, np.arange(1, 2 * year - n_unroll))
    starts = np.arange(2 * year, 3 * year - N_LEADS - 1, 10)
    truth = np.stack([run.thickness[s + 1:s + N_LEADS + 1] for s in starts])
    rmse, _ = seaice.forecast_skill(model.forecast(run, starts, N_LEADS), truth, run.mask)
    persistence = np.repeat(run.thickness[starts][:, None], N_LEADS, axis=1)
    rmse_p, _ = seaice.forecast_skill(persistence, truth, run.mask)
    clim_year = run.thickness[:2 * year].reshape(2, year, n, n).mean(axis=0)
    climatology = np.stack([clim_year[(s + 1 + np.arange(N_LEADS)) % year] for s in starts])
    rmse_c, _ = seaice.forecast_skill(climatology, truth, run.mask)
    print(f"{name}: {architecture} on {n}x{n}, width {width}, {epochs} epochs on {2 * year - 1 - n_unroll} steps, "
          f"global_weight {global_weight}, n_unroll {n_unroll}, input_noise {input_noise}")
    print(f"   simulate 4 years {simulate_seconds:.1f} s; train {model.history['seconds']:.1f} s on {device}")
    for k in (1, 10, 30, 60, 120):
        print(f"   lead {k / 2:4.1f} d RMSE network {rmse[k - 1]:.3f} m, persistence {rmse_p[k - 1]:.3f} m, "
              f"climatology {rmse_c[k - 1]:.3f} m")
    month = slice(0, 60)
    beats = bool(np.all(rmse[month] < rmse_p[month]))
    gain = np.min(1 - rmse[month] / rmse_p[month])
    print(f"   network beats persistence at every lead from 12 h to 30 days: {beats}; smallest gain {gain:.0%}")
    worse = np.flatnonzero(rmse >= rmse_c)
    print("   network beats climatology at every lead to 60 days" if worse.size == 0 else
          f"   climatology is as good from lead {(worse[0] + 1) / 2:.1f} d")
    n_roll = year - 2
    rollout = model.forecast(run, np.array([2 * year]), n_roll)[0]
    truth = run.thickness[2 * year + 1:2 * year + 1 + n_roll]
    q = betas(rollout, n, BLOCK) / betas(truth, n, BLOCK)
    five_days = betas(truth, n, 10)
    print(f"   one year-long rollout from the start of the test year: Q_beta per month "
          f"{np.array2string(q, precision=2)}; the truth's beta in 5-day blocks {five_days.min():.2f}-"
          f"{five_days.max():.2f}")
    starts = np.arange(2 * year, 3 * year, 60)
    rollouts = model.forecast(run, starts, n_roll)
    truths = np.stack([run.thickness[s + 1:s + 1 + n_roll] for s in starts])
    window = (slice(None), slice(None), slice(n // 4, 3 * n // 4), slice(n // 4, 3 * n // 4))
    q_lead = seaice.q_beta(rollouts[window], truths[window], BLOCK)
    at_cap = np.mean(rollouts[:, :, run.mask] >= H_MAX_M - 1e-3)
    print(f"   {len(starts)} year-long rollouts, one from every 30th day of the test year: thickness "
          f"{rollouts.min():.2f}-{rollouts.max():.2f} m (the model clips to the simulator's {H_MAX_M:.0f} m cap; "
          f"{at_cap:.2%} of ocean cell-steps at the cap)")
    rises = bool(np.all(q_lead[0] < q_lead[1:]))
    print(f"   Q_beta against lead, per 30 days of lead: {np.array2string(q_lead, precision=2)}; within [0.7, 3]: "
          f"{bool(np.all((q_lead >= 0.7) & (q_lead <= 3)))}; first month below every later one: {rises}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--only", choices=sorted(SETTINGS), help="run one setting only")
    parser.add_argument("--global-weight", type=float, default=0.0, help="weight of the domain-mean loss term")
    parser.add_argument("--unroll", type=int, default=1, help="autoregressive steps in the training loss")
    parser.add_argument("--input-noise", type=float, default=0.0, help="training input noise, in increment sd")
    parser.add_argument("--architecture", choices=("unet", "resnet"), default="unet")
    args = parser.parse_args()
    device = get_device(args.device)
    print(f"device: {device}, torch threads: {torch.get_num_threads()}")
    for name, setting in SETTINGS.items():
        if args.only in (None, name):
            one(name, **setting, device=device, global_weight=args.global_weight, n_unroll=args.unroll,
                input_noise=args.input_noise, architecture=args.architecture)


if __name__ == "__main__":
    main()
