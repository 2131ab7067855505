"""Pattern-oriented calibration: what the defaults produce against published targets.

Each :class:`Target` names a pattern from the Tiexi report or another source,
the model settings that represent it, how to read it off a run's summary and
the range counted as a match. :func:`calibrate` runs every target's settings
over several seeds; :func:`to_markdown` writes the table kept in
``docs/calibration.md`` (regenerate with ``make calibrate``, i.e.
``python -m sim.calibration``).
"""

from __future__ import annotations

import math
import multiprocessing
import statistics
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date

from .params import Params
from .runner import run


@dataclass(frozen=True)
class Target:
    """One calibration pattern.

    Attributes:
        name: short identifier.
        what: what is measured, in words.
        source: where the target comes from, with its tag.
        read: summary -> value.
        lo, hi: the range counted as a match.
        settings: parameter changes representing the pattern's community.
    """

    name: str
    what: str
    source: str
    read: Callable[[dict[str, float]], float]
    lo: float
    hi: float
    settings: dict = field(default_factory=dict)


def _key(name: str) -> Callable[[dict[str, float]], float]:
    return lambda s: s[name]


JIANNAN = {"partner_units": 19, "unit_enterprise_share": 1.0}

TARGETS: tuple[Target, ...] = (
    Target(
        "jiannan_projects",
        "projects completed in a year, Jiannan-like community (19 enterprises)",
        "[A] Jiannan took in 19 enterprises in 2024 and completed 10+ key projects",
        _key("projects_completed"),
        10,
        16,
        JIANNAN,
    ),
    Target(
        "platform_placements",
        "residents placed by the community job platform in a year",
        "[A] one community's job platform placed 30 residents in a year",
        _key("placements_platform"),
        20,
        40,
    ),
    Target(
        "training_projects",
        "job-seekers enrolled in seasonal training projects in a year",
        "[A] 6 seasonal training projects a year (x training_size)",
        _key("trainees"),
        30,
        60,
    ),
    Target(
        "canteen_lunches",
        "canteen meals per day (230 m², 85 seats, 10 yuan)",
        "[E] 150-250 lunches/day for a canteen of that size",
        _key("canteen_meals_per_day"),
        150,
        250,
    ),
    Target(
        "canteen_break_even",
        "canteen (revenue + subsidy) / (food + labour cost)",
        "[E] break-even ~150-180 meals/day at 10 yuan",
        _key("canteen_cost_recovery_with_subsidy"),
        0.9,
        1.25,
    ),
    Target(
        "reported_satisfaction",
        "ratings of 4-5 stars under the closed loop",
        "[S] published loops report 98-99.9 % satisfied",
        _key("satisfaction_reported"),
        0.97,
        1.0,
    ),
    Target(
        "elderly_alone_unmet_gap",
        "unmet-need rate, elderly living alone minus everyone",
        "docs/sources.md: ratings sit at a ceiling while isolated elderly fare worse",
        _key("unmet_gap.elderly_alone"),
        0.01,
        0.5,
    ),
    Target(
        "elderly_alone_satisfaction_gap",
        "true satisfaction, elderly living alone minus everyone",
        "docs/sources.md (as above)",
        lambda s: s["satisfaction_true.elderly_alone"] - s["satisfaction_true"],
        -0.5,
        -0.005,
    ),
    Target(
        "volunteer_retention",
        "volunteers registered at the start still registered after a year",
        "[S] about a third of volunteers drop out each year",
        _key("volunteer_retention_12m"),
        0.6,
        0.75,
    ),
    Target(
        "volunteer_active_share",
        "active / registered volunteers at the end of the year",
        "[S] ~30 % of registered volunteers are active",
        lambda s: s["volunteers_active"] / s["volunteers_registered"],
        0.25,
        0.5,
    ),
    Target(
        "unemployment",
        "unemployed / labour force at the end of the year",
        "[S] urban unemployment ~5 %",
        _key("unemployment_rate"),
        0.04,
        0.065,
    ),
)


def _one(job: tuple[dict, int, int]) -> dict[str, float]:
    settings, seed, days = job
    return run(Params().replace(**settings), seed=seed, days=days).summary


def calibrate(seeds: int = 10, days: int = 365, workers: int = 1) -> list[dict]:
    """Run every target's settings over ``seeds`` seeds; one row per target."""
    settings = {tuple(sorted(t.settings.items())) for t in TARGETS}
    jobs = [(dict(s), seed, days) for s in sorted(settings) for seed in range(seeds)]
    if workers > 1:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            summaries = list(pool.map(_one, jobs))
    else:
        summaries = [_one(j) for j in jobs]
    by_setting: dict[tuple, list[dict]] = {}
    for (s, _, _), summary in zip(jobs, summaries, strict=True):
        by_setting.setdefault(tuple(sorted(s.items())), []).append(summary)
    rows = []
    for t in TARGETS:
        values = [t.read(s) for s in by_setting[tuple(sorted(t.settings.items()))]]
        values = [v for v in values if not math.isnan(v)]
        mean = statistics.fmean(values) if values else float("nan")
        rows.append(
            {
                "target": t,
                "mean": mean,
                "sd": statistics.stdev(values) if len(values) > 1 else 0.0,
                "min": min(values, default=float("nan")),
                "max": max(values, default=float("nan")),
                "match": t.lo <= mean <= t.hi,
            }
        )
    return rows


def _fmt(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"


def to_markdown(rows: list[dict], seeds: int, days: int) -> str:
    """The calibration table as it appears in ``docs/calibration.md``."""
    lines = [
        "# Calibration: patterns the default community reproduces",
        "",
        f"Generated by `python -m sim.calibration --seeds {seeds} --days {days}` "
        f"on {date.today().isoformat()}; "
        "do not edit by hand. Each row runs the default parameters (with the settings shown) "
        f"for {days} measured days, after its spin-up of {Params().spinup_days} days, over seeds "
        f"0-{seeds - 1} and reports mean, sd and range. Patterns that restate an input (training "
        "projects x their size, placements capped by vacancies, retention set by the dropout rate) "
        "check the wiring, not the model: docs/validation.md marks them.",
        "",
        "| pattern | measured as | source | settings | target | mean | sd | min-max | match |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        t: Target = r["target"]
        settings = ", ".join(f"{k}={v}" for k, v in t.settings.items()) or "defaults"
        spread = f"{_fmt(r['sd'])} | {_fmt(r['min'])}-{_fmt(r['max'])}"
        lines.append(
            f"| {t.name} | {t.what} | {t.source} | {settings} | {_fmt(t.lo)}-{_fmt(t.hi)} "
            f"| {_fmt(r['mean'])} | {spread} | {'yes' if r['match'] else 'NO'} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.calibration [--seeds N] [--days N] [--workers N] [--out PATH]``."""
    import argparse
    import os
    from pathlib import Path

    from .runner import atomic_write

    ap = argparse.ArgumentParser(prog="python -m sim.calibration", description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", type=Path, default=Path("docs/calibration.md"))
    args = ap.parse_args(argv)
    if args.seeds < 2 or args.days < 30:
        ap.error("--seeds must be >= 2 and --days >= 30")
    rows = calibrate(args.seeds, args.days, args.workers)
    text = to_markdown(rows, args.seeds, args.days)
    atomic_write(args.out, lambda p: p.write_text(text))
    print(text)
    return 0 if all(r["match"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
