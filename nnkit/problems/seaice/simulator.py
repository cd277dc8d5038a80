"""A seeded toy sea-ice model on an n x n grid of 25 km cells, in numpy.

Ice thickness h (m) on the ocean cells of a basin with a ragged coast and islands is
  - advected by the free drift, 2 % of the wind turned 25 degrees clockwise, in flux form (first-order upwind, no
    flux through a coast face, so ice is conserved by transport),
  - diffused (kappa = 200 m^2/s),
  - grown when the air is below freezing, dh/dt = 7e-9 (-1.8 - Ta) / (h + 0.2) m/s (thin ice grows fastest), and
    melted above it, 4e-8 (Ta + 1.8) m/s, plus a constant ocean heat flux of 6e-9 m/s,
  - cracked now and then: with probability 0.05 per step a one-cell lead along a random line keeps 30 % of its ice,
    the sharp features that a smoothing surrogate loses.
The wind comes from a streamfunction of 5 drifting vortices with AR(1) amplitudes, a fixed anticyclone and a mean
drift; the air temperature (degrees C) has a seasonal cycle, a colder centre and synoptic anomalies tied to the
vortices. Steps of 6 h; fields are kept every 12 h.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...core.validation import check_positive

DX_M = 25e3              # grid spacing (m)
STEP_S = 6 * 3600.0      # model time step (s)
SAVE_HOURS = 12          # one saved field per 12 h
STEPS_PER_SAVE = 2
DAYS_PER_YEAR = 365
SAVES_PER_YEAR = DAYS_PER_YEAR * 24 // SAVE_HOURS
FREEZING_C = -1.8        # freezing point of sea water (degrees C)
H_MAX_M = 8.0
FORCING_NAMES = ("u_wind", "v_wind", "air_temperature")
FORCING_UNITS = ("m/s", "m/s", "degC")


@dataclass(frozen=True)
class SeaIceRun:
    """One simulation, saved every 12 h.

    thickness: (T, n, n) float32, m (0 on land); forcing: (T, 3, n, n) float32, the wind (u, v in m/s) and air
    temperature (degrees C) at the same times; mask: (n, n) bool, True on ocean; hours: (T,) since the start.
    """

    thickness: np.ndarray
    forcing: np.ndarray
    mask: np.ndarray
    hours: np.ndarray

    @property
    def steps_per_year(self):
        return SAVES_PER_YEAR


def _smooth_noise(rng, n, scale_cells):
    """Gaussian random field (n, n) with unit sd and correlation length ~scale_cells, by FFT filtering."""
    k = np.fft.fftfreq(n)
    k2 = k[:, None] ** 2 + k[None, :] ** 2
    field = np.fft.ifft2(np.fft.fft2(rng.standard_normal((n, n))) * np.exp(-2 * (np.pi * scale_cells) ** 2 * k2)).real
    return (field - field.mean()) / field.std()


def _centred_coordinates(n):
    """(y, x) of the cell centres, each (n, n), in units of the domain width, 0 at the centre."""
    return (np.mgrid[0:n, 0:n] + 0.5) / n - 0.5


def make_mask(n, rng):
    """Ocean mask (n, n) bool: a round basin with a ragged coast and a few islands; the central n/2 box is kept
    all ocean, so spectra can be taken there without a coastline."""
    y, x = _centred_coordinates(n)
    r = np.hypot(x, y)
    ocean = r + 0.06 * _smooth_noise(rng, n, n / 16) < 0.42
    islands = _smooth_noise(rng, n, n / 20) > 2.0
    centre = (np.abs(x) < 0.25 + 1.5 / n) & (np.abs(y) < 0.25 + 1.5 / n)
    return (ocean | centre) & ~(islands & ~centre)


class _Wind:
    """Streamfunction psi(x, y, t) = sum_k a_k(t) exp(-|x - c_k(t)|^2 / 2 s_k^2) - anticyclone; wind = curl."""

    def __init__(self, n, rng, n_vortices=5):
        self.n, self.rng = n, rng
        self.y, self.x = np.mgrid[0:n, 0:n] + 0.5
        self.centres = rng.uniform(0, n, size=(n_vortices, 2))
        self.velocities = rng.normal(0, 0.15, size=(n_vortices, 2))   # cells per step
        self.sizes = rng.uniform(0.08, 0.2, size=n_vortices) * n
        self.amplitudes = rng.normal(0, 1, size=n_vortices)
        centre = n / 2
        self.anticyclone = -0.8 * np.exp(-((self.x - centre) ** 2 + (self.y - centre) ** 2) / (2 * (0.3 * n) ** 2))

    def step(self):
        """Advance the vortices one step; return psi (n, n) (order 1) and the wind u, v (m/s)."""
        self.centres = (self.centres + self.velocities) % self.n
        self.amplitudes = 0.97 * self.amplitudes + np.sqrt(1 - 0.97**2) * self.rng.normal(size=len(self.amplitudes))
        psi = self.anticyclone.copy()
        for (cx, cy), s, a in zip(self.centres, self.sizes, self.amplitudes):
            dx = (self.x - cx + self.n / 2) % self.n - self.n / 2    # periodic distance: vortices wrap around
            dy = (self.y - cy + self.n / 2) % self.n - self.n / 2
            psi += a * np.exp(-(dx**2 + dy**2) / (2 * s**2))
        dpsi_dy, dpsi_dx = np.gradient(psi)
        scale = float(self.n)   # psi changes ~0.1 per cell at n = 64: vortex winds of ~5-10 m/s on any grid
        return psi, -scale * dpsi_dy + 2.0, scale * dpsi_dx + 0.5


def _open_faces(mask):
    """Faces between two ocean cells: east faces (n, n - 1) and north faces (n - 1, n); the others carry no flux."""
    return mask[:, :-1] & mask[:, 1:], mask[:-1, :] & mask[1:, :]


def _net_outflow(fx, fy):
    """Per cell (n, n), what leaves through its east and north faces minus what enters through its west and south
    faces, for fluxes fx (n, n - 1) across east faces and fy (n - 1, n) across north faces."""
    out = np.zeros((fy.shape[1], fx.shape[0]))
    out[:, :-1] += fx
    out[:, 1:] -= fx
    out[:-1, :] += fy
    out[1:, :] -= fy
    return out


def advect(h, u, v, mask, dt):
    """One flux-form first-order upwind step of dh/dt = -div(u h); no flux through faces next to land or the edge."""
    open_x, open_y = _open_faces(mask)
    ue = 0.5 * (u[:, :-1] + u[:, 1:])                  # east faces between columns j and j+1 (m/s)
    vn = 0.5 * (v[:-1, :] + v[1:, :])                  # north faces between rows i and i+1
    fx = np.where(ue > 0, ue * h[:, :-1], ue * h[:, 1:]) * open_x
    fy = np.where(vn > 0, vn * h[:-1, :], vn * h[1:, :]) * open_y
    return h - dt / DX_M * _net_outflow(fx, fy)


def diffuse(h, mask, kappa, dt):
    """One step of dh/dt = kappa * laplacian(h), the down-gradient flux -kappa grad(h) through open faces only."""
    open_x, open_y = _open_faces(mask)
    gx = (h[:, 1:] - h[:, :-1]) * open_x
    gy = (h[1:, :] - h[:-1, :]) * open_y
    return h + kappa * dt / DX_M**2 * _net_outflow(gx, gy)


def _open_lead(h, rng, n):
    """A one-cell-wide straight crack through a random point at a random angle: h <- 0.3 h along it."""
    cx, cy = rng.uniform(0.2 * n, 0.8 * n, size=2)
    angle = rng.uniform(0, np.pi)
    length = rng.uniform(0.2, 0.5) * n
    s = np.linspace(-length / 2, length / 2, int(2 * length))
    rows = np.clip(np.round(cy + s * np.sin(angle)).astype(int), 0, n - 1)
    cols = np.clip(np.round(cx + s * np.cos(angle)).astype(int), 0, n - 1)
    h[rows, cols] *= 0.3


def simulate(n_years=3, n=64, seed=0, kappa=200.0, lead_probability=0.05):
    """Run the toy model for ``n_years`` (365-day years) on an n x n grid; returns a ``SeaIceRun`` with
    n_years * 730 fields, the first at the end of day 0. The run starts on 1 October from 0.5 m of ice (spun up
    for one year first, so the first saved year is already in its seasonal cycle)."""
    check_positive(n_years, "n_years", integer=True)
    check_positive(n, "n", integer=True)
    if n < 16 or n % 4:
        raise ValueError(f"n must be a multiple of 4 and at least 16 (the surrogate halves the grid twice); got {n}")
    check_positive(kappa, "kappa")
    if not 0 <= lead_probability <= 1:
        raise ValueError(f"lead_probability must be in [0, 1]; got {lead_probability!r}")
    rng = np.random.default_rng(seed)
    mask = make_mask(n, rng)
    wind = _Wind(n, rng)
    y, x = _centred_coordinates(n)
    r2 = x**2 + y**2
    h = 0.5 * mask.astype(float)
    n_saved = n_years * SAVES_PER_YEAR
    thickness = np.zeros((n_saved, n, n), dtype=np.float32)
    forcing = np.zeros((n_saved, 3, n, n), dtype=np.float32)
    spinup = SAVES_PER_YEAR * STEPS_PER_SAVE
    for step in range(spinup + n_saved * STEPS_PER_SAVE):
        day = 274 + (step - spinup) * STEP_S / 86400       # day of the year, starting on 1 October
        psi, u, v = wind.step()
        ta = -15 - 14 * np.cos(2 * np.pi * (day - 20) / DAYS_PER_YEAR) + 40 * r2 + 3 * psi
        turn = np.deg2rad(-25)                                # free drift: 2 % of the wind, 25 degrees to the right
        ui = 0.02 * (np.cos(turn) * u - np.sin(turn) * v)
        vi = 0.02 * (np.sin(turn) * u + np.cos(turn) * v)
        h = diffuse(advect(h, ui, vi, mask, STEP_S), mask, kappa, STEP_S)
        growth = np.where(ta < FREEZING_C, 7e-9 * (FREEZING_C - ta) / (h + 0.2), -4e-8 * (ta - FREEZING_C)) - 6e-9
        h = np.clip(h + STEP_S * growth, 0, H_MAX_M) * mask
        if rng.random() < lead_probability:
            _open_lead(h, rng, n)
        saved, rest = divmod(step - spinup + 1, STEPS_PER_SAVE)
        if step >= spinup and rest == 0:
            thickness[saved - 1] = h
            forcing[saved - 1] = np.stack([u, v, ta]) * mask
    hours = SAVE_HOURS * np.arange(1, n_saved + 1, dtype=float)
    return SeaIceRun(thickness, forcing, mask, hours)
