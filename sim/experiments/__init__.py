"""Experiments: scenarios, run matrices, executors and the results store.

This layer imports the model; the model never imports it.
"""

from .executors import EXECUTORS, Executor
from .matrix import MatrixResult, build_matrix, run_matrix
from .scenario import Scenario, available, load_scenario, load_scenarios
from .store import Store
from .task import RunSpec, code_version, derive_seed, simulate

__all__ = [
    "EXECUTORS",
    "Executor",
    "MatrixResult",
    "RunSpec",
    "Scenario",
    "Store",
    "available",
    "build_matrix",
    "code_version",
    "derive_seed",
    "load_scenario",
    "load_scenarios",
    "run_matrix",
    "simulate",
]
