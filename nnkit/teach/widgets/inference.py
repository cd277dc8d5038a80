"""Explorers for lessons 07-12: random-walk Metropolis and its step size, SVGD on 2-D densities, a BNN surrogate of
the land model, the posteriors of the square toy, and the calibration of the land model."""
from __future__ import annotations

import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from ...inference.bnn import SVGDRegressor
from ...inference.diagnostics import autocovariance, ess_bulk, rhat
from ...inference.mcmc import adaptive_metropolis
from ...inference.metrics import marginal_w1, r2_score
from ...inference.svgd import svgd
from ...problems import landmodel as lm
from ...problems.densities import DENSITIES_2D, density_2d
from ...problems.square_toy import SquareToy
from ..plotting import plot_yearly_bands
from . import explorer


def _density_on_grid(log_prob, limit=6.0, n=200):
    """(G1, G2, density) on a regular n x n grid over [-limit, limit]^2 for contour plots of a 2-D log density."""
    g = np.linspace(-limit, limit, n)
    G1, G2 = np.meshgrid(g, g)
    grid = torch.tensor(np.stack([G1.ravel(), G2.ravel()], axis=1))
    return G1, G2, np.exp(log_prob(grid).numpy().reshape(G1.shape))


def metropolis_demo(step_size=1.0, target="banana", n_steps=2000, n_chains=4, seed=0):
    """Plain random-walk Metropolis (proposal sd step_size, no adaptation) with n_chains chains started apart on a
    2-D density (a key of ``DENSITIES_2D``): the traces of x1, the draws over the density's contours, and the
    autocorrelation of x1. Returns (figure, {"acceptance", "rhat", "ess"}) with the worst R-hat and the smallest
    bulk ESS over the two coordinates."""
    log_prob = density_2d(target)
    x0 = 3 * torch.randn(n_chains, 2, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    result = adaptive_metropolis(log_prob, x0, n_steps, n_adapt=0, initial_scale=step_size, seed=seed)
    draws = result.samples
    stats = {"acceptance": result.acceptance_rate, "rhat": float(rhat(draws).max()),
             "ess": float(ess_bulk(draws).min())}
    G1, G2, density = _density_on_grid(log_prob)
    fig, (ax_trace, ax_draws, ax_acf) = plt.subplots(1, 3, figsize=(15, 4))
    ax_trace.plot(draws[:, :, 0], lw=0.6)
    ax_trace.set(title="trace of x1, one colour per chain", xlabel="step", ylabel="x1")
    ax_draws.contour(G1, G2, density, levels=8, colors="0.6", linewidths=0.8)
    ax_draws.scatter(*draws.reshape(-1, 2).T, s=2, alpha=0.3, color="tab:red")
    ax_draws.set(title="draws over the target's contours", xlabel="x1", ylabel="x2", xlim=(-6, 6), ylim=(-6, 6))
    lags = min(100, n_steps - 1)
    acov = autocovariance(draws[:, :, 0])
    ax_acf.plot((acov / acov[0])[:lags + 1], lw=1)
    ax_acf.axhline(0, color="0.5", lw=0.8)
    ax_acf.set(title="autocorrelation of x1", xlabel="lag", ylim=(-0.2, 1.05))
    fig.suptitle(f"step size {step_size:g}: acceptance {stats['acceptance']:.0%}, R-hat {stats['rhat']:.3f}, "
                 f"bulk ESS {stats['ess']:.0f} of {n_steps * n_chains} draws")
    fig.tight_layout()
    return fig, stats


def metropolis_explorer():
    """A slider on log10 of the proposal's step size and a target for ``metropolis_demo``; runs on "Run"."""
    import ipywidgets as widgets

    return explorer(lambda target, log10_step: metropolis_demo(10**log10_step, target), "Run",
                    target=widgets.Dropdown(options=list(DENSITIES_2D), value="banana"),
                    log10_step=widgets.FloatSlider(value=0.0, min=-2, max=1.5, step=0.1, description="log10 step"))


def svgd_demo(target="banana", n_particles=100, bandwidth="median", lr=0.05, n_iter=300, seed=0):
    """Run SVGD from a tight cloud on a 2-D density (a key of ``problems.densities.DENSITIES_2D``) and draw the
    particles over its contours. bandwidth: "median" or a positive h. Returns (figure, final particles (n, 2)).
    """
    log_prob = density_2d(target)
    gen = torch.Generator().manual_seed(seed)
    start = 0.3 * torch.randn(n_particles, 2, generator=gen, dtype=torch.float64) + torch.tensor([0.0, -4.0],
                                                                                                 dtype=torch.float64)
    x, history = svgd(log_prob, start, n_iter=n_iter, lr=lr, bandwidth=bandwidth,
                      record_every=-(-n_iter // 3))  # ceil: three snapshots after the start
    G1, G2, density = _density_on_grid(log_prob)
    fig, axes = plt.subplots(1, len(history["particles"]), figsize=(4 * len(history["particles"]), 3.8),
                             sharex=True, sharey=True)
    for ax, step, p in zip(axes, history["step"], history["particles"]):
        ax.contour(G1, G2, density, levels=8, colors="0.6", linewidths=0.8)
        ax.scatter(*p.numpy().T, s=8, color="tab:red")
        ax.set(title=f"step {step}", xlabel="x1", xlim=(-6, 6), ylim=(-6, 6))
    axes[0].set_ylabel("x2")
    fig.suptitle(f"SVGD on '{target}': {n_particles} particles, bandwidth {bandwidth}, learning rate {lr:g}")
    fig.tight_layout()
    return fig, x.numpy()


def svgd_explorer():
    """Target, number of particles, bandwidth rule and learning rate for ``svgd_demo``; runs on "Run"."""
    import ipywidgets as widgets

    def draw(target, n_particles, bandwidth, log10_lr):
        return svgd_demo(target, n_particles, bandwidth if bandwidth == "median" else float(bandwidth), 10**log10_lr)

    return explorer(draw, "Run",
                    target=widgets.Dropdown(options=list(DENSITIES_2D), value="banana"),
                    n_particles=widgets.IntSlider(value=100, min=2, max=400, step=2, description="particles"),
                    bandwidth=widgets.Dropdown(options=["median", "0.01", "0.1", "1", "10"], value="median"),
                    log10_lr=widgets.FloatSlider(value=-1.3, min=-3, max=0, step=0.1, description="log10 lr"))


def coupling_grid_demo(scale=0.5, shift=0.5, n_lines=9):
    """One affine coupling on the plane, v1 = u1, v2 = u2 exp(s(u1)) + t(u1) with s(u1) = scale sin(2 u1) and
    t(u1) = shift u1^2: a grid of [-2, 2]^2 before and after, the image coloured by log|det J| = s(u1).
    Returns (figure, largest round-trip error of the closed-form inverse over the grid)."""
    s_fn = lambda a: scale * np.sin(2 * a)  # noqa: E731
    t_fn = lambda a: shift * a**2  # noqa: E731
    fig, (ax_u, ax_v) = plt.subplots(1, 2, figsize=(11, 4.5))
    worst = 0.0
    dense = np.linspace(-2, 2, 200)
    for line in np.linspace(-2, 2, n_lines):
        for u1, u2 in ((np.full_like(dense, line), dense), (dense, np.full_like(dense, line))):
            v2 = u2 * np.exp(s_fn(u1)) + t_fn(u1)
            worst = max(worst, float(np.abs((v2 - t_fn(u1)) * np.exp(-s_fn(u1)) - u2).max()))
            ax_u.plot(u1, u2, color="tab:blue", lw=0.8)
            ax_v.scatter(u1, v2, c=s_fn(u1), cmap="RdBu_r", vmin=-2, vmax=2, s=1.5)
    ax_u.set(title="u: a grid", xlabel="u1", ylabel="u2")
    ax_v.set(title=f"v: s = {scale:g} sin(2 u1), t = {shift:g} u1^2 (colour: log|det J|)", xlabel="v1 = u1",
             ylabel="v2")
    fig.tight_layout()
    return fig, worst


def coupling_grid_explorer():
    """Sliders for the coupling's scale and shift amplitudes in ``coupling_grid_demo`` (redraws at once)."""
    import ipywidgets as widgets

    return explorer(lambda scale, shift: coupling_grid_demo(scale, shift),
                    scale=widgets.FloatSlider(value=0.5, min=-1.5, max=1.5, step=0.1, description="scale"),
                    shift=widgets.FloatSlider(value=0.5, min=-1.0, max=1.0, step=0.1, description="shift"))


def bnn_surrogate_demo(ensemble, n_train=100, n_particles=20, hidden=50, n_iter=1000, member=0, seed=0):
    """Fit an SVGD-BNN surrogate of the land model on the first n_train ensemble members and show one of the last
    100 (test) members with its 2-sd bands. Returns (figure, test R2 averaged over the outputs)."""
    x, y = ensemble.parameters, ensemble.outputs
    x_test, y_test = x[-100:], y[-100:]
    bnn = SVGDRegressor(hidden=hidden, n_particles=n_particles, n_iter=n_iter, seed=seed).fit(x[:n_train],
                                                                                            y[:n_train])
    pred = bnn.predict(x_test)
    r2 = float(np.mean(r2_score(y_test, pred.mean)))
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    plot_yearly_bands(axes, lm.YEARS, lm.OUTPUT_VARIABLES, lm.OUTPUT_UNITS, pred.mean[member], pred.std[member],
                      y_test[member], label="BNN")
    fig.suptitle(f"test member {member}: {n_train} training runs, {n_particles} particles, {hidden} hidden units; "
                 f"test R2 {r2:.3f}, fit {bnn.history['seconds']:.1f} s")
    fig.tight_layout()
    return fig, r2


def bnn_surrogate_explorer(ensemble):
    """Training size, particles, hidden width and the test member for ``bnn_surrogate_demo``; runs on "Train"."""
    import ipywidgets as widgets

    return explorer(lambda n_train, n_particles, hidden, member: bnn_surrogate_demo(ensemble, n_train, n_particles,
                                                                                   hidden, member=member),
                    "Train",
                    n_train=widgets.SelectionSlider(options=[10, 30, 50, 100, 300, 500, 700, 900], value=100,
                                                    description="training runs"),
                    n_particles=widgets.SelectionSlider(options=[5, 10, 20, 50, 100], value=20,
                                                        description="particles"),
                    hidden=widgets.SelectionSlider(options=[5, 10, 20, 50, 100, 200], value=50, description="hidden"),
                    member=widgets.IntSlider(value=0, min=0, max=99, description="test member"))


def toy_posterior_demo(samplers, y_obs=1.0, n=10000, seed=0):
    """Posteriors of the square toy (x ~ U[-2, 2], y = x^2 + N(0, 0.1^2)) at ``y_obs``: the exact density and
    the answer of every sampler in ``samplers`` (name -> object with ``sample(y_obs, n, seed)``), timed; the
    amortised ones answer at once, MCMC and SVGD run again. Returns (figure, dict name -> W1 to the exact posterior).
    """
    toy = SquareToy()
    grid, density = toy.posterior_density(y_obs)
    exact = toy.sample(y_obs, n, seed=seed + 1)    # another stream than the samplers' (the toy may be one of them)
    draws, seconds = {}, {}
    for name, sampler in samplers.items():
        start = time.perf_counter()
        draws[name] = sampler.sample([y_obs], n, seed=seed)
        seconds[name] = time.perf_counter() - start
    w1 = {name: float(marginal_w1(x, exact)[0]) for name, x in draws.items()}
    fig, ax = plt.subplots(figsize=(8, 3.6))
    ax.plot(grid, density, "k", lw=1.5, label="exact")
    for name, x in draws.items():
        ax.hist(x[:, 0], bins=160, range=(-2, 2), density=True, histtype="step", lw=1.2,
                label=f"{name}: W1 {w1[name]:.3f}, {seconds[name] * 1e3:.0f} ms")
    ax.set(xlabel="x", ylabel="p(x | y_obs)", title=f"square toy, y_obs = {y_obs:.2f}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig, w1


def toy_posterior_explorer(samplers):
    """A y_obs slider for ``toy_posterior_demo``."""
    import ipywidgets as widgets

    return explorer(lambda y_obs: toy_posterior_demo(samplers, y_obs),
                    y_obs=widgets.FloatSlider(value=1.0, min=-0.2, max=4.0, step=0.05, description="y_obs",
                                              continuous_update=False))


def calibration_demo(samplers, y_obs, truth=None, names=None):
    """Marginal posteriors of every sampler (name -> ``sample(y_obs, n)`` giving parameters (n, d)) for one
    observation, one panel per parameter, with the truth when known. Returns (figure, dict name -> samples)."""
    draws = {name: sampler.sample(y_obs, 4000) for name, sampler in samplers.items()}
    d = next(iter(draws.values())).shape[1]
    names = names or [f"x{i}" for i in range(d)]
    cols = min(d, 4)
    fig, axes = plt.subplots(-(-d // cols), cols, figsize=(3.3 * cols, 2.6 * -(-d // cols)), squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i >= d:
            ax.set_visible(False)
            continue
        for name, x in draws.items():
            ax.hist(x[:, i], bins=40, density=True, histtype="step", lw=1.2, label=name)
        if truth is not None:
            ax.axvline(truth[i], color="k", ls="--", lw=1, label="truth")
        ax.set(xlabel=names[i], yticks=[])
    axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    return fig, draws


def calibration_slider_explorer(samplers, start, ranges, names, labels):
    """One slider per observed output, starting at the observation ``start`` (k,) and spanning ``ranges`` ((low,
    high) per output), labelled ``labels``; every sampler answers the observation the sliders set as soon as one
    is released: amortised samplers (INN, DBUQ) in milliseconds."""
    import ipywidgets as widgets

    if not len(start) == len(ranges) == len(labels):
        raise ValueError(f"start, ranges and labels must have one entry per output; got {len(start)}, "
                         f"{len(ranges)}, {len(labels)}")
    sliders = {f"y{k}": widgets.FloatSlider(value=float(v), min=float(lo), max=float(hi), step=(hi - lo) / 100,
                                            description=label, continuous_update=False)
               for k, (v, (lo, hi), label) in enumerate(zip(start, ranges, labels))}
    return explorer(lambda **y: calibration_demo(samplers, np.array([y[f"y{k}"] for k in range(len(start))]),
                                                 None, names), **sliders)
