"""Compare the shipped policy scenarios with the baseline, end to end, through the Python API.

Runs baseline, more_partner_units, volunteer_drive and combined_package with
paired replications, prints the headline table and writes Parquet results and a
planner brief under --out. Small by default so it runs in seconds; make it
bigger with --reps/--days/--communities, e.g.::

    python scenarios/compare_policies.py --reps 10 --days 365 --out results/policies
"""

from __future__ import annotations

import argparse

from sim.argtypes import int_at_least, run_script
from sim.experiments import EXECUTORS, Executor, compare, headline_text, load_scenarios

SCENARIOS = ["baseline", "more_partner_units", "volunteer_drive", "combined_package"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int_at_least(1), default=2, help="replications per scenario (default 2)")
    ap.add_argument("--days", type=int_at_least(1), default=60, help="days per run (default 60)")
    ap.add_argument("--communities", type=int_at_least(1), default=1, help="communities per run (default 1)")
    ap.add_argument("--executor", choices=EXECUTORS, default="process")
    ap.add_argument(
        "--workers", type=int_at_least(1), default=None, help="worker processes (default: all cores)"
    )
    ap.add_argument("--out", default="results/compare_policies", help="output folder")
    ap.add_argument("--no-plots", action="store_true", help="tables only")
    args = ap.parse_args(argv)

    scenarios = load_scenarios(SCENARIOS, {"communities": args.communities})
    comp = compare(
        scenarios,
        out=args.out,
        reps=args.reps,
        days=args.days,
        executor=Executor(args.executor, args.workers),
        plots=not args.no_plots,
        command="scenarios/compare_policies.py",
    )
    print(headline_text(comp))
    print(f"brief: {comp.files.get('brief', comp.folder)}")
    return 0


if __name__ == "__main__":
    run_script(main)
