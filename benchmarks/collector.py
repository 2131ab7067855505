"""CPU time of the daily collector in a community-year, against the year's total.

Builds the default community without a spin-up (``GovModel(Params(), seed=0,
spin_up=False)``), runs 365 days with the daily collector on and times each call
of ``model.datacollector.collect``; repeats in fresh models and prints the
medians. Run it with another revision first on ``PYTHONPATH`` to time that one.

    python benchmarks/collector.py [--reps 5] [--days 365]
"""

from __future__ import annotations

import argparse
import statistics
import time


def one(days: int) -> tuple[float, float]:
    """(CPU seconds of the run, of which the collector's) for one community run."""
    from sim import GovModel, Params

    model = GovModel(Params(), seed=0, spin_up=False)
    collector = model.datacollector
    spent = [0.0]
    collect = collector.collect

    def timed(m) -> None:
        t0 = time.process_time()
        collect(m)
        spent[0] += time.process_time() - t0

    collector.collect = timed
    t0 = time.process_time()
    model.run(days)
    return time.process_time() - t0, spent[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--days", type=int, default=365)
    args = ap.parse_args()
    import sim

    runs = [one(args.days) for _ in range(args.reps)]
    total = statistics.median(r[0] for r in runs)
    coll = statistics.median(r[1] for r in runs)
    print(f"sim from {sim.__file__}")
    print(f"{args.days} days x {args.reps}: run {total:.3f} s CPU, collector {coll:.3f} s CPU (medians)")
    print("  collector: " + " ".join(f"{r[1]:.3f}" for r in runs))


if __name__ == "__main__":
    main()
