"""A process-based daily mini land model of the MOFLUX oak-hickory forest driven by 8 ELM parameters.

``simulate(theta)`` maps parameters (n, 8) to 15 outputs (annual NEE, mean LAI and mean LH for 2006-2010);
``sample_prior``, ``PARAMETERS`` describe the prior; ``load_ensemble``/``load_observations`` read the shipped data.
``reference_sampler`` and ``load_reference`` give the exact posterior of the observation cases from the model.
Command line: ``python -m nnkit.problems.landmodel ensemble|observations|reference ...`` (see ``__main__``).
"""
from .data import (DATA_DIR, Ensemble, Observations, load_ensemble, load_observations, make_ensemble,
                   make_observations, noise_sd, write_ensemble, write_observations)
from .model import (DEFAULT_STRUCTURE, OUT_OF_MODEL, OUTPUT_NAMES, OUTPUT_UNITS, OUTPUT_VARIABLES, Structure,
                    root_fractions, simulate, spin_up_drift)
from .parameters import (DEFAULTS, LOWER, PARAMETER_NAMES, PARAMETERS, UPPER, check_theta, from_unit, sample_prior,
                         to_unit)
from .reference import CALIBRATED_OUTPUTS, Reference, load_reference, make_reference, observed, reference_sampler
from .weather import YEARS, Weather, moflux_weather

__all__ = ["CALIBRATED_OUTPUTS", "DATA_DIR", "DEFAULTS", "DEFAULT_STRUCTURE", "Ensemble", "LOWER", "OUTPUT_NAMES",
           "OUTPUT_UNITS", "OUTPUT_VARIABLES", "OUT_OF_MODEL", "Observations", "PARAMETERS", "PARAMETER_NAMES",
           "Reference", "Structure", "UPPER", "Weather", "YEARS", "check_theta", "from_unit", "load_ensemble",
           "load_observations", "load_reference", "make_ensemble", "make_observations", "make_reference",
           "moflux_weather", "noise_sd", "observed", "reference_sampler", "root_fractions", "sample_prior",
           "simulate", "spin_up_drift", "to_unit", "write_ensemble", "write_observations"]
