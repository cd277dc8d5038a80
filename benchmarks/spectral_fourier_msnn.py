"""Figures for universal approximation to multi-stage networks (lessons 03-06). Prints, asserts nothing.

1. Multi-stage network, 1-D smooth target on [-1, 1], float64: relative L2 error after each of 4 stages on the
   training points and on held-out points halfway between them, against one network trained with the same total
   iteration budget; then the same per-stage errors on two more smooth targets, 1201 points (issue 13's targets:
   held-out within 10x of the training error at every stage, <= 1e-9 after 4 stages).
2. Fourier features: held-out PSNR on the 128 px photograph, raw coordinates against the best scale.
3. Spectral bias: iterations for the lowest and the highest of 10 frequencies to reach 10 % error.
4. Navier-Stokes target: solver time; one- vs two-thread training of a multi-stage stage.
"""
import time

import numpy as np
import torch

from nnkit.spectral import bias as spectral, fourier
from nnkit.problems.navier_stokes import navier_stokes_2d
from nnkit.spectral.multistage import MultiStageNN


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


MORE_TARGETS = {  # smooth terms plus one small higher-frequency term
    "0.5 sin(3x) + 0.3 cos(7x + 0.5) + 0.1 x^2 + 0.01 sin(40x)":
        lambda x: 0.5 * np.sin(3 * x) + 0.3 * np.cos(7 * x + 0.5) + 0.1 * x**2 + 0.01 * np.sin(40 * x),
    "exp(-4x^2) + 0.3 tanh(3x) + 0.02 cos(25x)":
        lambda x: np.exp(-4 * x**2) + 0.3 * np.tanh(3 * x) + 0.02 * np.cos(25 * x),
}


def staged_fit(f, n_points, **settings):
    """A default multi-stage fit of f on n_points of [-1, 1], with the points halfway between them held out."""
    x = np.linspace(-1, 1, n_points)[:, None]
    x_mid = 0.5 * (x[1:] + x[:-1])
    return timed(lambda: MultiStageNN(**settings).fit(x, f(x), x_held_out=x_mid, y_held_out=f(x_mid)))


def print_stages(model):
    history = model.history
    for i, (err, held, freq) in enumerate(zip(history["error"], history["held_out_error"], history["frequency"])):
        print(f"    after stage {i}: relative L2 error {err:.2e}, between the points {held:.2e} "
              f"(ratio {held / err:.1f}); residue frequency {freq:.0f}, kappa {history['kappa'][i]:.0f}")


def multistage_vs_single():
    x = np.linspace(-1, 1, 1501)[:, None]
    y = np.sin(2 * x + 1) + 0.2 * np.exp(1.3 * x)
    staged, t_staged = staged_fit(lambda v: np.sin(2 * v + 1) + 0.2 * np.exp(1.3 * v), 1501)
    single, t_single = timed(lambda: MultiStageNN(widths=(30,), n_iter=8000, lbfgs_iter=16000).fit(x, y))
    print("\n[1] multi-stage network, y = sin(2x + 1) + 0.2 exp(1.3x), 1501 points, float64 (frequencies in cycles "
          "per unit of the normalised input; the grid's Nyquist frequency is 375)")
    print_stages(staged)
    s, o = staged.history["error"][-1], single.history["error"][-1]
    print(f"    4 stages:              {s:.2e}  in {t_staged:.0f} s   (target <= 1e-10)")
    print(f"    1 stage, same budget:  {o:.2e}  in {t_single:.0f} s   (expected >= 1e-6)")
    print(f"    ratio single / multi-stage error: {o / s:.1e}")
    for name, f in MORE_TARGETS.items():
        model, seconds = staged_fit(f, 1201)
        print(f"    y = {name}, 1201 points (Nyquist frequency 300), {seconds:.0f} s")
        print_stages(model)


def fourier_gain():
    image = fourier.sample_image(128)
    plain = fourier.fit_image(image, "none", n_iter=1000)["psnr_test"]
    scored = {s: fourier.fit_image(image, "fourier", s, n_iter=1000)["psnr_test"] for s in (1, 2, 4, 8)}
    best = max(scored, key=scored.get)
    print("\n[2] photograph regression, 128 px, train on even / test on odd pixels, 3 x 128 ReLU, 1000 Adam steps")
    print(f"    raw coordinates: {plain:.2f} dB; Fourier features " +
          ", ".join(f"sigma {s}: {p:.2f} dB" for s, p in scored.items()))
    print(f"    gain of the best scale (sigma {best}): {scored[best] - plain:.2f} dB   (target >= 5 dB)")


def spectral_ratio():
    history, seconds = timed(lambda: spectral.track_spectral_bias(np.arange(1, 11), n_iter=4000, record_every=50))
    first = history.steps_to_reach(0.1)
    print("\n[3] spectral bias, k = 1..10, 3 x 64 tanh, Adam 3e-3, 4000 iterations "
          f"({seconds:.1f} s)")
    print(f"    iterations to 10 % error: k=1 {first[0]:.0f}, k=10 {first[-1]:.0f}; ratio {first[-1] / first[0]:.1f}"
          "   (target >= 5)")


def solver_and_threads():
    flow, seconds = timed(lambda: navier_stokes_2d(n=128, re=2000.0, t_end=2.0))
    print(f"\n[4] Navier-Stokes, Re 2000, t = 2, solved on {flow.resolution}^2 in {flow.n_steps} steps: "
          f"{seconds:.1f} s (target < 60 s)")
    x = np.linspace(-1, 1, 1501)[:, None]
    y = np.sin(2 * x + 1)
    for threads in (1, 2):
        model = MultiStageNN(widths=(20,), n_iter=500, lbfgs_iter=500, threads=threads)
        _, seconds = timed(lambda: model.fit(x, y))
        print(f"    one multi-stage stage (1000 iterations, 1501 points) on {threads} thread(s): {seconds:.1f} s")


def main():
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    spectral_ratio()
    fourier_gain()
    solver_and_threads()
    multistage_vs_single()


if __name__ == "__main__":
    main()
