"""The parameter table for analysis tools: SALib problems, design points, evaluations.

:func:`salib_problem` turns parameters of :class:`~sim.params.Params` into a SALib
problem in one call (bounds from the table, or a spread around the default);
:func:`params_at` turns one row of a design back into parameters: an integer
parameter's value is the floor of the sample (its bounds are ``[min, max + 1)``, so
every integer is equally likely), and a share of a group that must sum to 1 (the
eight ``hh_*`` household shares, the skill-level shares) takes its value while the
other shares of its group are scaled in proportion (:meth:`Params.with_shares`).
:func:`evaluate` runs a design and returns the outcomes as an array, directly or
through govsim's results store (cached, any executor). :mod:`sim.ema` builds an EMA
Workbench model from the same table.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import i18n
from .model import derived_seed
from .params import Params, describe, param_type, plain

__all__ = ["evaluate", "numeric_parameters", "params_at", "salib_problem"]


def _rows() -> dict[str, dict]:
    return {r["name"]: r for r in describe()}


def numeric_parameters(tags: str = "E", *, build_only: bool = True) -> list[str]:
    """Names of the integer and real parameters whose provenance tag is in ``tags``
    (``"E"``: the estimates, ``"ASE"``: all); ``build_only=False`` leaves out those read
    only when the model is built."""
    return [
        r["name"]
        for r in describe()
        if r["type"] in ("int", "float") and r["tag"] in tags and (build_only or not r["build_only"])
    ]


def _field(name: str) -> dataclasses.Field:
    fields = {f.name: f for f in dataclasses.fields(Params)}
    if name not in fields:
        Params().replace(**{name: None})  # the usual one-line message with the closest name
    return fields[name]


def bounds(name: str, spread: float | None = None, given: tuple[float, float] | None = None) -> tuple:
    """``(low, high)`` of a numeric parameter for a design: ``given``, or default × (1 ± spread),
    or the declared range; clipped to the declared range; ``high + 1`` for an integer."""
    row = _rows()[_field(name).name]
    if row["type"] not in ("int", "float"):
        raise i18n.error("apierr.not_numeric", name=name, type=row["type"], range=row["range"])
    lo, hi = row["min"], row["max"]
    if given is not None:
        a, b = sorted(float(plain(v)) for v in given)
    elif spread is not None:
        a, b = sorted((row["default"] * (1 - spread), row["default"] * (1 + spread)))
    else:
        a, b = lo, hi
    a, b = min(max(a, lo), hi), min(max(b, lo), hi)
    if row["type"] == "int":
        a, b = math.ceil(a), math.floor(b) + 1
    if not a < b:
        raise i18n.error("apierr.empty_range", name=name, lo=a, hi=b)
    return float(a), float(b)


def salib_problem(
    names: Sequence[str] | None = None,
    *,
    spread: float | None = None,
    bounds_of: Mapping[str, tuple[float, float]] | None = None,
) -> dict[str, Any]:
    """A SALib problem (``num_vars``, ``names``, ``bounds``) from the parameter table.

    Args:
        names: numeric parameters to vary; None: every numeric [E] parameter
            (:func:`numeric_parameters`).
        spread: vary each within default × (1 ± spread) instead of its declared range.
        bounds_of: explicit ``(low, high)`` per name, within the declared range.

    Integer parameters get ``[min, max + 1)``; :func:`params_at` floors them.
    """
    names = list(numeric_parameters() if names is None else names)
    if len(set(names)) != len(names):
        raise i18n.error("apierr.listed_twice", names=names)
    out = [list(bounds(n, spread, (bounds_of or {}).get(n))) for n in names]
    return {"num_vars": len(names), "names": names, "bounds": out}


def changes_at(names: Sequence[str], values: Sequence[Any], base: Params | None = None) -> dict[str, Any]:
    """The parameter changes of one design point (see the module's rules for integers and shares)."""
    base = base or Params()
    if len(names) != len(values):
        raise i18n.error("apierr.names_values", names=len(names), values=len(values))
    plain_values, shares = {}, {}
    groups = base.share_groups()
    for name, value in zip(names, values, strict=True):
        f, value = _field(name), plain(value)
        if param_type(f) == "int" and isinstance(value, float) and math.isfinite(value):
            value = min(math.floor(value), f.metadata["hi"])
        if any(name in g for g in groups):
            shares[name] = value
        else:
            plain_values[name] = value
    if shares:
        moved = base.with_shares(**shares)
        touched = [n for g in groups if any(s in g for s in shares) for n in g]
        plain_values |= {n: getattr(moved, n) for n in touched if n not in plain_values}
    return plain_values


def params_at(names: Sequence[str], values: Sequence[Any], base: Params | None = None) -> Params:
    """Parameters of one design point (a row of a SALib sample, an EMA experiment)."""
    base = base or Params()
    return base.replace(**changes_at(names, values, base))


def evaluate(
    problem: Mapping[str, Any],
    x: np.ndarray,
    outcomes: Sequence[str],
    *,
    days: int = 365,
    reps: int | Sequence[int] = 1,
    seed: int = 0,
    base: Params | None = None,
    out: Path | str | None = None,
    executor=None,
) -> np.ndarray:
    """Run every row of design ``x`` and return the outcomes: shape ``(len(x), len(outcomes))``,
    each the mean over the replications (``reps``: a count n for replications 0..n-1, or
    their indices), replication ``r`` with seed :func:`sim.derived_seed` (seed, r) in every
    row (common random numbers, as ``govsim compare --seed seed``).

    With ``out`` the runs go through govsim's results store there (cached, resumable, any
    :class:`~sim.experiments.Executor`); without, they run here one after another.
    """
    from .runner import run

    names = list(problem["names"])
    x = np.atleast_2d(np.asarray(x, dtype=object))
    points = [changes_at(names, row, base) for row in x]
    reps = plain(reps)
    indices = list(range(reps)) if isinstance(reps, int) and not isinstance(reps, bool) else list(reps)
    if not indices or not all(isinstance(plain(r), int) and plain(r) >= 0 for r in indices):
        raise i18n.error("apierr.reps", value=repr(reps))
    if out is not None:
        return _through_store(points, outcomes, days, indices, seed, base, Path(out), executor)
    y = np.empty((len(points), len(outcomes)))
    for i, changes in enumerate(points):
        params = (base or Params()).replace(**changes)
        runs = [run(params, seed=derived_seed(seed, int(r)), days=days).summary for r in indices]
        y[i] = [np.mean([s[o] for s in runs]) for o in _check_outcomes(outcomes, runs[0])]
    return y


def _check_outcomes(outcomes: Sequence[str], summary: Mapping[str, float]) -> Sequence[str]:
    missing = [o for o in outcomes if o not in summary]
    if missing:
        raise i18n.error("apierr.unknown_outcomes", names=", ".join(missing))
    return outcomes


def _through_store(points, outcomes, days, indices, seed, base, out, executor) -> np.ndarray:
    import hashlib
    import json

    from .experiments import Executor
    from .experiments.matrix import build_matrix, run_matrix
    from .experiments.scenario import Scenario
    from .experiments.stats import summaries

    changes0 = {} if base is None else _differences(base)
    scenarios = {}
    for changes in points:
        key = hashlib.sha256(json.dumps(changes, sort_keys=True).encode()).hexdigest()[:8]
        label = ", ".join(f"{k}={v}" for k, v in sorted(changes.items()))
        params = {**changes0, **changes}
        scenarios.setdefault(key, Scenario(f"design__{key}", label[:200], "a design point", params))
    for s in scenarios.values():
        s.build()
    wanted = {int(r) for r in indices}
    specs = build_matrix(list(scenarios.values()), max(wanted) + 1, days, seed)
    specs = [s for s in specs if s.rep in wanted]
    result = run_matrix(specs, out, executor=executor or Executor("sequential"), info={"kind": "design"})
    if result.failed:
        raise RuntimeError(f"{len(result.failed)} runs failed: {next(iter(result.failed.values()))}")
    table = summaries(result)
    means = table.groupby("scenario")[list(_check_outcomes(outcomes, table.columns))].mean()
    keys = [hashlib.sha256(json.dumps(c, sort_keys=True).encode()).hexdigest()[:8] for c in points]
    return means.loc[[f"design__{k}" for k in keys]].to_numpy(float)


def _differences(params: Params) -> dict[str, Any]:
    default = Params()
    return {
        f.name: getattr(params, f.name)
        for f in dataclasses.fields(Params)
        if getattr(params, f.name) != getattr(default, f.name)
    }
