"""govsim: agent-based simulation of urban community governance (Tiexi, Shenyang).

The kernel is :class:`GovModel` with its services (:mod:`sim.services`);
:func:`run` runs one (parameters, seed) pair and returns its daily series and
summary. Plotting and the command line live in their own modules and import the
model, never the other way round.
"""

from .errors import InputError
from .model import GovModel, derived_seed
from .params import Params
from .runner import RunResult, run
from .schedule import CORE_PHASES, Phase
from .services import DEFAULT_SERVICES, Service

__all__ = [
    "CORE_PHASES",
    "DEFAULT_SERVICES",
    "GovModel",
    "InputError",
    "Params",
    "Phase",
    "RunResult",
    "Service",
    "derived_seed",
    "run",
]
__version__ = "0.1.0"
