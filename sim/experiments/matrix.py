"""The run matrix: scenario × replication with common random numbers, run into a store.

Replication ``i`` uses the same seed in every scenario (derived from one base
seed), so need arrivals are paired across scenarios and the difference between
two scenarios is measured on the same simulated residents. :func:`run_matrix`
computes only runs the store does not already hold (the cache), stores each run
as it finishes, records failed runs and carries on, and leaves a manifest even
when interrupted.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import i18n, spinup
from ..params import plain
from ..posterior import Posterior
from ..progress import bar as progress_bar
from .executors import Executor, Task
from .limits import check_reps, plan_workers
from .scenario import Scenario
from .store import Store
from .task import SPINUP_FOLDER, RunSpec, code_version, derive_seed, execute, prepare_spinup


def build_matrix(
    scenarios: Sequence[Scenario],
    reps: int,
    days: int,
    base_seed: int = 0,
    posterior: Posterior | None = None,
) -> list[RunSpec]:
    """Every (scenario, replication) pair; replication ``i`` has the same seed in every scenario
    and, with a ``posterior``, the same parameter set (:meth:`~sim.posterior.Posterior.assign`),
    so the pair differs only by the scenario."""
    reps, days, base_seed = plain(reps), plain(days), plain(base_seed)  # numpy integers are integers
    if not isinstance(reps, int) or isinstance(reps, bool) or reps < 1:
        raise i18n.error("reps_min", value=repr(reps))
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise i18n.error("days_min", value=repr(days))
    if not isinstance(base_seed, int) or isinstance(base_seed, bool) or base_seed < 0:
        raise i18n.error("seed_min", value=repr(base_seed))
    check_reps(reps, len(scenarios))
    version = code_version()
    seeds = [derive_seed(base_seed, i) for i in range(reps)]
    draws: list[tuple[tuple[str, Any], ...]] = [()] * reps
    sets: list[int | None] = [None] * reps
    if posterior is not None:
        sets = list(posterior.assign(reps, base_seed))
        draws = [tuple(sorted(posterior.sets[k].items())) for k in sets]
    return [
        RunSpec(s, i, seeds[i], days, version, draw=draws[i], param_set=sets[i])
        for s in scenarios
        for i in range(reps)
    ]


@dataclass
class MatrixResult:
    """What :func:`run_matrix` did.

    Attributes:
        specs: every run of the matrix, in scenario then replication order.
        computed: keys of runs computed now (finished or failed).
        cached: keys of runs found finished in the store and not recomputed.
        failed: ``{key: error}`` of runs that raised.
        store: the store the runs are in.
        spinups: spun-up states computed now (each (seed, parameters) pair once, shared by
            every scenario and replication that starts from it).
    """

    specs: list[RunSpec]
    store: Store
    computed: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    spinups: int = 0

    @property
    def done(self) -> list[RunSpec]:
        return [s for s in self.specs if s.key not in self.failed]


def run_matrix(
    specs: list[RunSpec],
    out: Path | str | Store,
    *,
    executor: Executor | None = None,
    progress: bool = True,
    info: dict[str, Any] | None = None,
    task: Task = execute,
    release: bool = True,
) -> MatrixResult:
    """Compute the runs of ``specs`` that ``out`` does not hold yet, storing each as it finishes.

    A stored run is reused only when its record and every table check out against their
    checksums; a damaged one is recomputed after a one-line note on stderr.

    Args:
        specs: the matrix (:func:`build_matrix`).
        out: output folder or an open :class:`Store`.
        executor: how to run (default: sequential).
        progress: show a progress bar with ETA on stderr.
        info: extra facts for the manifest's invocation record (command, design).
        task: the function run per spec (tests swap in one that fails).
        release: give up the folder's lock when done; False keeps it for the caller's
            further writes (the caller then calls ``store.release()``).
    """
    store = out if isinstance(out, Store) else Store(out)
    executor = executor or Executor()
    _plan(specs, store, executor)
    result = MatrixResult(specs=list(specs), store=store)
    with executor:
        seeds = {str(s.rep): s.seed for s in specs}
        facts: dict[str, Any] = {"code_version": code_version(), "seeds": seeds}
        if any(s.draw for s in specs):  # the posterior set of each replication
            facts["param_sets"] = {str(s.rep): s.param_set for s in specs}
        for i in store.begin(specs, {**(info or {}), **executor.describe(), **facts}):
            print(i18n.t("cli.killed_invocation", root=store.root, i=i), file=sys.stderr)
        status = "interrupted"
        bar = None
        try:
            todo = []
            for spec in specs:
                state, reason = store.check(spec)
                if state == "done":
                    result.cached.append(spec.key)
                    continue
                if reason:
                    print(
                        i18n.t("cli.not_reused", name=spec.scenario.name, rep=spec.rep, reason=reason),
                        file=sys.stderr,
                    )
                todo.append(spec)
            store.note(computing=len(todo))
            todo, result.spinups = _spin_up(todo, store, executor, progress)
            bar = _bar(len(todo), progress)
            for spec, output in executor.map(task, todo):
                rec = store.save(spec, output)
                result.computed.append(spec.key)
                if rec["status"] == "failed":
                    result.failed[spec.key] = rec["error"]
                    bar.write(
                        i18n.t("cli.run_failed", name=spec.scenario.name, rep=spec.rep, error=rec["error"]),
                        file=sys.stderr,
                    )
                bar.update(1)
            status = "finished" if not result.failed else "finished with failures"
        finally:
            if bar is not None:
                bar.close()
            counts = {
                "runs": len(specs),
                "cached": len(result.cached),
                "computed": len(result.computed),
                "failed": len(result.failed),
            }
            store.finish(status, counts, release=release)
    return result


def _spin_up(
    todo: list[RunSpec], store: Store, executor: Executor, progress: bool
) -> tuple[list[RunSpec], int]:
    """Compute each spun-up state the runs need once, before the runs, into the store's
    ``spinup/`` folder; returns the runs pointed at it and how many states were computed.

    Runs of scenarios that differ only by their policies, and replications with the same
    seed, share one state; computing them first (in parallel across states) keeps two
    workers from computing the same one at once. A state that fails here is computed by
    its runs themselves (and fails them if it fails again).
    """
    folder = store.root / SPINUP_FOLDER
    todo = [dataclasses.replace(s, spinup_dir=str(folder)) for s in todo]
    groups: dict[str, RunSpec] = {}
    for spec in todo:
        params, _ = spec.build()
        k = spinup.key(params, spec.seed)
        if k not in groups and not spinup.stored(folder, k):
            groups[k] = spec
    if not groups:
        return todo, 0
    bar = _bar(len(groups), progress, desc=i18n.t("cli.bar_spinups"))
    try:
        for spec, output in executor.map(prepare_spinup, list(groups.values())):
            if output.status == "failed":
                bar.write(
                    i18n.t("cli.spinup_failed", seed=spec.seed, name=spec.scenario.name, error=output.error),
                    file=sys.stderr,
                )
            bar.update(1)
    finally:
        bar.close()
    return todo, len(groups)


def _plan(specs: Sequence[RunSpec], store: Store, executor: Executor) -> None:
    """Refuse a job that would not fit on the disk or in memory; lower the default number of
    local workers to what fits in memory."""
    if executor.name == "sequential":
        plan_workers(specs, store.root, 1, local=True)
    elif executor.name == "process" or executor.scheduler is None:
        executor.workers = plan_workers(specs, store.root, executor.workers, local=True)
    else:  # a Dask cluster elsewhere: its memory is not ours to judge
        plan_workers(specs, store.root, None, local=False)


def _bar(total: int, enabled: bool, desc: str | None = None):
    return progress_bar(total, desc or i18n.t("cli.bar_runs"), "run", enabled=enabled)
