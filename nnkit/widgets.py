"""Interactive explorers for the notebooks.

Each explorer is a plain function that draws and returns a figure (tests call these directly, because ipywidgets
swallows exceptions raised inside ``interact`` callbacks) plus a thin builder that wires it to sliders.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from . import approx, gd
from .plotting import plot_frequency_heatmap, plot_loss_curve, plot_loss_surface, plot_yearly_bands
from .validation import check_choice


def learning_rate_demo(x, y, lr, steps, w0=-2.0, b0=2.0, grid=121):
    """Descent on the linear MSE of (x, y) from (w0, b0): path on the J(w, b) surface and loss per step.

    Returns (figure, trajectory). lr is in the data's units; compare it with ``gd.critical_learning_rate(x)``.
    """
    traj = gd.fit_linear(x, y, lr=lr, steps=steps, w0=w0, b0=b0)
    w_opt, b_opt = gd.least_squares(x, y)
    span = max(abs(w_opt[0] - w0), abs(b_opt - b0)) * 1.6
    w_grid = np.linspace(w_opt[0] - span, w_opt[0] + span, grid)
    b_grid = np.linspace(b_opt - span, b_opt + span, grid)
    fig, (ax_surface, ax_loss) = plt.subplots(1, 2, figsize=(11, 4.2))
    plot_loss_surface(ax_surface, w_grid, b_grid, gd.loss_surface(x, y, w_grid, b_grid), traj)
    ax_surface.plot(w_opt, b_opt, "*", color="gold", ms=14, mec="k", label="least squares")
    ratio = lr / gd.critical_learning_rate(x)
    status = "diverged" if traj.diverged else f"J = {traj.loss[-1]:.4g}"
    ax_surface.set_title(f"lr = {lr:.3g} ({ratio:.2f} x critical), {status}")
    plot_loss_curve(ax_loss, traj.loss)
    ax_loss.axhline(gd.linear_loss(w_opt, b_opt, x, y), color="gold", ls="--", label="minimum of J")
    ax_loss.legend()
    fig.tight_layout()
    return fig, traj


def learning_rate_explorer(x, y):
    """Sliders for learning rate (log scale, around the critical rate) and number of steps."""
    import ipywidgets as widgets

    critical = gd.critical_learning_rate(x)

    def show(lr, steps):
        fig, _ = learning_rate_demo(x, y, lr, steps)
        plt.show()
        return fig

    lr = widgets.FloatLogSlider(value=0.5 * critical, base=10, min=np.log10(critical) - 2.5,
                                max=np.log10(critical) + 0.1, step=0.05, description="lr", readout_format=".3g")
    steps = widgets.IntSlider(value=30, min=1, max=200, description="steps")
    return widgets.interactive(show, lr=lr, steps=steps)


TARGETS = {
    "sine + ramp": lambda x: np.sin(2 * np.pi * x) + 0.5 * x,
    "gaussian bump": lambda x: np.exp(-20 * x**2),
    "step": lambda x: np.where(x > 0, 1.0, -1.0),
    "two frequencies": lambda x: np.sin(np.pi * x) + 0.3 * np.sin(8 * np.pi * x),
}


def mlp_fit_demo(target="sine + ramp", width=32, depth=2, activation="tanh", epochs=500, lr=1e-2, n=128, seed=0):
    """Train ``backprop.MLP([1] + [width] * depth + [1])`` with Adam on a 1-D target at n points of [-1, 1].

    target: a key of ``TARGETS``. Draws the fit and the loss per epoch; returns (figure, model).
    """
    from .backprop import MLP

    f = TARGETS[check_choice(target, "target", TARGETS)]
    x = np.linspace(-1, 1, n)[:, None]
    model = MLP([1] + [width] * depth + [1], activation=activation, seed=seed)
    model.fit(x, f(x), lr=lr, epochs=epochs, batch_size=32, optimizer="adam")
    x_fine = np.linspace(-1, 1, 400)[:, None]
    fig, (ax_fit, ax_loss) = plt.subplots(1, 2, figsize=(11, 3.8))
    ax_fit.plot(x_fine, f(x_fine), color="k", lw=1, label="target")
    ax_fit.plot(x_fine, model.forward(x_fine), color="tab:red", label="network")
    ax_fit.set(xlabel="x", ylabel="y", title=f"{model.n_params} parameters, final MSE {model.history['loss'][-1]:.2e}")
    ax_fit.legend()
    plot_loss_curve(ax_loss, model.history["loss"], ylabel="MSE")
    ax_loss.set_xlabel("epoch")
    fig.tight_layout()
    return fig, model


def mlp_fit_explorer():
    """Controls for ``mlp_fit_demo``; trains when "Run Interact" is pressed (training takes a second or two)."""
    import ipywidgets as widgets

    from .backprop import ACTIVATIONS

    def show(target, width, depth, activation, epochs):
        fig, _ = mlp_fit_demo(target, width, depth, activation, epochs)
        plt.show()
        return fig

    return widgets.interactive(
        show, {"manual": True, "manual_name": "Train"},
        target=widgets.Dropdown(options=list(TARGETS), value="sine + ramp"),
        width=widgets.IntSlider(value=32, min=1, max=128, description="width"),
        depth=widgets.IntSlider(value=2, min=1, max=5, description="depth"),
        activation=widgets.Dropdown(options=list(ACTIVATIONS), value="tanh"),
        epochs=widgets.IntSlider(value=500, min=10, max=3000, step=10, description="epochs"),
    )


def smooth_target(x):
    """The function the universal-approximation lesson builds from bumps, on [0, 1] with values in (0, 1)."""
    return 0.5 + 0.3 * np.sin(2 * np.pi * x) + 0.1 * np.cos(5 * np.pi * x)


def bump_demo(n_bumps, steepness, f=smooth_target):
    """f on [0, 1], its n-bump network with the given steepness (1 / units of x), and each bump; returns the figure."""
    net = approx.BumpNetwork(f, n_bumps, (0.0, 1.0), steepness=steepness)
    x = np.linspace(0, 1, 1000)
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for i, (left, right) in enumerate(zip(net.edges[:-1], net.edges[1:])):
        ax.plot(x, approx.bump(x, left, right, net.heights[i], net.steepness), color="0.75", lw=0.8)
    ax.plot(x, f(x), "k", lw=1.5, label="f(x)")
    ax.plot(x, net(x), color="tab:red", lw=1.5, label=f"{net.n_neurons} sigmoid neurons")
    ax.set(xlabel="x", ylabel="y", title=f"{n_bumps} bumps, steepness {steepness:g}: "
                                         f"L1 error {approx.l1_error(f, net):.4f}")
    ax.legend(loc="lower left")
    return fig


def bump_explorer(f=smooth_target):
    """Sliders for the number of bumps and the steepness of the sigmoids."""
    import ipywidgets as widgets

    def show(n_bumps, log10_steepness):
        fig = bump_demo(n_bumps, 10**log10_steepness, f)
        plt.show()
        return fig

    return widgets.interactive(
        show, n_bumps=widgets.IntSlider(value=8, min=1, max=100, description="bumps"),
        log10_steepness=widgets.FloatSlider(value=2.5, min=0.5, max=4.0, step=0.1, description="log10 steep"))


def spectral_bias_demo(freqs, amps, n_iter=1000, seed=0):
    """Train on sum_k A_k sin(2 pi k t + phi_k) and show per-frequency error against iteration and the final fit."""
    from .spectral import track_spectral_bias

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

    def show(k1, a1, k2, a2, k3, a3, n_iter):
        fig, _ = spectral_bias_demo([k1, k2, k3], [a1, a2, a3], n_iter)
        plt.show()
        return fig

    k = {name: widgets.IntSlider(value=v, min=1, max=40, description=name) for name, v in (("k1", 1), ("k2", 5),
                                                                                            ("k3", 12))}
    a = {name: widgets.FloatSlider(value=1.0, min=0.1, max=2.0, step=0.1, description=name) for name in ("a1", "a2",
                                                                                                         "a3")}
    return widgets.interactive(show, {"manual": True, "manual_name": "Train"}, **k, **a,
                               n_iter=widgets.IntSlider(value=1000, min=100, max=4000, step=100, description="iters"))


def fourier_scale_demo(encoding="fourier", scale=10.0, n_iter=800, n_points=256, seed=0):
    """Fit the two-scale signal with an encoded network at one scale (sigma for "fourier", kappa for "sine").

    Trains on n_points, tests between them; returns (figure, test relative L2 error).
    """
    from .fourier import fit_curve, two_scale_signal

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

    def show(encoding, log10_scale):
        fig, _ = fourier_scale_demo(encoding, 10**log10_scale)
        plt.show()
        return fig

    return widgets.interactive(
        show, {"manual": True, "manual_name": "Train"},
        encoding=widgets.Dropdown(options=["none", "fourier", "sine"], value="fourier"),
        log10_scale=widgets.FloatSlider(value=1.0, min=-1.0, max=3.0, step=0.1, description="log10 scale"))


def svgd_demo(target="banana", n_particles=100, bandwidth="median", step_size=0.05, n_iter=300, seed=0):
    """Run SVGD from a tight cloud on a 2-D toy target and draw the particles over the density's contours.

    bandwidth: "median" or a positive h. Returns (figure, final particles (n, 2)).
    """
    import torch

    from .svgd import svgd, toy_target

    log_prob = toy_target(target)
    gen = torch.Generator().manual_seed(seed)
    start = 0.3 * torch.randn(n_particles, 2, generator=gen, dtype=torch.float64) + torch.tensor([0.0, -4.0],
                                                                                                 dtype=torch.float64)
    x, history = svgd(log_prob, start, n_iter=n_iter, step_size=step_size, bandwidth=bandwidth,
                      record_every=-(-n_iter // 3))  # ceil: three snapshots after the start
    g = np.linspace(-6, 6, 200)
    G1, G2 = np.meshgrid(g, g)
    grid = torch.tensor(np.stack([G1.ravel(), G2.ravel()], axis=1))
    density = np.exp(log_prob(grid).numpy().reshape(G1.shape))
    fig, axes = plt.subplots(1, len(history["particles"]), figsize=(4 * len(history["particles"]), 3.8),
                             sharex=True, sharey=True)
    for ax, it, p in zip(axes, history["iterations"], history["particles"]):
        ax.contour(G1, G2, density, levels=8, colors="0.6", linewidths=0.8)
        ax.scatter(*p.numpy().T, s=8, color="tab:red")
        ax.set(title=f"iteration {it}", xlabel="x1", xlim=(-6, 6), ylim=(-6, 6))
    axes[0].set_ylabel("x2")
    fig.suptitle(f"SVGD on '{target}': {n_particles} particles, bandwidth {bandwidth}, step {step_size:g}")
    fig.tight_layout()
    return fig, x.numpy()


def svgd_explorer():
    """Target, number of particles, bandwidth rule and step size for ``svgd_demo``; runs on "Run"."""
    import ipywidgets as widgets

    from .svgd import TOY_TARGETS

    def show(target, n_particles, bandwidth, log10_step):
        fig, _ = svgd_demo(target, n_particles, bandwidth if bandwidth == "median" else float(bandwidth),
                           10**log10_step)
        plt.show()
        return fig

    return widgets.interactive(
        show, {"manual": True, "manual_name": "Run"},
        target=widgets.Dropdown(options=list(TOY_TARGETS), value="banana"),
        n_particles=widgets.IntSlider(value=100, min=2, max=400, step=2, description="particles"),
        bandwidth=widgets.Dropdown(options=["median", "0.01", "0.1", "1", "10"], value="median"),
        log10_step=widgets.FloatSlider(value=-1.3, min=-3, max=0, step=0.1, description="log10 step"))


def bnn_surrogate_demo(ensemble, n_train=100, n_particles=20, hidden=50, n_iter=1000, member=0, seed=0):
    """Fit an SVGD-BNN surrogate of the land model on the first n_train ensemble members and show one of the last
    100 (test) members with its 2-sd bands. Returns (figure, test R2 averaged over the outputs)."""
    from . import landmodel as lm
    from .bnn import SVGDRegressor
    from .metrics import r2_score

    x, y = lm.to_unit(ensemble.parameters), ensemble.outputs
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

    def show(n_train, n_particles, hidden, member):
        fig, _ = bnn_surrogate_demo(ensemble, n_train, n_particles, hidden, member=member)
        plt.show()
        return fig

    return widgets.interactive(
        show, {"manual": True, "manual_name": "Train"},
        n_train=widgets.SelectionSlider(options=[10, 30, 50, 100, 300, 500, 700, 900], value=100,
                                        description="training runs"),
        n_particles=widgets.SelectionSlider(options=[5, 10, 20, 50, 100], value=20, description="particles"),
        hidden=widgets.SelectionSlider(options=[5, 10, 20, 50, 100, 200], value=50, description="hidden"),
        member=widgets.IntSlider(value=0, min=0, max=99, description="test member"))


def toy_posterior_demo(samplers, y_obs=1.0, mcmc_steps=1500, seed=0):
    """Posteriors of the square toy (x ~ U[-2, 2], y = x^2 + N(0, 0.1^2)) at ``y_obs``: the exact density, every
    amortised sampler in ``samplers`` (name -> object with ``sample(y_obs, n)``, answered at once) and adaptive
    Metropolis re-run for this y_obs. Returns (figure, dict name -> W1 to the exact posterior)."""
    import torch

    from .calibration import sample_grid_density, square_toy_log_posterior, square_toy_posterior
    from .mcmc import adaptive_metropolis
    from .metrics import marginal_w1

    grid, density = square_toy_posterior(y_obs)
    exact = sample_grid_density(grid, density, 10000, seed=seed)
    draws = {name: sampler.sample([y_obs], 10000, seed=seed) for name, sampler in samplers.items()}
    x0 = torch.linspace(-1.9, 1.9, 64, dtype=torch.float64)[:, None]
    run = adaptive_metropolis(square_toy_log_posterior(y_obs), x0, mcmc_steps, initial_scale=0.1, seed=seed)
    draws[f"MCMC ({run.seconds:.2f} s)"] = run.flat()
    w1 = {name: float(marginal_w1(x, exact)[0]) for name, x in draws.items()}
    fig, ax = plt.subplots(figsize=(8, 3.6))
    ax.plot(grid, density, "k", lw=1.5, label="exact")
    for name, x in draws.items():
        ax.hist(x[:, 0], bins=160, range=(-2, 2), density=True, histtype="step", lw=1.2,
                label=f"{name}: W1 {w1[name]:.3f}")
    ax.set(xlabel="x", ylabel="p(x | y_obs)", title=f"square toy, y_obs = {y_obs:.2f}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig, w1


def toy_posterior_explorer(samplers):
    """A y_obs slider for ``toy_posterior_demo``: the amortised samplers answer at once, MCMC re-runs."""
    import ipywidgets as widgets

    def show(y_obs):
        fig, _ = toy_posterior_demo(samplers, y_obs)
        plt.show()
        return fig

    return widgets.interactive(show, y_obs=widgets.FloatSlider(value=1.0, min=-0.2, max=4.0, step=0.05,
                                                                  description="y_obs", continuous_update=False))


def calibration_demo(samplers, y_obs, truth=None, names=None):
    """Marginal posteriors of every amortised sampler (name -> ``sample(y_obs, n)`` giving parameters (n, d)) for
    one observation, one panel per parameter, with the truth when known. Returns (figure, dict name -> samples)."""
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


def calibration_explorer(samplers, observations, truths, names):
    """Pick an observation case (name -> y_obs (k,)); every amortised sampler answers at once."""
    import ipywidgets as widgets

    def show(case):
        fig, _ = calibration_demo(samplers, observations[case], truths.get(case), names)
        plt.show()
        return fig

    return widgets.interactive(show, case=widgets.Dropdown(options=list(observations), description="observation"))


def seaice_rollout_demo(truth, forecasts, mask, lead, step_hours=12):
    """Thickness at one lead of a rollout: the truth, every forecast in ``forecasts`` (name -> (L, ny, nx), m) and
    each one's error, land grey. truth: (L, ny, nx); lead: 1..L (steps). Returns the figure."""
    if not 1 <= lead <= len(truth):
        raise ValueError(f"lead must be in 1..{len(truth)}; got {lead!r}")
    names = list(forecasts)
    fig, axes = plt.subplots(2, len(names) + 1, figsize=(3.4 * (len(names) + 1), 6.2), squeeze=False)
    land = np.where(mask, np.nan, 1.0)
    vmax = float(np.quantile(truth[:, mask], 0.99))
    panels = [("truth", truth[lead - 1])] + [(name, forecasts[name][lead - 1]) for name in names]
    for ax, (name, field) in zip(axes[0], panels):
        im = ax.imshow(np.where(mask, field, np.nan), cmap="Blues_r", vmin=0, vmax=vmax)
        ax.imshow(land, cmap="Greys", vmin=0, vmax=2)
        ax.set(title=name, xticks=[], yticks=[])
    fig.colorbar(im, ax=axes[0].tolist(), label="thickness (m)", shrink=0.8)
    axes[1, 0].set_visible(False)
    for ax, name in zip(axes[1, 1:], names):
        error = np.where(mask, forecasts[name][lead - 1] - truth[lead - 1], np.nan)
        rmse = float(np.sqrt(np.nanmean(error**2)))
        im = ax.imshow(error, cmap="RdBu_r", vmin=-0.5, vmax=0.5)
        ax.imshow(land, cmap="Greys", vmin=0, vmax=2)
        ax.set(title=f"{name} - truth (RMSE {rmse:.2f} m)", xticks=[], yticks=[])
    fig.colorbar(im, ax=axes[1].tolist(), label="error (m)", shrink=0.8)
    fig.suptitle(f"lead {lead * step_hours / 24:g} days")
    return fig


def seaice_rollout_explorer(truth, forecasts, mask, step_hours=12):
    """A lead-time slider for ``seaice_rollout_demo``."""
    import ipywidgets as widgets

    def show(lead):
        fig = seaice_rollout_demo(truth, forecasts, mask, lead, step_hours)
        plt.show()
        return fig

    return widgets.interactive(show, lead=widgets.IntSlider(value=1, min=1, max=len(truth), description="lead (steps)",
                                                            continuous_update=False))
