"""Benchmark: the default community for a year, all mechanisms, data collection on.

Each repetition runs in a fresh process so peak memory (max RSS) is per run.
Prints a table and the machine; writes benchmarks/results.json.

    python benchmarks/bench_community.py [--reps 5] [--days 365] [--communities 1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

_CHILD = """
import resource, sys, time
from sim import GovModel, Params
days, communities = int(sys.argv[1]), int(sys.argv[2])
t0 = time.perf_counter()
m = GovModel(Params().replace(communities=communities), seed=0)
t1 = time.perf_counter()
m.run(days)
t2 = time.perf_counter()
print(t1 - t0, t2 - t1, m.pop.n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import mesa
    import numpy

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "mesa": mesa.__version__,
        "platform": platform.platform(),
    }


def bench(days: int, communities: int, reps: int) -> dict:
    runs = []
    for _ in range(reps):
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, str(days), str(communities)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        build, wall, residents, rss_kb = float(out[0]), float(out[1]), int(out[2]), int(out[3])
        runs.append({"build_s": build, "run_s": wall, "residents": residents, "peak_rss_mib": rss_kb / 1024})
    run_s = statistics.median(r["run_s"] for r in runs)
    return {
        "days": days,
        "communities": communities,
        "residents": runs[0]["residents"],
        "reps": reps,
        "build_s_median": statistics.median(r["build_s"] for r in runs),
        "run_s_median": run_s,
        "run_s_all": [round(r["run_s"], 3) for r in runs],
        "peak_rss_mib_median": statistics.median(r["peak_rss_mib"] for r in runs),
        "resident_days_per_s": runs[0]["residents"] * days / run_s,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--communities", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("results.json"))
    args = ap.parse_args()
    result = {"machine": machine(), "community_year": bench(args.days, args.communities, args.reps)}
    r = result["community_year"]
    mach = result["machine"]
    print(f"machine: {mach['cpu']} ({mach['cores']} cores), Python {mach['python']}, Mesa {mach['mesa']}")
    print(
        f"{'benchmark':18s} {'residents':>10s} {'days':>5s} {'run s (median)':>15s} {'build s':>8s} "
        f"{'peak MiB':>9s} {'res-days/s':>12s}"
    )
    print(
        f"{'community-year':18s} {r['residents']:>10,d} {r['days']:>5d} {r['run_s_median']:>15.2f} "
        f"{r['build_s_median']:>8.2f} {r['peak_rss_mib_median']:>9.0f} {r['resident_days_per_s']:>12,.0f}"
    )
    print(f"runs: {r['run_s_all']} (median of {r['reps']})")
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
