"""Does the closed loop matter more in an older community? A difference-in-differences.

Builds a fourth scenario in Python from two TOML files (the ageing shock with
the loop switched off), runs all four with paired replications, and reports
how much switching off the loop raises unmet need today and under ageing,
per group of residents. Small by default; enlarge with --reps/--days::

    python scenarios/ageing_and_the_loop.py --reps 8 --days 365
"""

from __future__ import annotations

import argparse

import numpy as np

from sim.argtypes import int_at_least, run_script
from sim.experiments import EXECUTORS, Executor, bootstrap_ci, compare, load_scenario, load_scenarios
from sim.metrics import GROUPS

OUTCOME = "unmet_need_rate"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int_at_least(1), default=3, help="replications per scenario (default 3)")
    ap.add_argument("--days", type=int_at_least(1), default=60, help="days per run (default 60)")
    ap.add_argument("--executor", choices=EXECUTORS, default="process")
    ap.add_argument("--workers", type=int_at_least(1), default=None)
    ap.add_argument("--out", default="results/ageing_and_the_loop", help="output folder")
    ap.add_argument("--no-plots", action="store_true", help="tables only")
    args = ap.parse_args(argv)

    base, no_loop, ageing = load_scenarios(["baseline", "no_closed_loop", "ageing_shock"])
    ageing_no_loop = load_scenario("ageing_shock").with_params(
        {"dispatch_rule": "none"}, name="ageing_no_loop", note="The closed loop is switched off."
    )
    comp = compare(
        [base, no_loop, ageing, ageing_no_loop],
        out=args.out,
        reps=args.reps,
        days=args.days,
        executor=Executor(args.executor, args.workers),
        plots=not args.no_plots,
        command="scenarios/ageing_and_the_loop.py",
    )
    t = comp.table.set_index(["scenario", "rep"])
    rng = np.random.default_rng(1)
    print(f"Effect of switching off the closed loop on {OUTCOME} (percentage points, 95 % bootstrap CI)")
    print(f"{'group':20s} {'today':>24s} {'ageing':>24s} {'ageing - today':>24s}")
    for g in GROUPS:
        col = OUTCOME if g == "all" else f"{OUTCOME}.{g}"
        today = (t.loc["no_closed_loop", col] - t.loc["baseline", col]).to_numpy() * 100
        aged = (t.loc["ageing_no_loop", col] - t.loc["ageing_shock", col]).to_numpy() * 100
        cells = []
        for d in (today, aged, aged - today):
            d = d[~np.isnan(d)]
            lo, hi = bootstrap_ci(d, rng)
            cells.append(f"{d.mean():+.1f} [{lo:+.1f}, {hi:+.1f}]" if len(d) else "-")
        print(f"{g:20s} " + " ".join(f"{c:>24s}" for c in cells))
    print(f"brief: {comp.files.get('brief', comp.folder)}")
    return 0


if __name__ == "__main__":
    run_script(main)
