"""One run of the matrix: a spawn-safe task that never raises.

:func:`execute` is a top-level function of a :class:`RunSpec`, so a process
pool or a Dask worker can pickle it. It builds the model itself (rather than
calling :func:`sim.run`) so that it can also read per-grid unmet need and the
number of distinct residents with an unmet need from the finished model (the
summary's ``residents_served`` is the model's own metric: served by a provider
or fed by a canteen); the daily series
and summary are produced by the same functions :func:`sim.run` uses, and a
test checks they agree.
"""

from __future__ import annotations

import hashlib
import json
import time
import traceback
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import spinup
from ..model import GovModel
from ..needs import NeedState, is_unmet
from ..runner import tidy
from .scenario import Scenario

SIM_DIR = Path(__file__).resolve().parents[1]
# The only files of this subpackage that change what a run computes.
RUN_MODULES = ("task.py", "scenario.py")
# Front ends that a run never imports (the model must not import them either).
FRONT_ENDS = ("cli.py", "dashboard")


@cache
def code_version() -> str:
    """Hash of the ``sim/`` source files that decide a run's outputs.

    Every ``sim/**/*.py`` counts except the front ends (``sim/cli.py``,
    ``sim/dashboard/``) and, of this subpackage, everything but the modules that
    build and run a scenario (:data:`RUN_MODULES`): editing plots, statistics,
    the store or a command line does not invalidate finished runs.
    """
    h = hashlib.sha256()
    for path in sorted(SIM_DIR.rglob("*.py")):
        rel = path.relative_to(SIM_DIR)
        if rel.parts[0] in FRONT_ENDS or (rel.parts[0] == "experiments" and rel.name not in RUN_MODULES):
            continue
        h.update(rel.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def derive_seed(base_seed: int, rep: int) -> int:
    """Seed of replication ``rep``: the same in every scenario (common random numbers)."""
    state = np.random.SeedSequence(base_seed, spawn_key=(rep,)).generate_state(1, dtype=np.uint32)
    return int(state[0])


@dataclass(frozen=True)
class RunSpec:
    """One cell of the run matrix: a scenario, a replication, its seed and its parameter set.

    ``draw`` is the replication's parameter set from the posterior (``(name, value)`` pairs,
    the scenario's own changes going on top) and ``param_set`` its index in the posterior
    file; both empty for a comparison at the default parameters (``--uncertainty none``).
    """

    scenario: Scenario
    rep: int
    seed: int
    days: int
    code_version: str
    spinup_dir: str | None = None  # where spun-up states are kept (the store's spinup/ folder)
    draw: tuple[tuple[str, Any], ...] = ()
    param_set: int | None = None

    @property
    def key(self) -> str:
        """Cache key: scenario content hash + seed + days + code version (+ the parameter set)."""
        text = f"{self.scenario.hash}|{self.seed}|{self.days}|{self.code_version}"
        if self.draw:
            text += "|" + json.dumps(list(self.draw), separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:20]

    def build(self):
        """Parameters and policies of this run: the scenario on top of its parameter set."""
        return self.scenario.build(dict(self.draw))

    def record(self) -> dict[str, Any]:
        rec = {
            "key": self.key,
            "scenario": self.scenario.name,
            "scenario_hash": self.scenario.hash,
            "rep": self.rep,
            "seed": self.seed,
            "days": self.days,
            "code_version": self.code_version,
        }
        if self.draw:
            rec["param_set"] = self.param_set
            rec["draw"] = dict(self.draw)
        return rec


@dataclass
class RunOutput:
    """What a task returns: the tables of a finished run, or the error of a failed one."""

    key: str
    status: str  # "done" or "failed"
    started: float
    finished: float
    daily: pd.DataFrame | None = None
    summary: dict[str, float] | None = None
    grid: pd.DataFrame | None = None
    error: str | None = None
    traceback: str | None = None


def simulate(
    scenario: Scenario,
    seed: int,
    days: int,
    spinup_dir: Path | None = None,
    base: dict[str, Any] | None = None,
) -> tuple[pd.DataFrame, dict[str, float], pd.DataFrame]:
    """Run a scenario once, on top of the parameter set ``base`` (default: the defaults), from
    its spun-up state (reused from ``spinup_dir`` when there); returns (daily series, summary,
    per-grid table) of the measured days."""
    params, policies = scenario.build(base)
    model = spinup.start(params, seed, policies=policies, cache_dir=spinup_dir)
    model.run(days)
    summary = model.summary()
    grid, _, _ = grid_table(model)
    summary.setdefault("residents", float(model.pop.n))
    return tidy(model), summary, grid


def grid_table(model: GovModel) -> tuple[pd.DataFrame, float, float]:
    """Per-grid needs closed and unmet over the run, with grid centroids in metres.

    Returns:
        (table with columns grid, community, x_m, y_m, residents, needs_closed,
        unmet, lapsed; distinct residents served; distinct residents with an
        unmet need).
    """
    pop, needs = model.pop, model.needs
    n_grid = len(pop.grid_community)
    closed = needs.day_closed >= model.day0  # the measured window only
    state = needs.state
    unmet = closed & is_unmet(state)
    grid_of = pop.grid[needs.resident]
    residents = np.bincount(pop.grid, minlength=n_grid)
    safe = np.maximum(residents, 1)
    table = pd.DataFrame(
        {
            "grid": np.arange(n_grid, dtype=np.int32),
            "community": pop.grid_community.astype(np.int32),
            "x_m": np.bincount(pop.grid, pop.x, n_grid) / safe,
            "y_m": np.bincount(pop.grid, pop.y, n_grid) / safe,
            "residents": residents.astype(np.int64),
            "needs_closed": np.bincount(grid_of[closed], minlength=n_grid).astype(np.int64),
            "unmet": np.bincount(grid_of[unmet], minlength=n_grid).astype(np.int64),
            "lapsed": np.bincount(grid_of[closed & (state == NeedState.LAPSED)], minlength=n_grid),
        }
    )
    served = closed & (state == NeedState.DONE) & (needs.provider >= 0)
    return table, float(len(np.unique(needs.resident[served]))), float(len(np.unique(needs.resident[unmet])))


SPINUP_FOLDER = "spinup"  # inside a store: the spun-up states its runs start from


def prepare_spinup(spec: RunSpec) -> RunOutput:
    """Compute (or find) the spun-up state ``spec`` starts from, in its ``spinup_dir``."""
    started = time.time()
    try:
        params, _ = spec.build()
        spinup.spun_up(params, spec.seed, cache_dir=Path(spec.spinup_dir) if spec.spinup_dir else None)
        return RunOutput(spec.key, "done", started, time.time())
    except Exception as err:
        return RunOutput(spec.key, "failed", started, time.time(), error=f"{type(err).__name__}: {err}")


def execute(spec: RunSpec) -> RunOutput:
    """Run one matrix cell; a run that raises comes back as ``status="failed"`` with its error."""
    started = time.time()
    try:
        if code_version() != spec.code_version:
            raise RuntimeError(
                f"worker code version {code_version()} differs from the sweep's {spec.code_version}; "
                "install the same govsim on every worker"
            )
        spinup_dir = Path(spec.spinup_dir) if spec.spinup_dir else None
        daily, summary, grid = simulate(spec.scenario, spec.seed, spec.days, spinup_dir, dict(spec.draw))
        return RunOutput(spec.key, "done", started, time.time(), daily=daily, summary=summary, grid=grid)
    except Exception as err:  # recorded, never lost: the rest of the sweep goes on
        return RunOutput(
            spec.key,
            "failed",
            started,
            time.time(),
            error=f"{type(err).__name__}: {err}".splitlines()[0],
            traceback=traceback.format_exc(),
        )
