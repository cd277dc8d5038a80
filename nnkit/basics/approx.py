"""Universal approximation by construction: sigmoid steps, bumps from pairs of steps, and sums of bumps.

A hidden sigmoid neuron sigma(w x + b) is a smoothed step at x = -b / w whose sharpness grows with |w|. Two steps
of opposite sign make a bump; n bumps with heights f(cell centres) form a one-hidden-layer network with 2n neurons
whose L1 error against a continuous f shrinks as n grows (the "visual proof"). In 2-D, a bump in x1 plus a bump in
x2 is 2 on their box and at most 1 elsewhere, so one more sigmoid neuron thresholding the sum at 3/2 gives a tower
on the box; m^2 towers approximate f(x1, x2) with two hidden layers.
"""
from __future__ import annotations

import numpy as np

from ..core.scaling import sigmoid
from ..core.validation import as_float_array, check_choice, check_positive


def sigmoid_step(x, w, b):
    """One hidden neuron, sigma(w x + b): a step from 0 to 1 at x = -b / w (for w > 0), sharper for larger |w|."""
    return sigmoid(w * np.asarray(x, dtype=np.float64) + b)


def step_location(w, b):
    """Where sigma(w x + b) crosses 1/2: x = -b / w."""
    if w == 0:
        raise ValueError("w must be non-zero: sigma(0 x + b) is flat and has no step")
    return -b / w


def bump(x, left, right, height, steepness):
    """height * [sigma(s (x - left)) - sigma(s (x - right))]: a column of ``height`` on [left, right]."""
    if not right > left:
        raise ValueError(f"right must exceed left; got left={left}, right={right}")
    check_positive(steepness, "steepness")
    x = np.asarray(x, dtype=np.float64)
    return height * (sigmoid(steepness * (x - left)) - sigmoid(steepness * (x - right)))


class BumpNetwork:
    """One-hidden-layer sigmoid network built (not trained) from n bumps of equal width on ``interval``.

    Neuron pair i puts steps at the edges of cell i; the output layer weighs them by +h_i and -h_i, with h_i the
    target at the cell centre. output="sigmoid" approximates g = logit(f) instead and applies sigma at the
    output, as in the slides (needs 0 < f < 1). ``steepness`` is in 1 / (units of x); None gives 10 n / width,
    sharp enough that the steps look like steps yet stay smooth.
    """

    def __init__(self, f, n_bumps, interval=(0.0, 1.0), steepness=None, output="identity"):
        check_positive(n_bumps, "n_bumps", integer=True)
        check_choice(output, "output", ("identity", "sigmoid"))
        lo, hi = (float(v) for v in interval)
        if not hi > lo:
            raise ValueError(f"interval must be (low, high) with high > low; got {interval!r}")
        self.edges = np.linspace(lo, hi, n_bumps + 1)
        self.steepness = 10.0 * n_bumps / (hi - lo) if steepness is None else check_positive(steepness, "steepness")
        heights = as_float_array(f(0.5 * (self.edges[:-1] + self.edges[1:])), "f(cell centres)", ndim=1)
        if output == "sigmoid":
            if np.any((heights <= 0) | (heights >= 1)):
                raise ValueError("output='sigmoid' needs 0 < f < 1 at every cell centre")
            heights = np.log(heights / (1 - heights))
        self.heights, self.output = heights, output
        # hidden layer: 2n neurons sigma(w x + b) with steps at the left and right edge of every cell
        self.w_hidden = np.full(2 * n_bumps, self.steepness)
        self.b_hidden = -self.steepness * np.concatenate([self.edges[:-1], self.edges[1:]])
        self.w_out = np.concatenate([heights, -heights])

    @property
    def n_neurons(self):
        return len(self.w_hidden)

    def hidden_sum(self, x):
        """z = sum of the weighted hidden neurons at x of shape (m,), before any output activation."""
        x = as_float_array(x, "x", ndim=1)
        return sigmoid(x[:, None] * self.w_hidden + self.b_hidden) @ self.w_out

    def __call__(self, x):
        """Network output at points x of shape (m,); returns shape (m,)."""
        z = self.hidden_sum(x)
        return sigmoid(z) if self.output == "sigmoid" else z


def tower(x1, x2, box, height, steepness):
    """height * sigma(s (b1 + b2 - 3/2)), with b1 = bump(x1, l1, r1, 1, s), b2 = bump(x2, l2, r2, 1, s): a column of
    ``height`` on box = (l1, r1, l2, r2). x1, x2: arrays of the same shape; steepness s in 1 / (units of x)."""
    left1, right1, left2, right2 = box
    inner = bump(x1, left1, right1, 1.0, steepness) + bump(x2, left2, right2, 1.0, steepness)
    return height * sigmoid(steepness * (inner - 1.5))


def tower_network(f, m, x1, x2, steepness=None):
    """Sum of m x m towers on the cells of [0, 1]^2, cell (i, j) of height f at its centre, at points (x1, x2).

    f(x1, x2) takes arrays; x1, x2: arrays of the same shape. steepness None gives 100 m: sharper than the 10 n of
    ``BumpNetwork`` because where four cells meet all four towers fall to about 0, a hole whose area grows with the
    width of the steps; at 100 m it covers under 1 % of every cell and the error falls like 1/m.
    """
    check_positive(m, "m", integer=True)
    steepness = 100.0 * m if steepness is None else check_positive(steepness, "steepness")
    edges = np.linspace(0.0, 1.0, m + 1)
    centres = 0.5 * (edges[:-1] + edges[1:])
    heights = f(*np.meshgrid(centres, centres, indexing="ij"))
    total = np.zeros(np.broadcast(np.asarray(x1), np.asarray(x2)).shape)
    for i in range(m):
        for j in range(m):
            total += tower(x1, x2, (edges[i], edges[i + 1], edges[j], edges[j + 1]), heights[i, j], steepness)
    return total


def l1_error(f, approximation, interval=(0.0, 1.0), n_grid=20001):
    """Integral of |approximation(x) - f(x)| over ``interval`` by the trapezoid rule on n_grid points."""
    x = np.linspace(*interval, n_grid)
    gap = np.abs(approximation(x) - f(x))
    return float(np.sum(0.5 * (gap[1:] + gap[:-1]) * np.diff(x)))


def l1_error_curve(f, n_values, interval=(0.0, 1.0), output="identity"):
    """L1 error of ``BumpNetwork(f, n)`` for each n in n_values; returns an array of the same length."""
    return np.array([l1_error(f, BumpNetwork(f, int(n), interval, output=output), interval) for n in n_values])
