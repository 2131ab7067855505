"""Two revisions of govsim timed side by side on this machine (``make bench-versus OLD=rev``).

Each revision is checked out into a temporary git worktree; every repetition runs
in a fresh process with that worktree first on ``PYTHONPATH``, and repetitions
alternate between the revisions (A B A B ...) so that drift in the machine's
speed falls on both alike. Reports the median wall time of building and running
the default community for a year (and, with ``--district``, the 193-community
district for ``--district-days`` days; with ``--comparison``, the demo comparison
``govsim compare baseline extra_canteen more_partner_units --reps 4`` into a fresh
folder: spin-ups, runs, tables, plots and brief) and the ratio new / old. For the
comparison it also reports the CPU time (user + system) of the command and its worker
processes, which a busy neighbour on a shared machine moves less than the wall time.

    python benchmarks/versus.py OLD [NEW] [--reps 5] [--days 365] [--district [--district-reps 3]]
                                [--comparison [--comparison-reps 3]]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_CHILD = """
import sys, time
from sim import GovModel, Params
days, communities = int(sys.argv[1]), int(sys.argv[2])
params = Params().replace(communities=communities)
t0 = time.perf_counter()
try:  # a revision with a spin-up: build without it, so both time a build and the measured days
    m = GovModel(params, seed=0, spin_up=False)
except TypeError:
    m = GovModel(params, seed=0)
m.run(days)
print(time.perf_counter() - t0)
"""


def _time(tree: Path, days: int, communities: int) -> float:
    env = dict(os.environ, PYTHONPATH=str(tree))
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(days), str(communities)],
        env=env, cwd=tree, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(out.stdout.split()[-1])


def _children_cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def _time_comparison(tree: Path, days: int, cpu: list[float]) -> float:
    """Wall time of the demo comparison into a fresh folder, run from ``tree``; appends the CPU
    time of the command and its worker processes (user + system) to ``cpu``."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    # a revision with parameter uncertainty runs the defaults, like the older ones
    # (benchmarks/uncertainty.py times what the posterior adds)
    cli = (tree / "sim" / "experiments" / "cli.py").read_text()
    extra = ["--uncertainty", "none"] if '"--uncertainty"' in cli else []
    with tempfile.TemporaryDirectory() as out:
        c0, t0 = _children_cpu(), time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "sim.cli", "compare", "baseline", "extra_canteen", "more_partner_units",
             "--reps", "4", "--days", str(days), "--out", out, "--quiet", *extra],
            env=env, cwd=tree, capture_output=True, text=True, check=True,
        )  # fmt: skip
        wall = time.perf_counter() - t0
        cpu.append(_children_cpu() - c0)
        return wall


def _worktree(rev: str, where: Path) -> Path:
    tree = where / rev.replace("/", "_")
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), rev], check=True,
                   capture_output=True)  # fmt: skip
    return tree


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old", help="the revision to compare against (e.g. a commit or main~3)")
    ap.add_argument("new", nargs="?", default="HEAD", help="the revision to time (default HEAD)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--district", action="store_true", help="also the 193-community district")
    ap.add_argument("--district-days", type=int, default=365)
    ap.add_argument("--district-reps", type=int, default=3)
    ap.add_argument("--comparison", action="store_true", help="also the demo comparison (3 x 4 runs)")
    ap.add_argument("--comparison-reps", type=int, default=3)
    args = ap.parse_args()
    cases = [("community-year", args.days, 1, args.reps)]
    if args.district:
        cases.append((f"district, {args.district_days} days", args.district_days, 193, args.district_reps))
    if args.comparison:
        cases.append(("comparison 3x4", args.days, 0, args.comparison_reps))
    with tempfile.TemporaryDirectory() as tmp:
        trees = {}
        try:
            for rev in (args.old, args.new):
                trees[rev] = _worktree(rev, Path(tmp))
            print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; alternating reps, medians")
            print(f"{'case':24s} {args.old:>14s} {args.new:>14s}  new/old   (median s)")
            for name, days, communities, reps in cases:
                times: dict[str, list[float]] = {rev: [] for rev in trees}
                cpu: dict[str, list[float]] = {rev: [] for rev in trees}
                for _ in range(reps):
                    for rev, tree in trees.items():
                        timer = (
                            _time(tree, days, communities)
                            if communities
                            else _time_comparison(tree, days, cpu[rev])
                        )
                        times[rev].append(timer)
                old, new = (statistics.median(times[r]) for r in (args.old, args.new))
                print(f"{name:24s} {old:14.3f} {new:14.3f}  {new / old:7.3f}")
                for rev in trees:
                    print(f"  {rev}: " + " ".join(f"{t:.3f}" for t in times[rev]))
                if not communities:  # CPU of the command and its workers: less sensitive to neighbours
                    old, new = (statistics.median(cpu[r]) for r in (args.old, args.new))
                    print(f"{'  CPU (user + system)':24s} {old:14.3f} {new:14.3f}  {new / old:7.3f}")
                    for rev in trees:
                        print(f"  {rev}: " + " ".join(f"{t:.3f}" for t in cpu[rev]))
        finally:
            for tree in trees.values():
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False
                )


if __name__ == "__main__":
    main()
