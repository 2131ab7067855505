"""Which uncertain parameters drive the outcomes: Morris elementary-effects screening (SALib).

Every parameter tagged ``E`` (an estimate, see ``govsim params``) should be
swept. :func:`morris` varies a chosen handful over a range around the default
— ``default × (1 ± spread)``, clipped to the declared range, unless bounds are
given — along Morris trajectories (Morris 1991), runs each point through the
run matrix (cached, any executor, common random numbers: every point uses the
same seeds) and ranks parameters by ``mu_star``, the mean absolute elementary
effect (Campolongo, Cariboni & Saltelli 2007), with a bootstrap interval.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .. import i18n
from ..params import Params, describe
from .executors import Executor
from .matrix import MatrixResult, build_matrix, run_matrix
from .scenario import Scenario, load_scenario
from .stats import summaries

OUTCOMES = ("unmet_need_rate", "unmet_need_rate.elderly_alone", "trust")


def estimates() -> list[str]:
    """Numeric parameters tagged ``E`` (estimates that must stay parameters and be swept)."""
    return [r["name"] for r in describe() if r["tag"] == "E" and isinstance(r["default"], int | float)]


def problem(
    names: Sequence[str], spread: float = 0.5, bounds: Mapping[str, tuple[float, float]] | None = None
) -> dict:
    """A SALib problem: each parameter's range is ``bounds[name]`` or default × (1 ± spread), clipped."""
    rows = {r["name"]: r for r in describe()}
    fields = {f.name: f for f in dataclasses.fields(Params)}
    out = []
    for name in names:
        if name not in rows or rows[name]["tag"] != "E":
            raise i18n.error("apierr.sensitivity_not_e", name=name)
        meta, default = fields[name].metadata, rows[name]["default"]
        lo, hi = (bounds or {}).get(name, (default * (1 - spread), default * (1 + spread)))
        lo, hi = (min(max(v, meta["lo"]), meta["hi"]) for v in sorted((lo, hi)))
        if not lo < hi:
            raise i18n.error("apierr.sensitivity_empty", name=name, lo=lo, hi=hi)
        out.append([float(lo), float(hi)])
    return {"num_vars": len(names), "names": list(names), "bounds": out}


@dataclass
class MorrisResult:
    """A finished screening.

    Attributes:
        ranking: one row per outcome and parameter: mu_star, mu_star_conf, mu, sigma, sorted by mu_star.
        design: one row per model run point: the parameter values and each outcome.
        problem: the SALib problem (names and bounds).
        result: the run matrix.
    """

    ranking: pd.DataFrame
    design: pd.DataFrame
    problem: dict
    result: MatrixResult


def _point(names: Sequence[str], row: np.ndarray) -> dict:
    ints = {f.name for f in dataclasses.fields(Params) if f.type in ("int", int)}
    return {n: int(round(v)) if n in ints else float(f"{v:.6g}") for n, v in zip(names, row, strict=True)}


def morris(
    names: Sequence[str],
    *,
    out: Path | str,
    trajectories: int = 4,
    levels: int = 4,
    days: int = 180,
    reps: int = 1,
    base: Scenario | None = None,
    outcomes: Sequence[str] = OUTCOMES,
    spread: float = 0.5,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    seed: int = 0,
    executor: Executor | None = None,
    progress: bool = False,
) -> MorrisResult:
    """Morris screening of ``names`` on ``outcomes`` (summary columns, e.g. ``trust`` or ``x.group``).

    Runs ``trajectories × (len(names) + 1)`` points × ``reps`` replications of ``days`` days.
    """
    try:
        from SALib.analyze import morris as analyse
        from SALib.sample import morris as sample
    except ImportError:
        raise i18n.error("apierr.sensitivity_salib") from None

    for label, value, low in (("trajectories", trajectories, 2), ("levels", levels, 2)):
        if not isinstance(value, int) or value < low:
            raise i18n.error("apierr.sensitivity_int", name=label, value=repr(value), low=low)
    base = base or load_scenario("baseline")
    prob = problem(names, spread, bounds)
    x = sample.sample(prob, N=trajectories, num_levels=levels, seed=seed)
    points = [_point(prob["names"], row) for row in x]
    keys = [hashlib.sha256(json.dumps(p, sort_keys=True).encode()).hexdigest()[:8] for p in points]
    scenarios = {}
    for point, key in zip(points, keys, strict=True):
        if key not in scenarios:
            scenarios[key] = base.with_params(point, name=f"{base.name[:40]}__morris_{key}")
    specs = build_matrix(list(scenarios.values()), reps, days, seed)
    info = {"kind": "morris", "names": list(names), "trajectories": trajectories, "levels": levels}
    result = run_matrix(specs, out, executor=executor, progress=progress, info=info)
    if result.failed:
        raise RuntimeError(
            f"sensitivity: {len(result.failed)} runs failed: {next(iter(result.failed.values()))}"
        )
    runs = summaries(result)
    missing = [o for o in outcomes if o not in runs]
    if missing:
        raise i18n.error("apierr.sensitivity_outcomes", names=", ".join(missing))
    means = runs.groupby("scenario")[list(outcomes)].mean()
    design = pd.DataFrame(points).assign(scenario=[scenarios[k].name for k in keys])
    design = design.join(means, on="scenario")
    rows = []
    for name in outcomes:
        y = design[name].to_numpy(float)
        if np.isnan(y).any():
            raise RuntimeError(f"sensitivity: outcome {name} is undefined in some runs; run longer")
        si = analyse.analyze(prob, x, y, num_levels=levels, seed=seed)
        for i, param in enumerate(prob["names"]):
            rows.append(
                {
                    "outcome": name,
                    "parameter": param,
                    "mu_star": float(si["mu_star"][i]),
                    "mu_star_conf": float(si["mu_star_conf"][i]),
                    "mu": float(si["mu"][i]),
                    "sigma": float(si["sigma"][i]),
                }
            )
    ranking = pd.DataFrame(rows).sort_values(["outcome", "mu_star"], ascending=[True, False])
    return MorrisResult(ranking.reset_index(drop=True), design, prob, result)


def ranking_figure(ranking: pd.DataFrame, outcomes: Sequence[str] | None = None) -> Figure:
    """One panel per outcome: parameters ranked by mu_star, with the bootstrap interval as error bars."""
    outcomes = list(outcomes or dict.fromkeys(ranking["outcome"]))
    fig = Figure(
        figsize=(4.2 * len(outcomes), 0.45 * ranking["parameter"].nunique() + 1.6), layout="constrained"
    )
    axes = np.atleast_1d(fig.subplots(1, len(outcomes)))
    for ax, name in zip(axes, outcomes, strict=True):
        part = ranking[ranking["outcome"] == name].sort_values("mu_star")
        y = np.arange(len(part))
        ax.barh(y, part["mu_star"], xerr=part["mu_star_conf"], color="#1f77b4", ecolor="#555555", capsize=2)
        ax.set_yticks(y, part["parameter"], fontsize=8)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("mu* (mean |elementary effect|)", fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
    fig.suptitle("Morris screening: which estimates drive the outcomes", fontsize=10)
    return fig
