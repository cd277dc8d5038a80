"""Figures for universal approximation to multi-stage networks (lessons 03-06). Prints, asserts nothing.

1. Multi-stage network, 1-D smooth targets on [-1, 1], float64: the notebook's target against one network trained
   with the same total iteration budget; then five stage constructions on the notebook's target and two more (Wang &
   Lai's example 1, and smooth terms plus one small higher-frequency term, 1201 points): as published (every stage on
   the data grid), the residue frequency capped at a quarter of the grid's Nyquist frequency, stages 2-3 fitted on a 4x
   denser grid as in Wang & Lai's code, the same with stages 2-3 of width 60 in place of 30 (on the dense grid later
   stages fit too little, not too much), and the same with kappa a quarter of Wang & Lai's (``kappa_scale=0.25``: each
   stage starts below its residue's frequency and leaves a slower residue). Per stage: relative L2 error on the points
   the stage trained on and at held-out points between the densest grid's points (targets: held-out within 10x of the
   training error at every stage, <= 1e-9 after 4 stages). Beside them, a linear baseline without a network: a Fourier
   extension (cosines and sines of period 4 on [-1, 1], 201 of them) fitted to the data by least squares.
2. Fourier features: held-out PSNR on the 128 px photograph, raw coordinates against the best scale.
3. Spectral bias: iterations for the lowest and the highest of 10 frequencies to reach 10 % error.
4. Navier-Stokes target: solver time; one- vs two-thread training of a multi-stage stage.
5. 2-D: the notebook's stream function (48^2 grid), fitted on its own grid and on the band-limited field upsampled
   to 96^2 (``spectral_upsample``): per stage, the error on the training grid and at 20,000 held-out points of the
   192^2 grid that lie on neither (target: the held-out error falls with every stage, to <= 1e-4 after 4 stages,
   within 10 minutes in full mode); on the upsampled grid three first layers: Wang & Lai's kappa-scaled rows, rows
   started at the residue's strongest Fourier modes (Ng, Wang & Lai 2024), and fixed cosine and sine features of its
   128 strongest modes, also with the modes capped at half the grid's Nyquist frequency (the band the 48^2 data
   holds), and with every stage penalised for its power above that band (``band=0.5``); for that last one, the error
   after each stage split by wave number (``error_by_band``): how much of it lies above the training grid's Nyquist
   wave number, where the stage's loss cannot see it.
"""
import time

import numpy as np
import torch

from nnkit.spectral import bias as spectral, fourier
from nnkit.problems.navier_stokes import error_by_band, navier_stokes_2d, spectral_upsample
from nnkit.spectral.multistage import MultiStageNN


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


TARGETS = {  # name: (f, training points)
    "sin(2x + 1) + 0.2 exp(1.3x) (notebook 06)": (lambda x: np.sin(2 * x + 1) + 0.2 * np.exp(1.3 * x), 1501),
    "log(x + 2) cos(2x + x^3) (Wang & Lai, example 1)": (lambda x: np.log(x + 2) * np.cos(2 * x + x**3), 1201),
    "0.5 sin(3x) + 0.3 cos(7x + 0.5) + 0.1 x^2 + 0.01 sin(40x)":
        (lambda x: 0.5 * np.sin(3 * x) + 0.3 * np.cos(7 * x + 0.5) + 0.1 * x**2 + 0.01 * np.sin(40 * x), 1201),
}
DENSER = 4  # the dense grid has DENSER times the data grid's spacing count


def remedy_fit(f, n_points, remedy):
    """4 stages on n_points of [-1, 1] with remedy "none", "cap", "dense", "dense, wide" (stages 2-3 of width 60) or
    "dense, kappa / 4"; held out: the dense grid's midpoints."""
    x = np.linspace(-1, 1, n_points)[:, None]
    x_dense = np.linspace(-1, 1, DENSER * (n_points - 1) + 1)[:, None]
    x_mid = 0.5 * (x_dense[1:] + x_dense[:-1])
    settings = {"cap": {"frequency_cap": 0.25}, "dense, wide": {"widths": (20, 20, 60, 60)},
                "dense, kappa / 4": {"kappa_scale": 0.25}}.get(remedy, {})
    dense = {"x_dense": x_dense, "y_dense": f(x_dense)} if remedy.startswith("dense") else {}
    return timed(lambda: MultiStageNN(**settings).fit(x, f(x), x_held_out=x_mid, y_held_out=f(x_mid), **dense))


def fourier_extension_fit(f, n_points, n_frequencies=100, period=4.0):
    """Least-squares fit of f on n_points of [-1, 1] by cos and sin of 2 pi k x / period, k <= n_frequencies (a
    smooth function on [-1, 1] is the restriction of a smooth periodic one on a longer interval); returns the relative
    L2 error on the points and at the midpoints of the 4x denser grid."""
    def features(x):
        w = 2 * np.pi * np.arange(n_frequencies + 1) / period
        return np.hstack([np.cos(np.outer(x, w)), np.sin(np.outer(x, w[1:]))])
    x = np.linspace(-1, 1, n_points)
    dense = np.linspace(-1, 1, DENSER * (n_points - 1) + 1)
    x_mid = 0.5 * (dense[1:] + dense[:-1])
    coef = np.linalg.lstsq(features(x), f(x), rcond=1e-13)[0]
    return [np.linalg.norm(f(z) - features(z) @ coef) / np.linalg.norm(f(z)) for z in (x, x_mid)]


def print_stages(model):
    history = model.history
    for i, (err, held, freq) in enumerate(zip(history["error"], history["held_out_error"], history["frequency"])):
        print(f"      stage {i}: {history['points'][i]} points, error {err:.2e}, between the points {held:.2e} "
              f"(ratio {held / err:.1f}); frequency {freq:.0f}, kappa {history['kappa'][i]:.0f}")


def multistage_vs_single():
    f, n = TARGETS["sin(2x + 1) + 0.2 exp(1.3x) (notebook 06)"]
    x = np.linspace(-1, 1, n)[:, None]
    staged, t_staged = timed(lambda: MultiStageNN().fit(x, f(x)))
    single, t_single = timed(lambda: MultiStageNN(widths=(30,), n_iter=8000, lbfgs_iter=16000).fit(x, f(x)))
    print(f"\n[1] multi-stage network, y = sin(2x + 1) + 0.2 exp(1.3x), {n} points, float64")
    s, o = staged.history["error"][-1], single.history["error"][-1]
    print(f"    4 stages:              {s:.2e}  in {t_staged:.0f} s   (target <= 1e-10)")
    print(f"    1 stage, same budget:  {o:.2e}  in {t_single:.0f} s   (expected >= 1e-6)")
    print(f"    ratio single / multi-stage error: {o / s:.1e}")
    print("    stage constructions (frequencies in cycles per unit of the normalised input; a grid of n points has "
          "Nyquist frequency (n - 1) / 4)")
    for name, (f, n) in TARGETS.items():
        print(f"  y = {name}, {n} points")
        (on_grid, between), seconds = timed(lambda: fourier_extension_fit(f, n))
        print(f"    linear baseline (Fourier extension, least squares): error {on_grid:.2e}, between the points "
              f"{between:.2e} ({seconds:.2f} s)")
        for remedy in ("none", "cap", "dense", "dense, wide", "dense, kappa / 4"):
            model, seconds = remedy_fit(f, n, remedy)
            ratio = np.max(np.array(model.history["held_out_error"]) / np.array(model.history["error"]))
            print(f"    {remedy}: held-out error after 4 stages {model.history['held_out_error'][-1]:.2e}, largest "
                  f"held-out / training ratio {ratio:.1f} ({seconds:.0f} s)")
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


def on_grid(m):
    """The m x m grid of the periodic box [0, 2 pi)^2 as points (m^2, 2), ordered like meshgrid(indexing="ij")."""
    coords = 2 * np.pi * np.arange(m) / m
    return np.stack(np.meshgrid(coords, coords, indexing="ij"), axis=-1).reshape(-1, 2)


def stream_function_2d(n=48, n_held_out=20_000):
    flow = navier_stokes_2d(n=n, re=2000.0, t_end=2.0, seed=0)
    finest = spectral_upsample(flow.psi, 4 * n)
    between = np.zeros_like(finest, dtype=bool)
    between[1::2, :] = between[:, 1::2] = True  # on neither the n- nor the 2n-grid
    pick = np.random.default_rng(0).choice(between.sum(), n_held_out, replace=False)
    x_held_out, y_held_out = on_grid(4 * n)[between.ravel()][pick], finest[between][pick][:, None]
    print(f"\n[5] 2-D stream function (Re 2000, t = 2) on {n}^2, 4 stages of width 30, 1000 Adam + 2000 L-BFGS "
          "each; held out: 20,000 points between the grids' points")
    for m, rule, cap, band in ((n, "kappa", None, None), (2 * n, "kappa", None, None), (2 * n, "spectrum", None, None),
                               (2 * n, "fourier", None, None), (2 * n, "fourier", 0.5, None),
                               (2 * n, "fourier", None, 0.5)):
        field = flow.psi if m == n else spectral_upsample(flow.psi, m)
        model, seconds = timed(lambda: MultiStageNN(widths=(30,) * 4, n_iter=1000, lbfgs_iter=2000, first_layer=rule,
                                                    frequency_cap=cap, band=band)
                               .fit(on_grid(m), field.reshape(-1, 1), grid_shape=(m, m), x_held_out=x_held_out,
                                    y_held_out=y_held_out))
        grid = f"{m}^2 grid{' (upsampled)' if m > n else ''}"
        print(f"    trained on the {grid}, first layer {rule!r}, frequency cap {cap}, band {band}, in {seconds:.0f} s")
        print_stages(model)
        if band is not None:
            print_error_by_band(model, flow.psi, m)


def print_error_by_band(model, psi, m):
    """Per stage, the error on the 4m^2 grid split at the data's Nyquist wave number (m/4 for the m^2 upsampled
    field) and the training grid's (m/2): the bands above m/2 are the error the stage's loss could not see."""
    fine = 4 * m
    truth = spectral_upsample(psi, fine)
    bounds = (m // 4, m // 2, m)
    names = [f"<= {m // 4}", f"{m // 4}-{m // 2}", f"{m // 2}-{m}", f"> {m}"]
    for stage in range(len(model.stages)):
        bands = error_by_band(model.predict(on_grid(fine), stage + 1).reshape(fine, fine), truth, bounds)
        print(f"      stage {stage}, error by wave number on the {fine}^2 grid: " +
              ", ".join(f"{name}: {b:.1e}" for name, b in zip(names, bands)) +
              f"; above the training grid's {m // 2}: {np.sum(bands[2:] ** 2) / np.sum(bands**2):.0%} of its power")


def main():
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    spectral_ratio()
    fourier_gain()
    solver_and_threads()
    multistage_vs_single()
    stream_function_2d()


if __name__ == "__main__":
    main()
