"""Bounds on every size a user types, and the disk and memory a job would need.

A typo (``--reps 1000000000``) must be refused in one line, not hang while
memory grows; a job that cannot fit on the disk or in memory is refused before
it starts. The estimates are deliberately generous (measured sizes rounded
up): a run of one community for a year writes ~0.3 MB (a one-row summary
Parquet of ~110 KB, the daily series at ~160-620 B a day, ~350 B a grid).
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from .. import i18n
from ..params import Params, estimate_memory

MAX_REPS = 10_000  # replications per scenario
MIN_REPS = 8  # replications per scenario the planner brief asks for (compare's default; fewer: a warning)
MAX_RUNS = 100_000  # runs in one compare or sweep (scenarios or points x replications)
MAX_WORKERS = 256  # worker processes
MAX_LEVERS = 16  # levers of one sweep

RUN_BYTES = 192 * 1024  # a stored run without its daily series and grids: tables, record, manifest entry
DAY_BYTES = 1024  # the daily series on disk, per day (measured 160-620 B)
GRID_BYTES = 512  # the per-grid table on disk, per grid (measured ~350 B)
DAY_MEMORY = 20 * 1024  # a run's daily series in memory, per day (collector, tidy table, its copy)
RUN_CSV_DAY_BYTES = 8 * 1024  # govsim run's daily.csv, per day (measured ~5.4 KB)
DISK_SHARE = 0.9  # of the free space
MEMORY_SHARE = 0.8  # of the machine's memory (as for one model, sim.model.check_fits_in_memory)


def free_bytes(path: Path) -> int | None:
    """Free space where ``path`` is or would be created (None if unknown)."""
    probe = Path(path).absolute()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        return shutil.disk_usage(probe).free
    except OSError:
        return None


def total_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def gib(n: float) -> str:
    return f"{n / 2**30:,.1f} GiB" if n >= 2**30 / 10 else f"{n / 2**20:,.1f} MiB"


def check_disk(path: Path, need: int, what: str) -> None:
    """Refuse (one line) when ``need`` bytes exceed the usable free space at ``path``."""
    free = free_bytes(path)
    if free is not None and need > DISK_SHARE * free:
        raise i18n.error(
            "disk", what=what, need=gib(need), path=path, free=gib(free), limit=f"{DISK_SHARE:.0%}"
        )


def run_bytes(params: Params, days: int) -> tuple[int, int]:
    """(bytes on disk, peak bytes in memory) of one stored run, estimated generously."""
    grids = params.communities * math.ceil(params.households_per_community / params.households_per_grid)
    disk = RUN_BYTES + days * DAY_BYTES + grids * GRID_BYTES
    memory = estimate_memory(params.communities, params.households_per_community)[1] + days * DAY_MEMORY
    return disk, memory


def check_reps(reps: int, scenarios: int) -> None:
    if reps > MAX_REPS:
        raise i18n.error("reps_max", reps=f"{reps:,}", max=f"{MAX_REPS:,}")
    if reps * scenarios > MAX_RUNS:
        raise i18n.error(
            "runs_max",
            scenarios=scenarios,
            reps=f"{reps:,}",
            runs=f"{reps * scenarios:,}",
            max=f"{MAX_RUNS:,}",
        )


def plan_workers(specs: Sequence, root: Path, workers: int | None, local: bool) -> int | None:
    """Check that the runs still to compute fit on the disk and, ``workers`` at a time, in
    memory (only for a ``local`` executor); return the worker count to use.

    Runs already recorded in ``root`` are not counted for the disk. With no ``workers`` given,
    the default (all cores) is lowered to what fits in memory; a given count that does not fit
    is refused, as is a single run that does not.
    """
    sizes: dict[tuple[str, int], tuple[int, int]] = {}
    disk = peak = 0
    todo = 0
    for spec in specs:
        key = (spec.scenario.hash, spec.days)
        if key not in sizes:
            sizes[key] = run_bytes(spec.build()[0], spec.days)
        peak = max(peak, sizes[key][1])
        if not (Path(root) / "runs" / f"{spec.key}.json").exists():
            disk += sizes[key][0]
            todo += 1
    check_disk(Path(root), disk, f"{todo:,} runs")
    total = total_memory()
    if not local or total is None or todo == 0:
        return workers
    fit = int(MEMORY_SHARE * total // max(peak, 1))
    if fit < 1:
        raise i18n.error("memory_one", need=gib(peak), total=gib(total), limit=f"{MEMORY_SHARE:.0%}")
    if workers is None:
        from .executors import default_workers

        return None if default_workers() <= fit else fit
    if min(workers, todo) > fit:
        raise i18n.error(
            "memory_workers",
            workers=workers,
            n=min(workers, todo),
            need=gib(min(workers, todo) * peak),
            total=gib(total),
            limit=f"{MEMORY_SHARE:.0%}",
            fit=fit,
        )
    return workers
