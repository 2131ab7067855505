"""Validation of the model as it stands: stationarity, patterns, capacity and levers.

``python -m sim.validation --out docs/validation.md`` (``make validate``) runs the
default community and every policy lever and scenario on paired seeds, each after
its spin-up (:mod:`sim.spinup`), and writes a Markdown document in five sections:

1. stationarity of the baseline over the measured years;
2. the calibration patterns (:mod:`sim.calibration`) on the first measured year;
3. capacity utilisation by provider kind and response-time distributions, at the
   default and at other capacity settings;
4. dose-response of every lever (a parameter with a ``lever`` in its metadata) and
   every scenario in ``scenarios/``, with a verdict (:func:`verdict`);
5. what the model leaves out.

Every number in the document is computed by the command. Runs are jobs of
(parameter changes, policies, seed); the jobs sharing parameters and a seed go to
one worker together, so their spin-up is computed once.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import multiprocessing
import statistics
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from . import i18n, metrics, spinup
from .calibration import TARGETS
from .errors import InputError
from .needs import NeedType
from .params import Params
from .policies import AddCanteen, AddPartnerUnits, ParamChange, Policy, VolunteerDrive
from .progress import Counter
from .providers import ProviderKind, ProviderState
from .versions import source_commit
from .window import GROUPS, Window

# --- tolerances ------------------------------------------------------------------------
STATIONARITY_TOLERANCE = 2.0  # largest year-to-year change of the seed mean / sd between seeds
GRADED_SD = 2.0  # a graded lever moves its outcome by more than this many sd of paired differences
MONOTONE_SD = 1.0  # ... and no step goes against its trend by more than this many sd

# Section 3: capacity settings compared with the default.
CAPACITY_SETTINGS: tuple[tuple[str, float], ...] = (
    ("volunteer_registration", 0.05),
    ("volunteer_registration", 0.2),
    ("care_centre_staff", 0),
    ("care_centre_staff", 3),
)
PROVIDER_KINDS = (
    ("volunteers", ProviderKind.VOLUNTEER),
    ("partner units", ProviderKind.UNIT),
    ("social workers", ProviderKind.SOCIAL_WORKER),
    ("care staff", ProviderKind.CARE_STAFF),
)

# Section 4: the outcome each scenario says it targets (scenarios not listed: unmet_need_rate).
SCENARIO_TARGETS = {
    "ageing_shock": "unmet_rate_care",
    "combined_package": "unmet_need_rate",
    "extra_canteen": "meal_skip_rate",
    "five_society_linkage": "unmet_rate_care",
    "job_platform_training": "placements_platform",
    "more_partner_units": "unmet_rate_repair",
    "no_closed_loop": "unmet_need_rate",
    "volunteer_drive": "volunteers_active",
}
# The size argument of each sized policy kind and the largest value it accepts.
POLICY_SIZES: dict[type[Policy], tuple[str, float]] = {
    AddCanteen: ("count", 5),
    AddPartnerUnits: ("count", 200),
    VolunteerDrive: ("recruits", 0.5),
}
# Levers a --quick run covers; empty: every lever (and every scenario in any case).
QUICK_LEVERS: tuple[str, ...] = ()

# How each lever reaches its outcome, read from the code (one sentence each, no numbers).
MECHANISMS = {
    "dispatch_rule": (
        "closed_loop scores every candidate by skill, ratings and distance each day; ad_hoc handles "
        "only some open orders a day with random candidates; none leaves orders to kin, neighbours and "
        "volunteers among the resident's own ties (sim.loop.dispatch)."
    ),
    "grid_workers_per_grid": (
        "Scales the daily chance that a household is visited; a visit finds a hidden need with "
        "grid_detect_prob and raises awareness (sim.loop.grid_visits, GovModel._derive)."
    ),
    "grid_visits_per_worker_day": (
        "Same channel as grid_workers_per_grid: the product of the two sets each household's daily "
        "visit chance, weighted toward elders living alone."
    ),
    "volunteer_registration": (
        "Sets only the volunteers registered when the model is built; afterwards monthly recruitment "
        "(recruitment_month, a share of the adults not yet volunteering) and dropout move the stock "
        "toward their own balance during the spin-up."
    ),
    "recognition": (
        "Adds to active volunteers' monthly motivation in proportion to services done and to inactive "
        "volunteers' chance of returning; motivation lowers dropout and resting (sim.agents)."
    ),
    "partner_units": (
        "Units built per community; each offers unit_hours_month scaled by its motivation and can take "
        "repair and other skilled orders across its subdistrict (sim.providers, sim.loop)."
    ),
    "five_society_linkage": (
        "When off, social workers are never available for dispatch (sim.loop._available); the care "
        "staff and volunteers remain."
    ),
    "social_workers": (
        "Paid social workers per community with fixed monthly hours, the most-skilled candidates for "
        "care and disputes; their hours go mostly to care, the scarce service."
    ),
    "care_centre_staff": (
        "Paid care staff per community with fixed monthly hours for care visits; unmet care raises care "
        "levels later (monthly_care)."
    ),
    "activity_classes": (
        "Enrolled able elders meet classmates weekly and may form a tie (sim.services.activities)."
    ),
    "markets_per_month": (
        "Market days each month on which attending adults meet one another and may form a tie; the day "
        "rule in market_days gives the stated count only when it divides the month evenly."
    ),
    "tutoring_programme": "When off, no provider counts as able to tutor (sim.loop.effective_skills).",
    "mediation_team": "When off, volunteers cannot mediate disputes; social workers still can.",
    "canteens_per_community": (
        "Canteens built per community; residents choose lunch by price, distance, quality and peers, and "
        "non-cooks who find no acceptable option skip (sim.services.canteens)."
    ),
    "canteen_price": (
        "The walk-in price in the lunch choice's utility, offset for elders by the discount. The cliff "
        "at low prices is the operator's: meals below the food and labour cost run up losses past "
        "canteen_loss_tolerance during the spin-up and the canteen closes, so no meals at all."
    ),
    "canteen_subsidy": (
        "Paid per elderly meal into the canteen's books; it raises income (cost recovery) without "
        "changing what diners pay."
    ),
    "job_platform": (
        "When on, job-seekers reached by the platform each month are matched to the vacancies posted by "
        "enterprise units and the talent market (sim.services.jobs)."
    ),
    "training_projects_year": (
        "Each project enrols training_size job-seekers whose placement chance is raised for a period; "
        "platform placements are capped by the vacancies, so training shows in market placements "
        "(the raised chance applies to looking for work alone)."
    ),
    "joint_meetings_per_year": (
        "At each joint meeting units pledge a share of their remaining budget to listed projects, "
        "which complete once funded (sim.services.projects)."
    ),
    "ageing_shock": "Shifts the household mix toward elders at build: more care, meal and repair needs.",
    "combined_package": "Adds partner units, a volunteer drive and more grid visits together.",
    "extra_canteen": "Opens more canteens at measured day 0 where most elders live beyond walking distance.",
    "five_society_linkage#scenario": (
        "More social workers and care staff at build and a stronger recognition scheme."
    ),
    "job_platform_training": (
        "Wider platform reach, more and larger training projects and more vacancies from enterprises."
    ),
    "more_partner_units": (
        "Adds partner units to every community at measured day 0. Repairs are mostly met already "
        "(volunteers with repair skills and the 12 units of the build), so units beyond them move "
        "unmet need of other types (care, via social-organisation units) more than unmet repairs."
    ),
    "no_closed_loop": "Varies the dispatch rule over its choices.",
    "volunteer_drive": (
        "A recruitment drive at measured day 0 with a stronger recognition scheme for the first year."
    ),
}

# Section 2: patterns whose value is set by an input rather than produced by the dynamics.
PATTERN_NOTES = {
    "training_projects": "restates an input: trainees = training_projects_year x training_size",
    "platform_placements": (
        "restates an input: placements are capped by the vacancies posted "
        "(unit_vacancies_month x enterprise units + platform_market_vacancies_month)"
    ),
    "volunteer_retention": "mostly restates an input: volunteer_dropout_year, scaled by motivation",
    "canteen_lunches": "bounded by an input: seats x sittings",
    "unemployment": "set by inputs: the balance of job_loss_month and market_find_month",
    "volunteer_active_share": "set by inputs: the balance of activation and deactivation rates",
}

# Section 5.
LEFT_OUT = (
    "No births, deaths or migration: the population is fixed when the model is built; care renewal "
    "(care_renewal_year) returns residents whose care level rose to their starting level and stands in "
    "for turnover.",
    "No weather beyond a fixed winter season for snow removal and winter needs: no cold spells, no "
    "year-to-year variation.",
    "Every month has the same number of days and years have no leap days; monthly processes run on "
    "fixed day counts, not on the calendar.",
    "No budget of the committee itself: grid workers, staff and dispatch are costed but never limited "
    "by money; only partner units and canteens keep books.",
    "No prices or wages that respond to demand: the canteen price, takeaway price and vacancies are "
    "parameters.",
    "No household formation or moves between buildings; ties end but nobody moves.",
    "No other providers of care and repair (markets, property companies) beyond takeaway lunches.",
    "No learning by the committee beyond the rating estimates used in dispatch; the rules are fixed.",
)

HEADER_EXTRA = ("utilisation_volunteers", "utilisation_units", "utilisation_staff")


# --- configuration and jobs --------------------------------------------------------------
@dataclass(frozen=True)
class Config:
    """What a validation run covers."""

    seeds: int = 3
    years: int = 3
    values: int = 5
    workers: int = 2
    quick: bool = False
    spinup_days: int | None = None  # None: the Params default
    window_days: int = 365

    @classmethod
    def quick_run(cls, workers: int = 2) -> Config:
        return cls(seeds=1, years=2, values=2, workers=workers, quick=True, spinup_days=90, window_days=60)

    def params(self, changes: dict | tuple = ()) -> Params:
        base = Params() if self.spinup_days is None else Params().replace(spinup_days=self.spinup_days)
        return base.replace(**dict(changes))


Changes = tuple[tuple[str, object], ...]


def _changes(d: dict) -> Changes:
    return tuple(sorted(d.items()))


@dataclass(frozen=True)
class Run:
    """One measured run: parameter changes, policies and how many windows to report."""

    changes: Changes
    policies: tuple[Policy, ...]
    windows: int

    @property
    def key(self) -> tuple:
        return (self.changes, repr(self.policies))


def _measure(model, d0: int, d1: int) -> dict:
    """Every outcome over [d0, d1], utilisation by provider kind and the response times."""
    w = Window(model, d0, d1)
    pr = model.providers
    served_hours = np.zeros(pr.n)
    sel = w.by_provider
    np.add.at(served_hours, w.col("provider")[sel], model.hours_by_type[w.col("type")[sel]])
    util = {}
    for label, kind in PROVIDER_KINDS:
        mine = pr.kind == kind
        offered = float(pr.hours_month[mine & (pr.state == ProviderState.ACTIVE)].sum()) * w.days / 30.0
        util[label] = float(served_hours[mine].sum()) / offered if offered else math.nan
    bits = np.zeros(len(w.ids), np.uint8)
    for j, g in enumerate(GROUPS[1:]):
        bits |= w.in_group(g).astype(np.uint8) << j
    acc = w.during("day_accepted")
    times = {
        "served": {
            "type": w.col("type")[sel],
            "bits": bits[sel],
            "wait": (w.col("day_closed") - w.col("day_arisen"))[sel],
            "response": (w.col("day_closed") - w.col("day_ordered"))[sel],
        },
        "accepted": {
            "type": w.col("type")[acc],
            "bits": bits[acc],
            "accept": (w.col("day_accepted") - w.col("day_ordered"))[acc],
        },
    }
    return {"report": metrics.report(model, d0, d1), "util": util, "times": times}


def _task(args: tuple[Config, Changes, int, tuple[Run, ...]]) -> list[tuple[tuple, int, list[dict]]]:
    """Runs sharing parameters and a seed, from one spin-up (kept in this process's memory)."""
    config, changes, seed, runs = args
    params = config.params(changes)
    out = []
    for run in runs:
        model = spinup.start(params, seed, policies=run.policies, collect=False)
        windows = []
        for k in range(run.windows):
            model.run(config.window_days)
            d0 = model.day0 + k * config.window_days
            windows.append(_measure(model, d0, d0 + config.window_days - 1))
        out.append((run.key, seed, windows))
    return out


def execute(config: Config, runs: Sequence[Run], progress=None) -> dict[tuple, dict[int, list[dict]]]:
    """Every run on seeds 0..seeds-1; ``{run.key: {seed: [window results]}}``.

    Runs with the same parameter changes and seed form one task; the largest tasks go first.
    """
    merged: dict[tuple, Run] = {}
    for run in runs:
        old = merged.get(run.key)
        if old is None or old.windows < run.windows:
            merged[run.key] = run
    groups: dict[Changes, list[Run]] = {}
    for run in merged.values():
        groups.setdefault(run.changes, []).append(run)
    tasks = [(config, ch, seed, tuple(rs)) for ch, rs in groups.items() for seed in range(config.seeds)]
    tasks.sort(key=lambda t: -sum(r.windows for r in t[3]))
    results: dict[tuple, dict[int, list[dict]]] = {}

    def keep(batch):
        for key, seed, windows in batch:
            results.setdefault(key, {})[seed] = windows

    if config.workers <= 1:
        for i, t in enumerate(tasks):
            keep(_task(t))
            if progress:
                progress(i + 1, len(tasks))
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(config.workers, mp_context=ctx) as pool:
            futures = [pool.submit(_task, t) for t in tasks]
            for i, f in enumerate(as_completed(futures)):
                keep(f.result())
                if progress:
                    progress(i + 1, len(tasks))
    return results


# --- statistics ---------------------------------------------------------------------------
def mean_sd(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample sd of the finite values (sd 0 for one value, NaN for none)."""
    v = [x for x in values if not math.isnan(x)]
    if not v:
        return math.nan, math.nan
    return statistics.fmean(v), (statistics.stdev(v) if len(v) > 1 else 0.0)


def step_sds(per_value: Sequence[Sequence[float]]) -> list[float]:
    """For each value, the sd over seeds of the step from the previous value on the same seed
    (common random numbers: the noise in comparing neighbouring values); NaN for the first
    value and for a step with fewer than two seeds where both values are finite."""
    out = [math.nan]
    for prev, vals in zip(per_value, per_value[1:], strict=False):
        d = [a - b for a, b in zip(vals, prev, strict=True) if not (math.isnan(a) or math.isnan(b))]
        out.append(statistics.stdev(d) if len(d) > 1 else math.nan)
    return out


def verdict(means: Sequence[float], sds: Sequence[float]) -> str:
    """The verdict on an outcome's means over increasing values: graded, flat or non-monotone.

    ``noise`` is the pooled sd (root mean square of the finite ``sds``; the lever table passes
    the sd of each step between neighbouring values on the same seed, :func:`step_sds`). Flat: the means span
    no more than ``GRADED_SD`` x noise. Graded: they span more, and no step between two values
    (consecutive or not) goes against the trend from the first to the last value by more than
    ``MONOTONE_SD`` x noise. Otherwise non-monotone. Values with NaN means are skipped; fewer
    than two finite means give "undefined".
    """
    pairs = [(m, s) for m, s in zip(means, sds, strict=True) if not math.isnan(m)]
    if len(pairs) < 2:
        return "undefined"
    m = [p[0] for p in pairs]
    finite_sds = [p[1] for p in pairs if not math.isnan(p[1])]
    noise = math.sqrt(statistics.fmean([s * s for s in finite_sds])) if finite_sds else 0.0
    eps = 1e-12 * max(1.0, max(abs(x) for x in m))
    if max(m) - min(m) <= GRADED_SD * noise + eps:
        return "flat"
    trend = 1.0 if m[-1] >= m[0] else -1.0
    worst = max(trend * (m[i] - m[j]) for i in range(len(m)) for j in range(i + 1, len(m)))
    if worst > MONOTONE_SD * noise + eps or abs(m[-1] - m[0]) <= GRADED_SD * noise + eps:
        return "non-monotone"
    return "graded"


def stationarity(year_means: Sequence[float], seed_sds: Sequence[float]) -> tuple[float, float, bool]:
    """(largest |change| between consecutive years' means, that / mean sd between seeds, within
    ``STATIONARITY_TOLERANCE``). The ratio is NaN when the sd is unknown (one seed) and
    infinite when the sd is 0 and the mean moved; an unknown ratio is not within."""
    ys = [y for y in year_means if not math.isnan(y)]
    change = max((abs(b - a) for a, b in zip(ys, ys[1:], strict=False)), default=math.nan)
    known = [s for s in seed_sds if not math.isnan(s)]
    sd = statistics.fmean(known) if known else math.nan
    if math.isnan(change) or math.isnan(sd):
        return change, math.nan, False
    ratio = (0.0 if change == 0 else math.inf) if sd == 0 else change / sd
    return change, ratio, ratio <= STATIONARITY_TOLERANCE


# --- what is varied -----------------------------------------------------------------------
def _round(x: float) -> float:
    return float(f"{x:.6g}")


def numeric_values(default: float, lo: float | None, hi: float | None, n: int, is_int: bool) -> list:
    """``n`` values evenly spaced around ``default`` within [lo, hi], the default included.

    Floats span [default - default, default + default] clipped to the range (a quarter of the
    range each side when the default is 0). Integers span [0, 2 x default] when that gives ``n``
    distinct values, else ``n`` consecutive integers from a little below the default.
    With ``n`` = 2 (--quick): the bottom of that span and the default.
    """
    if n == 2:
        low = numeric_values(default, lo, hi, 3, is_int)[0]
        return sorted({low, default})
    lo = -math.inf if lo is None else lo
    hi = math.inf if hi is None else hi
    if is_int:
        d = int(default)
        if d >= n - 1:
            a, b = max(lo, 0), min(hi, 2 * d)
            vals = {round(x) for x in np.linspace(a, b, n)} | {d}
        else:
            a = int(max(lo, d - (n - 1) // 2))
            b = int(min(hi, a + n - 1))
            a = int(max(lo, b - n + 1))
            vals = set(range(a, b + 1)) | {d}
        return sorted(int(v) for v in vals)
    span = default if default > 0 else (hi - lo) / 4 if math.isfinite(hi - lo) else 1.0
    a, b = max(lo, default - span), min(hi, default + span)
    vals = {_round(x) for x in np.linspace(a, b, n)} | {_round(default)}
    return sorted(vals)


def lever_fields(quick: bool = False) -> list[dataclasses.Field]:
    """Every parameter marked as a lever (a subset for --quick)."""
    out = [f for f in dataclasses.fields(Params) if f.metadata.get("lever")]
    return [f for f in out if f.name in QUICK_LEVERS] if quick and QUICK_LEVERS else out


def field_values(f: dataclasses.Field, n: int) -> list:
    """The values a lever is run at: every choice, 0 and 1 for an on/off, else numeric."""
    m = f.metadata
    if m["choices"]:
        return list(m["choices"])
    kind = f.type if isinstance(f.type, str) else f.type.__name__
    if m["unit"] == "on/off" or (kind == "int" and m["lo"] == 0 and m["hi"] == 1):
        return [0, 1]
    return numeric_values(f.default, m["lo"], m["hi"], n, kind == "int")


@dataclass(frozen=True)
class Lever:
    """A lever or a scenario and the runs of its values."""

    name: str
    kind: str  # "parameter" or "scenario"
    target: str
    labels: tuple[str, ...]
    runs: tuple[Run, ...]
    note: str = ""


def param_lever(f: dataclasses.Field, n: int, windows: int = 1) -> Lever:
    values = field_values(f, n)
    runs = tuple(Run(_changes({} if v == f.default else {f.name: v}), (), windows) for v in values)
    labels = tuple(str(v) for v in values)
    return Lever(f.name, "parameter", f.metadata["lever"], labels, runs)


def _scaled(default, value, f: float, spec: dataclasses.Field):
    """default + f x (value - default), clipped to the parameter's range, ints rounded."""
    if isinstance(value, str | bool):
        return value if f > 0 else default
    x = default + f * (value - default)
    m = spec.metadata
    if m["lo"] is not None:
        x = min(max(x, m["lo"]), m["hi"])
    return round(x) if isinstance(default, int) else _round(x)


def scenario_lever(name: str, n: int, windows: int = 1) -> Lever | None:
    """A scenario's dose-response: its sized policy's size over ``n`` values from 0 (no policy),
    the scenario's other changes scaled in proportion; param-only scenarios scale their
    changes from the default (0) to twice the scenario's (2); a single choice parameter takes
    every choice. None for a scenario that changes nothing (the baseline)."""
    from .experiments.scenario import load_scenario

    scn = load_scenario(name)
    params, policies = scn.build()
    fields = {f.name: f for f in dataclasses.fields(Params)}
    default = Params()
    changed = {k: v for k, v in scn.params.items() if getattr(default, k) != v}
    target = SCENARIO_TARGETS.get(scn.name, "unmet_need_rate")
    if not changed and not policies:
        return None
    if not policies and len(changed) == 1 and fields[next(iter(changed))].metadata["choices"]:
        key = next(iter(changed))
        values = field_values(fields[key], n)
        runs = tuple(
            Run(_changes({} if v == getattr(default, key) else {key: v}), (), windows) for v in values
        )
        return Lever(scn.name, "scenario", target, tuple(f"{key}={v}" for v in values), runs)
    sized = [p for p in policies if type(p) in POLICY_SIZES]
    if sized:
        arg, hi = POLICY_SIZES[type(sized[0])]
        size = getattr(sized[0], arg)
        sizes = numeric_values(size, 0, hi, n, isinstance(size, int))
        doses = [s / size for s in sizes]
    else:
        doses = [0.0, 1.0] if n == 2 else [_round(x) for x in np.linspace(0.0, 2.0, n)]
    labels, runs = [], []
    for dose in doses:
        ch = {k: _scaled(getattr(default, k), v, dose, fields[k]) for k, v in changed.items()}
        ch = {k: v for k, v in ch.items() if v != getattr(default, k)}
        pols, parts = [], [f"{k}={v}" for k, v in ch.items()]
        for p in policies:
            if type(p) in POLICY_SIZES:
                arg, _ = POLICY_SIZES[type(p)]
                v = getattr(p, arg) * dose
                v = round(v) if isinstance(getattr(p, arg), int) else _round(v)
                if v > 0:
                    pols.append(dataclasses.replace(p, **{arg: v}))
                    parts.append(f"{p.kind}.{arg}={v}")
            elif isinstance(p, ParamChange):
                pc = {k: _scaled(getattr(default, k), v, dose, fields[k]) for k, v in p.changes.items()}
                pc = {k: v for k, v in pc.items() if v != getattr(default, k)}
                if pc:
                    pols.append(dataclasses.replace(p, changes=pc))
                    parts += [f"{k}={v}" for k, v in pc.items()]
        labels.append(f"x{_round(dose)}" + (" (" + ", ".join(parts) + ")" if parts else " (baseline)"))
        runs.append(Run(_changes(ch), tuple(pols), windows))
    note = "dose x the scenario's change; every value keeps the scenario's timing"
    return Lever(scn.name, "scenario", target, tuple(labels), tuple(runs), note)


def scenario_names() -> list[str]:
    from .experiments.scenario import REPO_SCENARIOS

    return sorted(p.stem for p in REPO_SCENARIOS.glob("*.toml"))


def plan(config: Config) -> dict:
    """Every run of the document, by section."""
    n = config.values
    baseline = Run((), (), config.years)
    levers = [param_lever(f, n) for f in lever_fields(config.quick)]
    skipped = []
    for name in scenario_names():
        lever = scenario_lever(name, n)
        if lever is None:
            skipped.append(name)
        else:
            levers.append(lever)
    patterns = [Run(_changes(t.settings), (), 1) for t in TARGETS]
    capacity = [baseline] + [Run(_changes({k: v}), (), 1) for k, v in CAPACITY_SETTINGS]
    runs = [baseline, *patterns, *capacity] + [r for lv in levers for r in lv.runs]
    return {"baseline": baseline, "levers": levers, "skipped": skipped, "capacity": capacity,
            "patterns": patterns, "runs": runs}  # fmt: skip


# --- the document -------------------------------------------------------------------------
def _f(x: float) -> str:
    if isinstance(x, float) and math.isnan(x):
        return "nan"
    if isinstance(x, float) and math.isinf(x):
        return "inf"
    a = abs(x)
    if a >= 1000:
        return f"{x:,.0f}".replace(",", "")
    if a >= 100:
        return f"{x:.1f}"
    return f"{x:.3g}"


def _pm(values: Sequence[float]) -> str:
    m, s = mean_sd(values)
    return f"{_f(m)} ± {_f(s)}"


def _window(results, run: Run, k: int = 0) -> list[dict]:
    """The k-th window's results of ``run`` over the seeds."""
    by_seed = results[run.key]
    return [by_seed[s][k] for s in sorted(by_seed)]


def _values(results, run: Run, metric: str, k: int = 0) -> list[float]:
    return [w["report"].get(metric, math.nan) for w in _window(results, run, k)]


def _quantiles(x: np.ndarray) -> tuple[str, str]:
    if len(x) == 0:
        return "nan", "nan"
    return _f(float(np.quantile(x, 0.5))), _f(float(np.quantile(x, 0.9)))


def section_stationarity(config: Config, results, baseline: Run) -> list[str]:
    names = [m.name for m in metrics.headline()] + [n for n in HEADER_EXTRA]
    if "ties_per_person" not in names:
        names.append("ties_per_person")
    if "volunteers_active" not in names:
        names.append("volunteers_active")
    years = config.years
    unit = "year" if config.window_days == 365 else f"{config.window_days}-day window"
    out = [
        "## 1. Stationarity of the baseline",
        "",
        f"Default parameters, seeds 0-{config.seeds - 1}, {years} consecutive measured windows of "
        f"{config.window_days} days after the spin-up of {config.params().spinup_days} days "
        "(metrics.report over [day0 + k·window, day0 + k·window + window - 1]). "
        "Columns: the mean over seeds in each window; *sd* is the sd between seeds averaged over the "
        "windows; *max Δ* the largest change of the mean between consecutive windows; *ratio* = max Δ / sd. "
        f"Tolerance: ratio ≤ {_f(STATIONARITY_TOLERANCE)} "
        "(the drift between windows is no larger than twice the spread between seeds, itself "
        "estimated from few seeds); with one seed the sd is unknown and nothing is within. "
        "`tests/test_dynamics.py` checks years 1 and 3 of seeds 1-2 against fixed tolerances: "
        "0.03 for unmet need, 0.015 for hidden need, 0.03 for trust and satisfaction (about twice "
        "one seed's year-to-year spread), and for counts a 10-25 % drift or three standard "
        "deviations of Poisson noise, whichever is larger.",
        "",
        "| outcome | "
        + " | ".join(f"{unit} {k + 1}" for k in range(years))
        + " | sd | max Δ | max Δ / mean | ratio | within |",
        "|---|" + "---|" * years + "---|---|---|---|---|",
    ]
    n_in = 0
    for name in names:
        means, sds = [], []
        for k in range(years):
            m, s = mean_sd(_values(results, baseline, name, k))
            means.append(m)
            sds.append(s if config.seeds > 1 else math.nan)
        change, ratio, ok = stationarity(means, sds)
        n_in += ok
        finite = [m for m in means if not math.isnan(m)]
        rel = change / abs(statistics.fmean(finite)) if finite and statistics.fmean(finite) else math.nan
        sd = statistics.fmean([s for s in sds if not math.isnan(s)]) if config.seeds > 1 else math.nan
        out.append(
            f"| {name} | "
            + " | ".join(_f(m) for m in means)
            + f" | {_f(sd)} | {_f(change)} | {_f(rel)} | {_f(ratio)} | {'yes' if ok else 'NO'} |"
        )
    out += ["", f"{n_in} of {len(names)} outcomes are within the tolerance.", ""]
    return out


def section_patterns(config: Config, results, baseline: Run) -> list[str]:
    out = [
        "## 2. Patterns after spin-up",
        "",
        "The calibration targets of sim.calibration read off the first measured "
        f"{'year' if config.window_days == 365 else str(config.window_days) + '-day window'} of the "
        "baseline runs (targets with settings run those settings on the same seeds). *match*: the mean "
        "over seeds lies in the target range. *note* marks patterns that an input sets.",
        "",
        "| pattern | settings | target | mean | min-max over seeds | match | note |",
        "|---|---|---|---|---|---|---|",
    ]
    matched = 0
    for t in TARGETS:
        run = Run(_changes(t.settings), (), 1)
        vals = [t.read(w["report"]) for w in _window(results, run)]
        m, _ = mean_sd(vals)
        finite = [v for v in vals if not math.isnan(v)]
        ok = t.lo <= m <= t.hi
        matched += ok
        settings = ", ".join(f"{k}={v}" for k, v in t.settings.items()) or "defaults"
        spread = f"{_f(min(finite))}-{_f(max(finite))}" if finite else "nan"
        out.append(
            f"| {t.name} | {settings} | {_f(t.lo)}-{_f(t.hi)} | {_f(m)} | {spread} | "
            f"{'yes' if ok else 'NO'} | {PATTERN_NOTES.get(t.name, '')} |"
        )
    out += ["", f"{matched} of {len(TARGETS)} patterns match.", ""]
    return out


def _setting_label(run: Run) -> str:
    return ", ".join(f"{k}={v}" for k, v in run.changes) or "default"


def section_capacity(config: Config, results, capacity: Sequence[Run]) -> list[str]:
    out = [
        "## 3. Capacity utilisation and response times",
        "",
        "Utilisation: hours served by providers of a kind in the first measured window / hours the "
        "active providers of that kind offer over it, mean ± sd over seeds.",
        "",
        "| setting | " + " | ".join(label for label, _ in PROVIDER_KINDS) + " | unmet_need_rate |",
        "|---|" + "---|" * len(PROVIDER_KINDS) + "---|",
    ]
    for run in capacity:
        ws = _window(results, run)
        cells = [_pm([w["util"][label] for w in ws]) for label, _ in PROVIDER_KINDS]
        out.append(
            f"| {_setting_label(run)} | "
            + " | ".join(cells)
            + f" | {_pm(_values(results, run, 'unmet_need_rate'))} |"
        )
    out += [
        "",
        "Response times in days, pooled over seeds: *wait* = arising → service of needs served by a "
        "provider in the window, *accept* = order → acceptance of needs accepted in it, *response* = "
        "order → completion of needs served in it; n counts the needs, med and p90 are the median and "
        "90th percentile. Rows: every need, each need type (all groups) and each group (all types).",
        "",
    ]
    for run in capacity:
        out += [
            f"### Response times: {_setting_label(run)}",
            "",
            "| needs | n wait | wait med | wait p90 | n accept | accept med | accept p90 "
            "| n response | response med | response p90 |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        ws = _window(results, run)
        served = {k: np.concatenate([w["times"]["served"][k] for w in ws]) for k in ws[0]["times"]["served"]}
        accepted = {
            k: np.concatenate([w["times"]["accepted"][k] for w in ws]) for k in ws[0]["times"]["accepted"]
        }
        rows = [("all", None, None)] + [(t.name.lower(), t, None) for t in NeedType]
        rows += [(g, None, j) for j, g in enumerate(GROUPS[1:])]
        for label, t, bit in rows:
            s_sel = np.ones(len(served["type"]), bool)
            a_sel = np.ones(len(accepted["type"]), bool)
            if t is not None:
                s_sel &= served["type"] == t
                a_sel &= accepted["type"] == t
            if bit is not None:
                s_sel &= (served["bits"] >> bit) & 1 == 1
                a_sel &= (accepted["bits"] >> bit) & 1 == 1
            wait, resp, acc = served["wait"][s_sel], served["response"][s_sel], accepted["accept"][a_sel]
            out.append(
                f"| {label} | {len(wait)} | "
                + " | ".join(_quantiles(wait))
                + f" | {len(acc)} | "
                + " | ".join(_quantiles(acc))
                + f" | {len(resp)} | "
                + " | ".join(_quantiles(resp))
                + " |"
            )
        out.append("")
    return out


def _direction(means: Sequence[float], metric: str) -> str:
    finite = [m for m in means if not math.isnan(m)]
    if len(finite) < 2 or finite[-1] == finite[0]:
        return ""
    up = finite[-1] > finite[0]
    better = {m.name: m.direction for m in metrics.METRICS}.get(metric.split(".")[0], "none")
    word = "rises" if up else "falls"
    if better == "none":
        return f"{word} across the values"
    good = (better == "higher") == up
    return f"{word} across the values ({'better' if good else 'worse'})"


def section_levers(config: Config, results, levers: Sequence[Lever], skipped: Sequence[str]) -> list[str]:
    out = [
        "## 4. Levers (dose-response)",
        "",
        f"Every parameter marked as a lever and every scenario in scenarios/, on paired seeds "
        f"0-{config.seeds - 1}, one measured window of {config.window_days} days after each value's own "
        f"spin-up. The noise of a dose-response on paired seeds is that of its steps: *sd* is the sd "
        f"over seeds of the step from one value to the next on the same seed, pooled over the steps "
        f"(root mean square; the seeds' own spread, shown as ± in the tables, is not what varies "
        f"between two values of one seed). Verdict on the intended outcome: *flat* if its means span "
        f"no more than {_f(GRADED_SD)} sd; *graded* if they span more and no step between two values "
        f"goes against the trend by more than {_f(MONOTONE_SD)} sd; else *non-monotone*. "
        "Choice levers are read in the order of their choices.",
        "",
        "| lever | kind | intended outcome | verdict | direction |",
        "|---|---|---|---|---|",
    ]
    detail = []
    for lv in levers:
        means, per_value = [], []
        rows = []
        for label, run in zip(lv.labels, lv.runs, strict=True):
            vals = _values(results, run, lv.target)
            means.append(mean_sd(vals)[0])
            per_value.append(vals)
            unmet = (
                ""
                if lv.target == "unmet_need_rate"
                else f" {_pm(_values(results, run, 'unmet_need_rate'))} |"
            )
            rows.append(f"| {label} | {_pm(vals)} |{unmet}")
        sds = step_sds(per_value)
        v = verdict(means, sds)
        out.append(f"| {lv.name} | {lv.kind} | {lv.target} | {v} | {_direction(means, lv.target)} |")
        key = (
            lv.name + "#scenario"
            if lv.kind == "scenario" and lv.name + "#scenario" in MECHANISMS
            else lv.name
        )
        detail += [
            f"### {lv.name} ({lv.kind})",
            "",
            MECHANISMS.get(key, "") + (f" Values: {lv.note}." if lv.note else ""),
            "",
            f"| value | {lv.target} |" + (" unmet_need_rate |" if lv.target != "unmet_need_rate" else ""),
            "|---|---|---|" if lv.target != "unmet_need_rate" else "|---|---|",
            *rows,
            "",
            f"Verdict: **{v}**"
            + (f"; {lv.target} {_direction(means, lv.target)}" if _direction(means, lv.target) else "")
            + ".",
            "",
        ]
    out.append("")
    if skipped:
        out += [f"Scenarios with nothing to vary (the reference): {', '.join(skipped)}.", ""]
    return out + detail


def section_left_out() -> list[str]:
    return ["## 5. What the model leaves out", "", *[f"- {item}" for item in LEFT_OUT], ""]


def document(config: Config, results, the_plan: dict, command: str, wall: float) -> str:
    head = [
        "# Validation: stationarity, patterns, capacity and levers",
        "",
        f"Generated by `{command}` on {date.today().isoformat()} at commit {source_commit()}; "
        "do not edit by hand. "
        f"Seeds 0-{config.seeds - 1}, {config.years} measured windows of {config.window_days} days for "
        f"the baseline, spin-up {config.params().spinup_days} days, {config.values} values per numeric "
        f"lever, {config.workers} workers; wall time {time.strftime('%M:%S', time.gmtime(wall))} "
        f"({_f(wall)} s) for {len(set(r.key for r in the_plan['runs']))} distinct runs.",
        "",
    ]
    return "\n".join(
        head
        + section_stationarity(config, results, the_plan["baseline"])
        + section_patterns(config, results, the_plan["baseline"])
        + section_capacity(config, results, the_plan["capacity"])
        + section_levers(config, results, the_plan["levers"], the_plan["skipped"])
        + section_left_out()
    )


def validate(config: Config, command: str, progress=None) -> str:
    """Run everything the document needs and return it."""
    t0 = time.perf_counter()
    the_plan = plan(config)
    results = execute(config, the_plan["runs"], progress)
    return document(config, results, the_plan, command, time.perf_counter() - t0)


def _parser() -> argparse.ArgumentParser:
    """The parser of ``python -m sim.validation``, its help in the current language."""
    from .i18n.cmdline import OneLineParser, add_lang_option, help_text

    h = help_text
    ap = OneLineParser(prog="python -m sim.validation", description=h("validation"))
    add_lang_option(ap)
    out = Path("docs/validation.md")
    ap.add_argument("--out", type=Path, default=out, help=h("validation_out", default=out))
    ap.add_argument("--seeds", type=int, default=3, help=h("validation_seeds", default=3))
    ap.add_argument("--years", type=int, default=3, help=h("validation_years", default=3))
    ap.add_argument("--values", type=int, default=5, help=h("validation_values", default=5))
    ap.add_argument("--workers", type=int, default=2, help=h("validation_workers", default=2))
    ap.add_argument("--quick", action="store_true", help=h("validation_quick"))
    return ap


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.validation [--lang LANG] [--out PATH] [--seeds N] [--years N] [--values N]
    [--workers N] [--quick]``."""
    from .i18n.cmdline import run_parser
    from .runner import atomic_write

    try:
        args = run_parser(_parser, argv)
        if args.seeds < 1 or args.years < 1 or args.values < 2 or args.workers < 1:
            raise i18n.error("apierr.validation_options")
    except InputError as err:
        print(i18n.t("err.prefix", message=err), file=sys.stderr)
        return 2
    if args.quick:
        config = Config.quick_run(args.workers)
    else:
        config = Config(args.seeds, args.years, args.values, args.workers)
    command = "python -m sim.validation " + " ".join(argv if argv is not None else sys.argv[1:])

    shown: list = []

    def progress(done: int, total: int) -> None:  # a tqdm bar on stderr (sim.progress)
        if not shown:
            shown.append(Counter(total, i18n.t("tool.bar_validation"), "task", offset=0))
        shown[0](done)
        if done >= total:
            shown[0].close()

    text = validate(config, command.strip(), progress)
    atomic_write(args.out, lambda p: p.write_text(text))
    print(i18n.t("cli.wrote", paths=args.out), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
