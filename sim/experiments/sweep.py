"""Sweeps: a grid or Latin-hypercube design over numeric levers, run into the same store.

A lever is a numeric parameter with a range (``NAME=LO:HI`` or ``NAME=LO:HI:N``
for N grid levels) or a list of values (``NAME=V1,V2,V3``). Each design point
becomes a scenario derived from a base scenario, named by a hash of its
changes, so the same point is never computed twice — not even by another
sweep into the same folder — and an interrupted sweep resumes with the missing
runs only. Results: ``OUT/sweeps/<id>/design.csv`` (the points),
``points.csv`` (mean and spread of each headline outcome per point) and a plot
of each outcome against each lever.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import i18n, metrics
from ..argtypes import parse_number
from ..errors import InputError
from ..params import Params, allowed
from .executors import Executor
from .limits import MAX_LEVERS, MAX_RUNS
from .matrix import MatrixResult, build_matrix, run_matrix
from .scenario import Scenario
from .stats import HEADLINE, summaries
from .store import Store

DESIGNS = ("grid", "lhs")
SWEEP_OUTCOMES = tuple(m.name for m in metrics.METRICS if m.sweep)


@dataclass(frozen=True)
class Lever:
    """A numeric parameter to vary: a range ``[low, high]`` with ``levels`` grid points, or ``values``."""

    name: str
    low: float
    high: float
    levels: int = 3
    values: tuple[float, ...] = ()
    integer: bool = False

    def grid(self) -> list[float]:
        if self.values:
            return list(self.values)
        pts = np.linspace(self.low, self.high, self.levels)
        return sorted({self.cast(v) for v in pts})

    def cast(self, v: float) -> float | int:
        return int(round(v)) if self.integer else float(round(v, 10))


def parse_lever(text: str, params: Params | None = None) -> Lever:
    """Parse ``NAME=LO:HI[:N]`` or ``NAME=V1,V2,...`` and check it against the parameter's range."""
    params = params or Params()
    if "=" not in text:
        raise i18n.error("lever_form", text=repr(text))
    name, spec = (t.strip() for t in text.split("=", 1))
    fields = {f.name: f for f in dataclasses.fields(Params)}
    if name not in fields:
        try:
            params.replace(**{name: None})  # raises the usual unknown-parameter message
        except InputError as err:
            raise i18n.error("lever_at", name=name, message=err) from None
    f = fields[name]
    integer = f.type in ("int", int)
    if f.type not in ("int", "float", int, float):
        raise i18n.error("lever_not_numeric", name=name, allowed=allowed(f))
    try:
        if ":" in spec:
            parts = spec.split(":")
            if len(parts) not in (2, 3):
                raise ValueError
            lo, hi = parse_number(parts[0]), parse_number(parts[1])
            levels = parse_number(parts[2], integer=True) if len(parts) == 3 else 3
            if levels < 2 or hi <= lo:
                raise ValueError
            lever = Lever(name, lo, hi, levels, integer=integer)
        else:
            vals = tuple(parse_number(v) for v in spec.split(","))
            lever = Lever(name, min(vals), max(vals), len(vals), values=vals, integer=integer)
    except ValueError:
        raise i18n.error("lever_spec", text=repr(text)) from None
    if (len(lever.values) or lever.levels) > MAX_LEVELS:
        raise i18n.error("lever_levels", text=repr(text), levels=lever.levels, max=MAX_LEVELS)
    if lever.values:
        lever = dataclasses.replace(lever, values=tuple(lever.cast(v) for v in lever.values))
    for v in (lever.low, lever.high, *lever.values):
        try:
            params.replace(**{name: lever.cast(v)})
        except InputError as err:
            raise i18n.error("lever_at", name=name, message=err) from None
    return lever


MAX_LEVELS = 100  # levels of one grid lever


def grid_design(levers: Sequence[Lever]) -> list[dict[str, Any]]:
    """Every combination of the levers' levels."""
    return [
        dict(zip([lv.name for lv in levers], combo, strict=True))
        for combo in itertools.product(*[lv.grid() for lv in levers])
    ]


def lhs_design(levers: Sequence[Lever], points: int, seed: int = 0) -> list[dict[str, Any]]:
    """A Latin-hypercube sample (``scipy.stats.qmc.LatinHypercube``, seeded by ``seed``): each
    lever's range cut into ``points`` strata, one draw per stratum."""
    from scipy.stats import qmc  # here: a slow import every process would pay

    if points < 1:
        raise i18n.error("points_min", value=repr(points))
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0x5EE9,)))
    u = qmc.LatinHypercube(d=max(len(levers), 1), rng=rng).random(points)
    lows = np.array([lv.low for lv in levers], float)
    highs = np.array([lv.high for lv in levers], float)
    x = lows + u[:, : len(levers)] * (highs - lows)  # qmc.scale refuses a lever with one value
    return [{lv.name: lv.cast(v) for lv, v in zip(levers, row, strict=True)} for row in x]


def point_scenarios(base: Scenario, design: list[dict[str, Any]]) -> list[Scenario]:
    """One scenario per distinct design point, named ``BASE__<hash of its changes>``."""
    out: dict[str, Scenario] = {}
    for i, point in enumerate(design):
        digest = hashlib.sha256(json.dumps(point, sort_keys=True).encode()).hexdigest()[:8]
        name = f"{base.name[:50]}__{digest}"
        label = ", ".join(f"{k}={v}" for k, v in point.items())
        try:
            s = base.with_params(point, name=name, note=f"Sweep point: {label}.")
        except InputError as err:
            raise i18n.error("sweep_point", i=i, label=label, message=err) from None
        out.setdefault(name, dataclasses.replace(s, label=label))
    return list(out.values())


def sweep_id(base: Scenario, design: list[dict], reps: int, days: int, seed: int) -> str:
    text = json.dumps([base.hash, design, reps, days, seed], sort_keys=True)
    return f"{base.name}_{hashlib.sha256(text.encode()).hexdigest()[:10]}"


@dataclass
class SweepResult:
    """A finished sweep: its points, the run matrix and per-point outcome table."""

    design: pd.DataFrame
    result: MatrixResult
    points: pd.DataFrame
    folder: Path
    files: dict[str, Path]


def sweep(
    base: Scenario,
    levers: Sequence[Lever],
    *,
    out: Path | str,
    design: str = "grid",
    points: int = 10,
    reps: int = 2,
    days: int = 365,
    base_seed: int = 0,
    executor: Executor | None = None,
    progress: bool = True,
    plots: bool = True,
    command: str | None = None,
) -> SweepResult:
    """Run a design over ``levers`` from ``base`` and summarise each point across replications."""
    if design not in DESIGNS:
        raise i18n.error("design", value=repr(design), designs=", ".join(DESIGNS))
    names = [lv.name for lv in levers]
    if not levers or len(set(names)) != len(names):
        raise i18n.error("levers_once", names=", ".join(names) or i18n.t("err.none"))
    if len(levers) > MAX_LEVERS:
        raise i18n.error("levers_max", n=len(levers), max=MAX_LEVERS)
    if design == "lhs" and points > MAX_RUNS:
        raise i18n.error("points_max", points=f"{points:,}", max=f"{MAX_RUNS:,}")
    if design == "grid":
        size = 1
        for lv in levers:
            size *= len(lv.values) if lv.values else lv.levels
    else:
        size = points
    if size * reps > MAX_RUNS:
        raise i18n.error("sweep_runs_max", size=size, reps=reps, runs=f"{size * reps:,}", max=f"{MAX_RUNS:,}")
    rows = grid_design(levers) if design == "grid" else lhs_design(levers, points, base_seed)
    scenarios = point_scenarios(base, rows)
    specs = build_matrix(scenarios, reps, days, base_seed)
    sid = sweep_id(base, rows, reps, days, base_seed)
    info = {
        "kind": "sweep",
        "command": command,
        "sweep": sid,
        "design": design,
        "base": base.name,
        "levers": [dataclasses.asdict(lv) for lv in levers],
        "reps": reps,
        "days": days,
        "base_seed": base_seed,
    }
    store = Store(out)
    try:  # the lock is held until the sweep's tables, plot and manifest are written
        result = run_matrix(specs, store, executor=executor, progress=progress, info=info, release=False)
        table = pd.DataFrame([{"scenario": s.name, **{k: s.params[k] for k in names}} for s in scenarios])
        pts = point_table(result, table)
        rel = f"sweeps/{sid}"
        files = {
            "design": store.write_frame(f"{rel}/design.csv", table),
            "points": store.write_frame(f"{rel}/points.csv", pts),
        }
        if plots and len(pts):
            from . import plots as plotting

            fig = plotting.sweep_plot(pts, names, [o for o in SWEEP_OUTCOMES if f"{o}.mean" in pts])
            files["plot"] = plotting.save(fig, store.path(rel, "sweep"))[0]
    finally:
        store.release()
    return SweepResult(table, result, pts, store.path(rel), files)


def point_table(result: MatrixResult, design: pd.DataFrame) -> pd.DataFrame:
    """Per design point: lever values, runs finished, and mean / min / max of headline outcomes."""
    runs = summaries(result)
    if runs.empty:
        return design.assign(runs=0)
    outcomes = [o.name for o in HEADLINE if o.name in runs]
    stats = runs.groupby("scenario")[outcomes].agg(["mean", "min", "max"])
    stats.columns = [f"{a}.{b}" for a, b in stats.columns]
    counts = runs.groupby("scenario").size().rename("runs")
    return design.merge(counts, left_on="scenario", right_index=True, how="left").merge(
        stats, left_on="scenario", right_index=True, how="left"
    )
