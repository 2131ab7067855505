"""What parameter uncertainty costs a comparison (issue 12's performance point).

Times ``govsim compare baseline extra_canteen more_partner_units --reps 8`` with
``--uncertainty posterior`` and with ``--uncertainty none``, each into a fresh folder
and a fresh process (spin-ups, runs, tables, plots and brief), alternating the two
(P N P N ...) so that drift in the machine's speed falls on both alike. Prints the
machine, each repetition, the medians and the ratio posterior / none.

    python benchmarks/uncertainty.py [--reps 3] [--comparison-reps 8] [--days 365]
                                     [--posterior FILE]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench import machine  # noqa: E402

SCENARIOS = ("baseline", "extra_canteen", "more_partner_units")


def _time(mode: str, reps: int, days: int, posterior: Path | None) -> float:
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "sim.cli", "compare", *SCENARIOS, "--reps", str(reps)]
        cmd += ["--days", str(days), "--out", out, "--quiet", "--uncertainty", mode]
        if mode == "posterior" and posterior is not None:
            cmd += ["--posterior", str(posterior)]
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
        return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3, help="timed repetitions of each mode (default 3)")
    ap.add_argument("--comparison-reps", type=int, default=8, help="replications per scenario (default 8)")
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--posterior", type=Path, help="posterior file (default the stored one)")
    args = ap.parse_args(argv)
    if args.reps < 1 or args.comparison_reps < 2 or args.days < 1:
        ap.error("--reps must be >= 1, --comparison-reps >= 2 and --days >= 1")
    m = machine()
    print(f"machine: {m['cpu']} ({m['cores']} cores, {m['memory_gib']} GiB), Python {m['python']}")
    print(f"comparison: {' '.join(SCENARIOS)} --reps {args.comparison_reps} --days {args.days}")
    times: dict[str, list[float]] = {"posterior": [], "none": []}
    for i in range(args.reps):
        for mode in times:
            t = _time(mode, args.comparison_reps, args.days, args.posterior)
            times[mode].append(t)
            print(f"  repetition {i + 1}: --uncertainty {mode:9s} {t:6.1f} s", flush=True)
    med = {mode: statistics.median(ts) for mode, ts in times.items()}
    print(f"median: posterior {med['posterior']:.1f} s, none {med['none']:.1f} s")
    print(f"ratio posterior / none: {med['posterior'] / med['none']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
