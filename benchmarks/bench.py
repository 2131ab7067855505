"""govsim benchmarks (``make bench``): wall time, memory, rates, and sweep scaling.

Each model benchmark runs in a fresh process per repetition (so peak memory,
max RSS, is that run's) and reports the median. In the same process it times a
no-op Mesa ``shuffle_do`` step over as many agents as there are residents, so
the ratio of resident-days per second to that rate compares like with like.
The sweep benchmark times a demo-sized run matrix (12 community runs of
``--days`` days, a fresh store each time) with 1 and with 2 local worker
processes; the last line times the whole demo comparison once. Prints a table
and the machine; writes benchmarks/results.json.

    python benchmarks/bench.py [--reps 3] [--days 365] [--district] [--quick]
    python benchmarks/bench.py --checksums [--reps 5]   # checksum cost on a cached demo rerun
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CHILD = """
import resource, sys, time
import mesa
from sim import GovModel, Params

days, communities, first = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # interpreter and imports
params = Params().replace(communities=communities, first_community=first)
t0 = time.perf_counter()
m = GovModel(params, seed=0, spin_up=False, collect=False)
t1 = time.perf_counter()
m.run(params.spinup_days)  # the spin-up: no policies, no daily series
ts = time.perf_counter()
m.start_measuring(collect=True)
m.run(days)  # the measured days, with the daily series
t2 = time.perf_counter()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # the model's peak (before the no-op agents)

class Noop(mesa.Agent):
    def step(self):
        pass

base = mesa.Model(rng=0)
for _ in range(m.pop.n):
    Noop(base)
agents = base.agents_by_type[Noop]
steps = max(1, min(20, int(2e6 // m.pop.n)))
t3 = time.perf_counter()
for _ in range(steps):
    agents.shuffle_do("step")
t4 = time.perf_counter()
print(t1 - t0, t2 - ts, m.pop.n, rss, m.pop.n * steps / (t4 - t3), rss0, ts - t1)
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

    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem, 1),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "mesa": mesa.__version__,
        "platform": platform.platform(),
    }


def bench_model(name: str, days: int, communities: int, first: int, reps: int) -> dict:
    runs = []
    for _ in range(reps):
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, str(days), str(communities), str(first)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        build, wall, residents, rss_kb, noop, rss0_kb, spin = (
            float(out[0]),
            float(out[1]),
            int(out[2]),
            int(out[3]),
            float(out[4]),
            int(out[5]),
            float(out[6]),
        )
        runs.append(
            {
                "build_s": build,
                "spinup_s": spin,
                "run_s": wall,
                "residents": residents,
                "rss": rss_kb / 1024,
                "noop": noop,
                "bytes_per_resident": (rss_kb - rss0_kb) * 1024 / residents,
            }
        )
    run_s = statistics.median(r["run_s"] for r in runs)
    rate = runs[0]["residents"] * days / run_s
    noop = statistics.median(r["noop"] for r in runs)
    return {
        "name": name,
        "days": days,
        "communities": communities,
        "first_community": first,
        "residents": runs[0]["residents"],
        "reps": reps,
        "build_s_median": statistics.median(r["build_s"] for r in runs),
        "spinup_s_median": statistics.median(r["spinup_s"] for r in runs),
        "run_s_median": run_s,
        "run_s_all": [round(r["run_s"], 3) for r in runs],
        "peak_rss_mib_median": statistics.median(r["rss"] for r in runs),
        "bytes_per_resident_median": statistics.median(r["bytes_per_resident"] for r in runs),
        "resident_days_per_s": rate,
        "noop_mesa_agent_steps_per_s": noop,
        "ratio_to_noop_mesa": rate / noop,
        "us_per_resident_day": 1e6 / rate,
    }


def bench_sweep(reps: int, days: int, runs: int) -> dict:
    """Throughput of a run matrix with 1 and 2 local worker processes (fresh store each time)."""
    from sim.experiments import Executor, build_matrix, load_scenarios, run_matrix

    scenarios = load_scenarios(["baseline"])
    result = {"runs": runs, "days": days, "reps": reps}
    for workers in (1, 2):
        times = []
        for r in range(reps):
            specs = build_matrix(scenarios, reps=runs, days=days, base_seed=1000 + r)
            with tempfile.TemporaryDirectory() as tmp:
                t = time.perf_counter()
                run_matrix(
                    specs, Path(tmp) / "store", executor=Executor("process", workers=workers), progress=False
                )
                times.append(time.perf_counter() - t)
        result[f"workers_{workers}_s_median"] = statistics.median(times)
        result[f"workers_{workers}_runs_per_min"] = 60 * runs / statistics.median(times)
    result["speedup_2_vs_1"] = result["workers_1_s_median"] / result["workers_2_s_median"]
    return result


def bench_demo(days: int) -> float:
    """Wall time of the demo comparison (baseline vs extra_canteen vs more_partner_units,
    4 replications, default process executor) into a fresh folder: runs, tables, plots, brief."""
    govsim = Path(sys.executable).with_name("govsim")
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [str(govsim), "compare", "baseline", "extra_canteen", "more_partner_units", "--reps", "4"]
        t = time.perf_counter()
        out = f"{tmp}/demo"
        subprocess.run(
            [*cmd, "--days", str(days), "--quiet", "--out", out], check=True, stdout=subprocess.DEVNULL
        )
        return time.perf_counter() - t


def bench_checksums(days: int, reps: int) -> dict:
    """What checksum verification adds to a cached rerun of the demo comparison.

    The demo comparison (baseline, extra_canteen, more_partner_units; 4 replications of
    ``days``) is computed once into a fresh folder. After one warm-up rerun, the same
    comparison is rerun in-process (every run cached; tables, plots and brief written
    again) ``reps`` times with the store's verification and ``reps`` times with it
    replaced by the old check (the three files exist), alternately. Reported: the time
    spent deciding which runs are cached (``Store.check``, timed inside each rerun) as a
    share of the rest of the rerun - the overhead itself, insensitive to other load on
    the machine - and the wall and CPU medians of both kinds of rerun. In-process times
    leave out the interpreter's start and imports, so the shares are of less than the
    command's time.
    """
    from sim.experiments import Executor, compare, load_scenarios
    from sim.experiments.store import Store

    def exists_only(self, rec):  # what the store checked before checksums
        ok = all(self.path(p).exists() for p in rec.get("files", []))
        return None if ok else "missing"

    scenarios = load_scenarios(["baseline", "extra_canteen", "more_partner_units"])
    verified, check = Store.files_problem, Store.check
    spent = [0.0]

    def timed_check(self, spec):
        t = time.perf_counter()
        try:
            return check(self, spec)
        finally:
            spent[0] += time.perf_counter() - t

    runs: dict[str, list[tuple[float, float, float]]] = {"verified": [], "unverified": []}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "demo"
        compare(scenarios, out=out, reps=4, days=days, executor=Executor("process"), progress=False)
        size = sum(p.stat().st_size for p in out.rglob("*.parquet") if "comparisons" not in p.parts)
        compare(scenarios, out=out, reps=4, days=days, progress=False)  # warm-up: fonts, caches
        Store.check = timed_check
        try:
            for i in range(reps):
                for mode in ("verified", "unverified")[:: 1 if i % 2 == 0 else -1]:
                    Store.files_problem = verified if mode == "verified" else exists_only
                    spent[0] = 0.0
                    wall, cpu = time.perf_counter(), time.process_time()
                    comp = compare(scenarios, out=out, reps=4, days=days, progress=False)
                    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                    runs[mode].append((wall, cpu, spent[0]))
                    assert len(comp.result.cached) == 12 and not comp.result.computed
        finally:
            Store.files_problem, Store.check = verified, check

    def med(mode: str, i: int) -> float:
        return statistics.median(r[i] for r in runs[mode])

    check_on, check_off = med("verified", 2), med("unverified", 2)
    rest = med("verified", 0) - check_on
    return {
        "days": days,
        "reps": reps,
        "parquet_bytes": size,
        "check_s_verified": check_on,
        "check_s_unverified": check_off,
        "overhead_pct": 100 * (check_on - check_off) / rest,
        "wall_s_verified": med("verified", 0),
        "wall_s_unverified": med("unverified", 0),
        "cpu_s_verified": med("verified", 1),
        "cpu_s_unverified": med("unverified", 1),
        "runs": {k: [[round(x, 4) for x in r] for r in v] for k, v in runs.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3, help="repetitions per benchmark (median reported)")
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--district", action="store_true", help="also the 193-community district-year (minutes)")
    ap.add_argument("--quick", action="store_true", help="community-year only")
    ap.add_argument(
        "--checksums",
        action="store_true",
        help="only what checksum verification adds to a cached rerun of the demo comparison",
    )
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("results.json"))
    args = ap.parse_args()
    result: dict = {"machine": machine(), "models": []}
    if args.checksums:
        print("running the demo comparison, then cached reruns...", file=sys.stderr, flush=True)
        c = result["checksums"] = bench_checksums(args.days, args.reps)
        print(
            f"cached rerun of the demo comparison (12 runs of {c['days']} days, "
            f"{c['parquet_bytes'] / 2**20:.1f} MiB of Parquet; tables, plots, brief; "
            f"medians of {c['reps']}):\n"
            f"  deciding what is cached: {c['check_s_verified']:.4f} s with checksums, "
            f"{c['check_s_unverified']:.4f} s checking that files exist -> "
            f"{c['overhead_pct']:+.2f} % of the rerun\n"
            f"  whole rerun: wall {c['wall_s_verified']:.2f} s vs {c['wall_s_unverified']:.2f} s, "
            f"CPU {c['cpu_s_verified']:.2f} s vs {c['cpu_s_unverified']:.2f} s (with vs without checksums)"
        )
        args.out.write_text(json.dumps(result, indent=1) + "\n")
        return
    plan = [("community-year", 1, 0)]
    if not args.quick:
        plan.append(("subdistrict-year", 11, 12))  # subdistrict 1: communities 12-22
    if args.district:
        plan.append(("district-year", 193, 0))
    for name, communities, first in plan:
        print(f"running {name} ({args.reps} reps)...", file=sys.stderr, flush=True)
        result["models"].append(bench_model(name, args.days, communities, first, args.reps))
    if not args.quick:
        print("running sweep throughput (1 and 2 workers)...", file=sys.stderr, flush=True)
        result["sweep"] = bench_sweep(args.reps, days=args.days, runs=12)  # the demo's matrix size
        print("running the demo comparison (make demo)...", file=sys.stderr, flush=True)
        result["demo_comparison_s"] = bench_demo(args.days)

    mach = result["machine"]
    print(
        f"machine: {mach['cpu']} ({mach['cores']} cores, {mach['memory_gib']} GiB), Python {mach['python']}, "
        f"numpy {mach['numpy']}, Mesa {mach['mesa']}"
    )
    print(
        f"{'benchmark':18s} {'residents':>10s} {'run s':>7s} {'build s':>8s} {'spin-up s':>9s} "
        f"{'peak MiB':>9s} {'B/res':>6s} {'res-days/s':>12s} {'no-op Mesa/s':>13s} {'ratio':>6s} "
        f"{'us/res-day':>10s}"
    )
    for r in result["models"]:
        print(
            f"{r['name']:18s} {r['residents']:>10,d} {r['run_s_median']:>7.2f} {r['build_s_median']:>8.2f} "
            f"{r['spinup_s_median']:>9.2f} "
            f"{r['peak_rss_mib_median']:>9.0f} {r['bytes_per_resident_median']:>6.0f} "
            f"{r['resident_days_per_s']:>12,.0f} "
            f"{r['noop_mesa_agent_steps_per_s']:>13,.0f} {r['ratio_to_noop_mesa']:>6.1f} "
            f"{r['us_per_resident_day']:>10.3f}"
        )
    if "sweep" in result:
        s = result["sweep"]
        print(
            f"sweep ({s['runs']} community runs of {s['days']} days): "
            f"1 worker {s['workers_1_s_median']:.1f} s, 2 workers {s['workers_2_s_median']:.1f} s "
            f"-> speedup {s['speedup_2_vs_1']:.2f}x"
        )
    if "demo_comparison_s" in result:
        print(
            f"demo comparison (3 scenarios x 4 reps x {args.days} days, plots, brief): "
            f"{result['demo_comparison_s']:.1f} s (one run)"
        )
    print(f"medians of {args.reps} runs; wrote {args.out}")
    args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
