"""Seasonal-deciduous phenology of the mini land model (ELM's scheme), one day at a time for all members.

Growing degree days of soil temperature from 1 January reach crit_onset_gdd -> half the leaf and fine-root storage
is displayed over ndays_on; after the summer solstice the day length falls below crit_dayl -> leaves and fine
roots drop to litter over ndays_off. A hard frost kills part of the out-leaves (the April 2007 freeze).
"""
from __future__ import annotations

import numpy as np


def phenology_step(model, day, doy):
    """Onset, frost kill and offset for one day, in place on model's leaf, root, storage and litter pools."""
    s, f = model.s, model.forcing
    before_solstice = doy < 172
    if before_solstice:
        model.gdd += model.at(f["gdd"], day)
    onset = ~model.leaves_on & before_solstice & (model.gdd >= model.crit_gdd)
    if onset.any():
        leaf_xfer = s.fstor2tran * model.leaf_stor[onset]
        froot_xfer = s.fstor2tran * model.froot_stor[onset]
        model.leaf_stor[onset] -= leaf_xfer
        model.froot_stor[onset] -= froot_xfer
        model.leaf_xfer_rate[onset] = leaf_xfer / s.ndays_on
        model.froot_xfer_rate[onset] = froot_xfer / s.ndays_on
        model.onset_days[onset] = s.ndays_on
        model.leaves_on |= onset
    growing = model.onset_days > 0
    model.leaf += np.where(growing, model.leaf_xfer_rate, 0.0)
    model.froot += np.where(growing, model.froot_xfer_rate, 0.0)
    model.onset_days -= growing

    frost = model.at(f["frost"], day)
    if np.any(frost > 0):  # a hard frost kills part of the out-leaves
        killed = frost * model.leaf
        model.leaf -= killed
        model.litter += killed

    offset = model.leaves_on & (model.offset_days == 0) & (not before_solstice) & (
        model.at(model.weather.dayl, day) < model.crit_dayl)
    if offset.any():
        model.offset_days[offset] = s.ndays_off
        model.leaf_off_rate[offset] = model.leaf[offset] / s.ndays_off
        model.froot_off_rate[offset] = model.froot[offset] / s.ndays_off
    dropping = model.offset_days > 0
    if dropping.any():
        leaf_fall = np.where(dropping, np.minimum(model.leaf_off_rate, model.leaf), 0.0)
        root_fall = np.where(dropping, np.minimum(model.froot_off_rate, model.froot), 0.0)
        model.leaf -= leaf_fall
        model.froot -= root_fall
        model.litter += leaf_fall + root_fall
        model.offset_days -= dropping
        done = dropping & (model.offset_days == 0)
        model.leaves_on &= ~done
        model.litter[done] += model.leaf[done] + model.froot[done]
        model.leaf[done] = 0.0
        model.froot[done] = 0.0
