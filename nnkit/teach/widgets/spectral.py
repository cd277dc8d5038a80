"""Explorers for lessons 04-06: which frequencies a network learns first, the scale of an input encoding, and what
each stage of a multi-stage network was given and left behind."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ...spectral.bias import track_spectral_bias
from ...spectral.fourier import fit_curve, two_scale_signal
from ..plotting import plot_frequency_heatmap
from . import explorer


def spectral_bias_demo(freqs, amps, n_iter=1000, seed=0):
    """Train on sum_k A_k sin(2 pi k t + phi_k) and show per-frequency error against iteration and the final fit."""
    history = track_spectral_bias(freqs, amps, n_iter=n_iter, record_every=max(1, n_iter // 40), seed=seed)
    fig, (ax_map, ax_fit) = plt.subplots(1, 2, figsize=(12, 4))
    plot_frequency_heatmap(ax_map, history, level=0.1)
    ax_fit.plot(history.t, history.target, "k", lw=1, label="target")
    ax_fit.plot(history.t, history.fit, color="tab:red", label=f"network after {n_iter} iterations")
    ax_fit.set(xlabel="t", ylabel="y")
    ax_fit.legend(loc="lower left")
    fig.tight_layout()
    return fig, history


def spectral_bias_explorer():
    """Frequencies and amplitudes of a three-sine target; trains when "Train" is pressed (a few seconds)."""
    import ipywidgets as widgets

    controls = {}
    for i, k in enumerate((1, 5, 12), start=1):    # each frequency beside its amplitude
        controls[f"k{i}"] = widgets.IntSlider(value=k, min=1, max=40, description=f"k{i}")
        controls[f"a{i}"] = widgets.FloatSlider(value=1.0, min=0.1, max=2.0, step=0.1, description=f"a{i}")
    return explorer(lambda k1, a1, k2, a2, k3, a3, n_iter: spectral_bias_demo([k1, k2, k3], [a1, a2, a3], n_iter),
                    "Train", **controls,
                    n_iter=widgets.IntSlider(value=1000, min=100, max=4000, step=100, description="iters"))


def fourier_scale_demo(encoding="fourier", scale=10.0, n_iter=800, n_points=256, seed=0):
    """Fit the two-scale signal with an encoded network at one scale (sigma for "fourier", kappa for "sine").

    Trains on n_points, tests between them; returns (figure, test relative L2 error).
    """
    x = np.arange(n_points) / n_points
    x_test = x + 0.5 / n_points
    predict, _ = fit_curve(x, two_scale_signal(x), encoding, scale, n_iter=n_iter, seed=seed)
    truth = two_scale_signal(x_test)
    error = float(np.linalg.norm(predict(x_test) - truth) / np.linalg.norm(truth))
    fig, ax = plt.subplots(figsize=(10, 3.5))
    ax.plot(x_test, truth, "k", lw=1, label="target (between training points)")
    ax.plot(x_test, predict(x_test), color="tab:red", lw=1, label=f"{encoding}, scale {scale:g}")
    ax.set(xlabel="x", ylabel="y", title=f"test relative error {error:.2e}")
    ax.legend(loc="lower left")
    return fig, error


def fourier_scale_explorer():
    """Encoding and (log) scale for ``fourier_scale_demo``; trains when "Train" is pressed (about a second)."""
    import ipywidgets as widgets

    return explorer(lambda encoding, log10_scale: fourier_scale_demo(encoding, 10**log10_scale), "Train",
                    encoding=widgets.Dropdown(options=["none", "fourier", "sine"], value="fourier"),
                    log10_scale=widgets.FloatSlider(value=1.0, min=-1.0, max=3.0, step=0.1,
                                                    description="log10 scale"))


def stage_demo(model, x, y, stage):
    """One stage of a fitted 1-D ``MultiStageNN``: the residue it was given (and its fit of it), the residue's
    spectrum with the frequency that set its kappa, and the error after every stage. x (n, 1) uniform, y (n, 1)."""
    n_stages = len(model.stages)
    if not 0 <= stage < n_stages:
        raise ValueError(f"stage must be in [0, {n_stages - 1}]; got {stage}")
    before = y[:, 0] - (model.predict(x, n_stages=stage)[:, 0] if stage else 0.0)
    after = y[:, 0] - model.predict(x, n_stages=stage + 1)[:, 0]
    history = model.history
    fig, (ax_r, ax_f, ax_e) = plt.subplots(1, 3, figsize=(16, 3.8))
    ax_r.plot(x[:, 0], before, "k", lw=1, label=f"residue given to stage {stage}")
    ax_r.plot(x[:, 0], before - after, "--", color="tab:red", lw=1, label=f"stage {stage}'s fit of it")
    ax_r.set(xlabel="x", title=f"eps = RMS = {history['eps'][stage]:.1e}")
    ax_r.legend(fontsize="small", loc="lower left")
    spectrum = np.abs(np.fft.rfft(before - before.mean())) / len(before)
    frequencies = np.arange(len(spectrum)) / 2.0  # cycles per unit of h in [-1, 1]
    ax_f.loglog(frequencies[1:], spectrum[1:], "k", lw=0.8)
    if stage:
        ax_f.axvline(history["frequency"][stage], color="tab:red", ls="--",
                     label=f"dominant frequency {history['frequency'][stage]:.1f}")
        ax_f.legend(fontsize="small")
    ax_f.set(xlabel="frequency (cycles per unit of h)", ylabel="|FFT| / N",
             title=f"its spectrum: kappa = {history['kappa'][stage]:.0f}")
    colours = ["tab:red" if i == stage else "0.6" for i in range(n_stages)]
    ax_e.bar(range(n_stages), history["error"], color=colours)
    ax_e.set(yscale="log", xlabel="stage", ylabel="relative error after the stage", xticks=range(n_stages),
             title="error after each stage")
    fig.tight_layout()
    return fig


def stage_explorer(model, x, y):
    """A slider over the stages of a fitted 1-D ``MultiStageNN`` for ``stage_demo`` (redraws at once)."""
    import ipywidgets as widgets

    return explorer(lambda stage: stage_demo(model, x, y, stage),
                    stage=widgets.IntSlider(value=0, min=0, max=len(model.stages) - 1, description="stage"))
