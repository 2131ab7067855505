"""Experiments: scenarios, run matrices, executors, the results store, comparisons and briefs.

This layer imports the model; the model never imports it. A typical session::

    from sim.experiments import load_scenarios, compare, Executor
    comp = compare(load_scenarios(["baseline", "more_partner_units"]), out="results/x", reps=4, days=365,
                   executor=Executor("process"))
    comp.diffs      # paired differences with bootstrap intervals, per outcome and group
    comp.files["brief"]

Plots (:mod:`~sim.experiments.plots`) and the brief (:mod:`~sim.experiments.brief`)
import matplotlib and are loaded on demand.
"""

from .comparison import Comparison, analyse, compare, headline_text
from .executors import EXECUTORS, Executor
from .matrix import MatrixResult, build_matrix, run_matrix
from .scenario import Scenario, available, load_scenario, load_scenarios
from .stats import bootstrap_ci, cost_table, paired_differences, summaries
from .store import Store
from .sweep import Lever, parse_lever, sweep
from .task import RunSpec, code_version, derive_seed, simulate

__all__ = [
    "EXECUTORS",
    "Comparison",
    "Executor",
    "Lever",
    "MatrixResult",
    "RunSpec",
    "Scenario",
    "Store",
    "analyse",
    "available",
    "bootstrap_ci",
    "build_matrix",
    "code_version",
    "compare",
    "cost_table",
    "derive_seed",
    "headline_text",
    "load_scenario",
    "load_scenarios",
    "paired_differences",
    "parse_lever",
    "run_matrix",
    "simulate",
    "summaries",
    "sweep",
]
