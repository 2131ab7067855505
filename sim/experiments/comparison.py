"""A comparison end to end: run the matrix, pair the runs, write tables, plots and a brief.

:func:`compare` is what ``govsim compare`` and the scenario scripts call. The
first scenario is the reference. Outputs go to
``OUT/comparisons/<name>/``: ``differences.csv`` (every outcome and group; the
printed table, forest plot and brief show the headline outcomes),
``costs.csv``, ``summaries.csv`` (one row per run), the plots as PNG and SVG,
and ``brief.html``, a self-contained planner brief.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import i18n, posterior
from . import formatting as fmt
from .executors import Executor
from .limits import MIN_REPS
from .matrix import MatrixResult, build_matrix, run_matrix
from .scenario import Scenario
from .stats import HEADLINE, cost_table, outcome, outcome_names, paired_differences, summaries
from .store import Store


@dataclass
class Comparison:
    """The tables of a finished comparison and where its files are.

    Attributes:
        scenarios: the scenarios, reference first.
        result: the run matrix (specs, computed, cached, failed runs, store).
        table: one row per finished run (:func:`~sim.experiments.stats.summaries`).
        diffs: paired differences with intervals, per scenario, outcome and group.
        costs: money and volunteer hours per extra resident served.
        folder: the comparison's folder inside the output folder.
        files: name -> path of everything written.
    """

    scenarios: list[Scenario]
    result: MatrixResult
    table: pd.DataFrame
    diffs: pd.DataFrame
    costs: pd.DataFrame
    folder: Path
    files: dict[str, Path] = field(default_factory=dict)
    posterior: dict | None = None  # the posterior used (Posterior.describe()), None at the defaults

    @property
    def reference(self) -> Scenario:
        return self.scenarios[0]

    @property
    def labels(self) -> dict[str, str]:
        return {s.name: s.title for s in self.scenarios}

    @property
    def reps(self) -> int:
        return len({s.rep for s in self.result.specs})

    @property
    def days(self) -> int:
        return self.result.specs[0].days

    @property
    def bases(self) -> dict[int, dict]:
        """Replication -> its parameter set from the posterior (empty dicts at the defaults)."""
        return {s.rep: dict(s.draw) for s in self.result.specs}


def folder_name(scenarios: Sequence[Scenario], reps: int, days: int) -> str:
    """``baseline__vs__a+b__365d_4r`` (hashed when long)."""
    ref, rest = scenarios[0].name, "+".join(s.name for s in scenarios[1:]) or "none"
    name = f"{ref}__vs__{rest}"
    if len(name) > 90:
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        name = f"{ref}__vs__{len(scenarios) - 1}_scenarios_{digest}"
    return f"{name}__{days}d_{reps}r"


def compare(
    scenarios: Sequence[Scenario],
    *,
    out: Path | str,
    reps: int = MIN_REPS,
    days: int = 365,
    base_seed: int = 0,
    executor: Executor | None = None,
    progress: bool = True,
    plots: bool = True,
    command: str | None = None,
    uncertainty: str = posterior.DEFAULT_UNCERTAINTY,
    posterior_file: Path | str | None = None,
) -> Comparison:
    """Run every scenario ``reps`` times with paired seeds and compare each with the first.

    With ``uncertainty="posterior"`` replication ``i`` runs the ``i``-th set
    drawn from the calibrated posterior (:mod:`sim.posterior`), the same set and seed in
    every scenario, so the intervals cover parameter uncertainty as well as chance;
    ``"none"`` runs every replication at the default parameters.

    Args:
        scenarios: validated scenarios (:func:`~sim.experiments.scenario.load_scenarios`); the first
            is the reference.
        out: output folder (a new, empty or existing govsim results folder).
        reps: replications per scenario.
        days: days per run.
        base_seed: seeds of the replications derive from it.
        executor: sequential (default), process pool or Dask.
        progress: progress bar on stderr.
        plots: draw plots and write the brief (tables are always written).
        command: the command line, for the manifest.
        uncertainty: ``posterior`` or ``none`` (see above); default
            :data:`sim.posterior.DEFAULT_UNCERTAINTY`.
        posterior_file: the posterior to draw from (default ``sim/data/posterior.json``); a
            missing, damaged or incompatible file is an InputError, never a fall-back.
    """
    post = posterior.resolve(uncertainty, posterior_file)
    specs = build_matrix(scenarios, reps, days, base_seed, posterior=post)
    info = {
        "kind": "compare",
        "command": command,
        "reference": scenarios[0].name,
        "reps": reps,
        "days": days,
        "base_seed": base_seed,
        "uncertainty": uncertainty,
        "posterior": post.describe() if post is not None else None,
    }
    store = Store(out)
    try:  # the lock is held until the brief and the manifest are written
        result = run_matrix(specs, store, executor=executor, progress=progress, info=info, release=False)
        return analyse(result, list(scenarios), plots=plots, posterior=info["posterior"])
    finally:
        store.release()


def analyse(
    result: MatrixResult, scenarios: list[Scenario], plots: bool = True, posterior: dict | None = None
) -> Comparison:
    """Pair the finished runs of ``result`` and write the comparison's tables, plots and brief.

    ``posterior`` describes the posterior the replications' parameter sets came from (None
    when every run used the defaults); the summaries gain a ``param_set`` column and the
    differences a ``share_better`` column (:func:`share_better`)."""
    store = result.store
    reps = len({s.rep for s in result.specs})
    days = result.specs[0].days
    rel = f"comparisons/{folder_name(scenarios, reps, days)}"
    if posterior is not None:
        rel += f"_posterior_{posterior['sha256'][:8]}"  # a different experiment from the defaults
    table = summaries(result)
    if len(table) and any(s.draw for s in result.specs):
        sets = {s.rep: s.param_set for s in result.specs}
        table.insert(2, "param_set", table.rep.map(sets).astype("Int64"))
    ref = scenarios[0].name
    diffs = paired_differences(table, ref, outcome_names(table)) if len(table) else pd.DataFrame()
    if len(diffs):
        diffs["share_better"] = share_better(table, diffs, ref)
    costs = cost_table(table, ref) if len(table) else pd.DataFrame()
    comp = Comparison(scenarios, result, table, diffs, costs, store.path(rel), posterior=posterior)
    with store.hold():  # already held when called by compare()
        for name, frame in (("summaries", table), ("differences", diffs), ("costs", costs)):
            comp.files[name] = store.write_frame(f"{rel}/{name}.csv", frame)
        if plots and not diffs.empty:
            from .brief import write_brief

            comp.files.update(write_brief(comp))
        store.flush()
    return comp


def share_better(table: pd.DataFrame, diffs: pd.DataFrame, reference: str) -> pd.Series:
    """Per row of ``diffs``: the share of pairs (replications, each with its own parameter set
    under ``--uncertainty posterior``) in which the scenario did better than the reference;
    NaN for outcomes with no better side. A tie counts as not better."""
    columns = sorted(set(diffs.column) & set(table.columns))
    wide = table.set_index(["scenario", "rep"])[columns].astype(float)
    ref = wide.loc[reference]
    delta = {s: (wide.loc[s] - ref) for s in set(diffs.scenario)}  # rows: reps both ran
    better = {name: outcome(name).better for name in set(diffs.outcome)}
    out = np.full(len(diffs), np.nan)
    for i, (scenario, name, column) in enumerate(
        zip(diffs.scenario, diffs.outcome, diffs.column, strict=True)
    ):
        side = better[name]
        if side is None or column not in wide:
            continue
        d = delta[scenario][column].to_numpy()
        d = d[~np.isnan(d)]
        if len(d):
            out[i] = np.mean(d > 0 if side == "higher" else d < 0)
    return pd.Series(out, index=diffs.index, dtype=float)


def uncertainty_note(comp: Comparison, short: bool = False) -> str:
    """What the intervals cover, in plain words: parameter uncertainty and chance (each
    replication a posterior parameter set) or chance alone (the default parameters)."""
    key = "plot.uncertainty" if short else "brief.uncertainty"
    post = getattr(comp, "posterior", None)  # fixtures of the brief's tests are plain namespaces
    if post is None:
        return i18n.t(f"{key}_none")
    return i18n.t(f"{key}_posterior", reps=comp.reps, sets=post["sets"], file=Path(post["file"]).name)


def headline_text(comp: Comparison) -> str:
    """The comparison as a few lines per scenario, for the terminal, in the current language."""
    t = i18n.t
    lines = []
    ref = comp.reference
    if comp.diffs.empty:
        return t("cli.no_pairs", failed=len(comp.result.failed))
    labels = comp.labels
    for s in comp.scenarios[1:]:
        d = comp.diffs[(comp.diffs.scenario == s.name) & (comp.diffs.group == "all")].set_index("outcome")
        n = int(d.n.max()) if len(d) else 0
        lines.append(
            t("cli.compare_head", scenario=labels[s.name], reference=labels[ref.name], n=n, days=comp.days)
        )
        head = _pad(t("cli.outcome"), 38)
        lines.append(f"  {head} {ref.name[:14]:>14s} {s.name[:14]:>14s}   {t('cli.difference')}")
        for o in HEADLINE:
            if o.name not in d.index:
                continue
            r = d.loc[o.name]
            label = i18n.cut(f"{i18n.outcome_label(o.name, o.label)} ({fmt.unit_label(o.name)})", 38)
            levels = f"{fmt.value(o.name, r.reference_mean):>14s} {fmt.value(o.name, r.scenario_mean):>14s}"
            change = fmt.diff(o.name, r["diff"], r.ci_low, r.ci_high)
            lines.append(f"  {_pad(label, 38)} {levels}   {change}")
        lines.append("  " + cost_sentence(comp, s.name))
        lines.append("")
    lines.append(uncertainty_note(comp))
    return "\n".join(lines).rstrip()


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - i18n.display_width(text), 0)


def cost_sentence(comp: Comparison, scenario: str) -> str:
    """One line of the cost side: extra money and volunteer time per extra resident served."""
    t = i18n.t
    if comp.costs.empty or scenario not in set(comp.costs.scenario):
        return t("cli.cost_none")
    c = comp.costs.set_index("scenario").loc[scenario]
    served, money, hours = (
        fmt.number(v, True) for v in (c.extra_residents_served, c.extra_cost_yuan, c.extra_volunteer_hours)
    )
    text = t("cli.cost_line", served=served, money=money, hours=hours)
    if c.yuan_per_extra_resident == c.yuan_per_extra_resident:
        per = fmt.estimate(
            c.yuan_per_extra_resident, c.yuan_per_extra_resident_low, c.yuan_per_extra_resident_high
        )
        text += t("cli.cost_per", per=per)
    else:
        text += t("cli.cost_no_more")
    return text
