"""govsim as an EMA Workbench model (``pip install 'govsim[ema]'``).

:func:`model` returns an ``ema_workbench.ReplicatorModel`` whose uncertainties and
levers come from the parameter table (:func:`parameters`: an integer parameter is an
``IntegerParameter`` over its declared range, a real one a ``RealParameter``, a choice
a ``CategoricalParameter``), whose outcomes come from the outcome registry
(:func:`outcomes`: ``MINIMIZE``/``MAXIMIZE`` by the metric's direction, the mean over
replications), and whose replications run with the seeds ``derived_seed(seed, i)``,
the same in every experiment (common random numbers, as ``govsim compare``).

EMA hands the function numpy scalars; govsim takes them as they are. A value of a
share that must sum to 1 with others (``hh_*``, the skill shares) scales the others
of its group (:func:`sim.analysis.params_at`). With ``out=`` every run goes through
govsim's results store in that folder: a run already there is reused, not recomputed.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import analysis, i18n
from .metrics import METRICS, headline
from .model import derived_seed
from .params import Params, describe
from .runner import run

try:
    with warnings.catch_warnings():  # "ipyparallel not installed": not needed here
        warnings.simplefilter("ignore", UserWarning)
        import ema_workbench as _ema
except ImportError:  # pragma: no cover - the message says what to install
    _ema = None

__all__ = ["levers", "model", "outcomes", "parameters"]


def _need_ema():
    if _ema is None:
        raise i18n.error("apierr.ema_missing")
    return _ema


def parameters(names: Sequence[str], *, spread: float | None = None) -> list:
    """EMA parameters for ``names`` (numeric: declared range, or default × (1 ± spread))."""
    ema = _need_ema()
    rows = {r["name"]: r for r in describe()}
    out = []
    for name in names:
        if name not in rows:
            Params().replace(**{name: None})  # one line with the closest name
        row = rows[name]
        if row["type"] == "choice":
            out.append(ema.CategoricalParameter(name, row["choices"]))
        elif row["type"] == "int":
            lo, hi = analysis.bounds(name, spread)
            out.append(ema.IntegerParameter(name, int(lo), int(hi) - 1))
        else:
            lo, hi = analysis.bounds(name, spread)
            out.append(ema.RealParameter(name, lo, hi))
    return out


def levers() -> list[str]:
    """Every parameter marked as a policy lever in the parameter table."""
    return [r["name"] for r in describe() if r["lever"]]


def outcomes(names: Sequence[str] | None = None) -> list:
    """EMA ``ScalarOutcome`` for each summary column in ``names`` (default: the headline
    outcomes), the mean over replications; the direction says MINIMIZE or MAXIMIZE."""
    ema = _need_ema()
    names = [m.name for m in headline()] if names is None else list(names)
    direction = {m.name: m.direction for m in METRICS}
    kinds = {"higher": ema.ScalarOutcome.MAXIMIZE, "lower": ema.ScalarOutcome.MINIMIZE}
    out = []
    for name in names:
        metric = name.split(".", 1)[0]
        if metric not in direction:
            raise i18n.error("apierr.unknown_outcome", name=name)
        kind = kinds.get(direction[metric], ema.ScalarOutcome.INFO)
        out.append(ema.ScalarOutcome(name, kind=kind, function=np.mean))
    return out


class GovsimRun:
    """The function EMA calls: one replication of one experiment (picklable, so EMA's
    multiprocessing evaluator can ship it to its workers)."""

    def __init__(self, base: Params, days: int, outcomes: Sequence[str], seed: int, out: Path | None):
        self.base, self.days, self.outcomes, self.seed, self.out = base, days, list(outcomes), seed, out

    def __call__(self, rep: int = 0, **values: Any) -> dict[str, float]:
        names = list(values)
        if self.out is None:
            params = analysis.params_at(names, [values[n] for n in names], self.base)
            summary = run(params, seed=derived_seed(self.seed, int(rep)), days=self.days).summary
            return {o: summary[o] for o in self.outcomes}
        x = np.array([[values[n] for n in names]], dtype=object)
        y = analysis.evaluate(
            {"names": names},
            x,
            self.outcomes,
            days=self.days,
            reps=[int(rep)],
            seed=self.seed,
            base=self.base,
            out=self.out,
        )
        return dict(zip(self.outcomes, y[0].tolist(), strict=True))


def model(
    name: str = "govsim",
    *,
    uncertainties: Sequence[str] = (),
    levers: Sequence[str] = (),
    outcomes: Sequence[str] | None = None,
    days: int = 365,
    replications: int = 1,
    seed: int = 0,
    base: Params | None = None,
    spread: float | None = None,
    out: Path | str | None = None,
):
    """An ``ema_workbench.ReplicatorModel`` of govsim.

    Args:
        name: the model's name in EMA (an identifier).
        uncertainties: parameters to sample as uncertainties.
        levers: parameters to sample as levers (:func:`sim.ema.levers` lists the table's).
        outcomes: summary columns (``trust``, ``unmet_need_rate.elderly_alone``); default headline.
        days: measured days of each run (after the spin-up).
        replications: runs per experiment, with seeds ``derived_seed(seed, i)``.
        seed: base seed of the replications.
        base: parameters the sampled ones change (default ``Params()``).
        spread: sample numeric parameters within default × (1 ± spread), not the declared range.
        out: run through govsim's results store in this folder (cached).
    """
    ema = _need_ema()
    if not isinstance(replications, int) or isinstance(replications, bool) or replications < 1:
        raise i18n.error("apierr.replications", value=repr(replications))
    overlap = set(uncertainties) & set(levers)
    if overlap:
        raise i18n.error("apierr.uncertainty_and_lever", names=", ".join(sorted(overlap)))
    outs = globals()["outcomes"](outcomes)
    fn = GovsimRun(base or Params(), days, [o.name for o in outs], seed, None if out is None else Path(out))
    m = ema.ReplicatorModel(name, function=fn)
    m.uncertainties = parameters(uncertainties, spread=spread)
    m.levers = parameters(levers, spread=spread)
    m.outcomes = outs
    m.replications = [{"rep": i} for i in range(replications)]
    return m
