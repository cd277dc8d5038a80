"""A toy sea-ice model and a CNN surrogate of it with partial convolutions (after Durand et al. 2024, neXtSIM).

``simulate`` makes the data (thickness every 12 h on a masked grid, with its wind and air-temperature forcing);
``SeaIceSurrogate`` trains a partial-convolution UNet (or a FixUp ResNet) on 12 h increments and rolls it out;
``forecast_skill``, ``spectral_exponent`` and ``q_beta`` score the forecasts against persistence, climatology and the
truth.
"""
from .network import PartialConv2d, SeaIceResNet, SeaIceUNet
from .simulator import FORCING_NAMES, FORCING_UNITS, H_MAX_M, SAVE_HOURS, SeaIceRun, make_mask, simulate
from .skill import forecast_skill, masked_bias, masked_rmse, q_beta, radial_spectrum, spectral_exponent
from .surrogate import SeaIceSurrogate

__all__ = ["FORCING_NAMES", "FORCING_UNITS", "H_MAX_M", "PartialConv2d", "SAVE_HOURS", "SeaIceResNet", "SeaIceRun",
           "SeaIceSurrogate", "SeaIceUNet", "forecast_skill", "make_mask", "masked_bias", "masked_rmse",
           "q_beta", "radial_spectrum", "simulate", "spectral_exponent"]
