"""Explorers for lessons 01-03: the learning rate of gradient descent, a hand-written MLP's fit, bumps."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ...basics import approx, gd
from ...basics.backprop import ACTIVATIONS, MLP
from ...core.validation import check_choice
from ...problems.toys import TARGETS_1D, smooth_target
from ..plotting import plot_loss_curve, plot_loss_surface
from . import explorer


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
    return explorer(lambda lr, steps: learning_rate_demo(x, y, lr, steps),
                    lr=widgets.FloatLogSlider(value=0.5 * critical, base=10, min=np.log10(critical) - 2.5,
                                              max=np.log10(critical) + 0.1, step=0.05, description="lr",
                                              readout_format=".3g"),
                    steps=widgets.IntSlider(value=30, min=1, max=200, description="steps"))


def mlp_fit_demo(target="sine + ramp", width=32, depth=2, activation="tanh", n_epochs=500, lr=1e-2, n=128,
                 seed=0):
    """Train ``backprop.MLP([1] + [width] * depth + [1])`` with Adam on a 1-D target at n points of [-1, 1].

    target: a key of ``problems.toys.TARGETS_1D``. Draws the fit and the loss per epoch; returns (figure, model).
    """
    f = TARGETS_1D[check_choice(target, "target", TARGETS_1D)]
    x = np.linspace(-1, 1, n)[:, None]
    model = MLP([1] + [width] * depth + [1], activation=activation, seed=seed)
    model.fit(x, f(x), lr=lr, n_epochs=n_epochs, batch_size=32, optimizer="adam")
    x_fine = np.linspace(-1, 1, 400)[:, None]
    fig, (ax_fit, ax_loss) = plt.subplots(1, 2, figsize=(11, 3.8))
    ax_fit.plot(x_fine, f(x_fine), color="k", lw=1, label="target")
    ax_fit.plot(x_fine, model.forward(x_fine), color="tab:red", label="network")
    final = model.history["train_loss"][-1]
    ax_fit.set(xlabel="x", ylabel="y", title=f"{model.n_params} parameters, final MSE {final:.2e}")
    ax_fit.legend()
    plot_loss_curve(ax_loss, model.history["train_loss"], ylabel="MSE")
    ax_loss.set_xlabel("epoch")
    fig.tight_layout()
    return fig, model


def mlp_fit_explorer():
    """Controls for ``mlp_fit_demo``; trains when "Train" is pressed (training takes a second or two)."""
    import ipywidgets as widgets

    return explorer(mlp_fit_demo, "Train",
                    target=widgets.Dropdown(options=list(TARGETS_1D), value="sine + ramp"),
                    width=widgets.IntSlider(value=32, min=1, max=128, description="width"),
                    depth=widgets.IntSlider(value=2, min=1, max=5, description="depth"),
                    activation=widgets.Dropdown(options=list(ACTIVATIONS), value="tanh"),
                    n_epochs=widgets.IntSlider(value=500, min=10, max=3000, step=10, description="epochs"))


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

    return explorer(lambda n_bumps, log10_steepness: bump_demo(n_bumps, 10**log10_steepness, f),
                    n_bumps=widgets.IntSlider(value=8, min=1, max=100, description="bumps"),
                    log10_steepness=widgets.FloatSlider(value=2.5, min=0.5, max=4.0, step=0.1,
                                                        description="log10 steep"))
