"""Screening: which [E] parameters move the calibration patterns and the headline outcomes.

Morris elementary effects (SALib ``sample.morris`` / ``analyze.morris``) over the priors of
``sim/data/priors.toml``. The trajectories are laid in the unit hypercube of the priors'
quantiles and mapped through each prior (:func:`sim.priors.from_unit`), so a step is the
same share of every parameter's prior whatever its distribution; ``mu_star`` is in the
outcome's units per 2/3 of the prior (four levels). Every point is a model built with the
same seed (common random numbers: a parameter the model does not read gives exactly the same
run), spun up for ``spinup_days`` under its own parameters and measured over the next
``window_days`` days: the calibration patterns of :mod:`sim.calibration` (those without
settings of their own) and :func:`sim.metrics.headline` are read off that window.

A parameter is *worth calibrating* when, for at least one calibration pattern, its ``mu_star``
is at least ``threshold`` of the largest ``mu_star`` on that pattern and above the pattern's
noise floor: the sd between model seeds at the defaults over the step size (what a parameter
that only reshuffles chance would show). Parameters that move headline outcomes but no
pattern cannot be narrowed by these patterns; their prior uncertainty stays.

``python -m sim.screening --out docs/screening.md`` (``make screen``).
"""

from __future__ import annotations

import math
import multiprocessing
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
from SALib.analyze import morris as morris_analyze
from SALib.sample import morris as morris_sample

from . import i18n, metrics, priors
from .calibration import TARGETS
from .errors import InputError
from .model import GovModel
from .params import Params
from .versions import source_commit

NUM_LEVELS = 4
DELTA = NUM_LEVELS / (2 * (NUM_LEVELS - 1))  # SALib's step in the unit hypercube


def patterns() -> dict[str, Callable[[dict], float]]:
    """Calibration patterns readable from a default-settings run: name -> reader of a summary."""
    return {f"pattern:{t.name}": t.read for t in TARGETS if not t.settings}


def headlines() -> list[str]:
    return [m.name for m in metrics.headline()]


def outcome_names() -> list[str]:
    return [*patterns(), *headlines()]


def read_outcomes(summary: dict[str, float]) -> dict[str, float]:
    """The screened outcomes of one run's summary (NaN where a reader finds nothing)."""
    out = {}
    for name, read in patterns().items():
        try:
            out[name] = float(read(summary))
        except (KeyError, ZeroDivisionError):
            out[name] = math.nan
    for name in headlines():
        out[name] = float(summary.get(name, math.nan))
    return out


def run_point(job: tuple[Params, int, int]) -> dict[str, float]:
    """One point: build and spin up (``params.spinup_days``), measure ``days``; the outcomes."""
    params, seed, days = job
    model = GovModel(params, seed, collect=False)
    model.run(days)
    return read_outcomes(metrics.report(model, model.day0, model.day0 + days - 1))


def execute(
    jobs: Sequence,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    fn: Callable = run_point,
):
    """Run ``fn`` (a module-level function; default :func:`run_point`) on every job, results in
    the jobs' order, on ``workers`` spawned processes."""
    results: list = [None] * len(jobs)
    if workers <= 1:
        for i, job in enumerate(jobs):
            results[i] = fn(job)
            if progress:
                progress(i + 1, len(jobs))
        return results
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(fn, job): i for i, job in enumerate(jobs)}
        for done, f in enumerate(as_completed(futures)):
            results[futures[f]] = f.result()
            if progress:
                progress(done + 1, len(jobs))
    return results


@dataclass
class Screening:
    """A finished screening.

    Attributes:
        names: the parameters screened.
        outcomes: the outcomes analysed, patterns first (``pattern:<target>``).
        mu_star, mu_star_conf, mu, sigma: arrays (outcome x parameter).
        noise: per outcome, the noise floor of mu_star (sd between seeds at the defaults / step).
        skipped: outcomes left out, with the reason.
        runs: model runs made; seconds: wall time; per_run: seconds a run (wall x workers / runs).
        config: how it was run (r, levels, seeds, days, workers).
    """

    names: list[str]
    outcomes: list[str]
    mu_star: np.ndarray
    mu_star_conf: np.ndarray
    mu: np.ndarray
    sigma: np.ndarray
    noise: np.ndarray
    skipped: dict[str, str] = field(default_factory=dict)
    runs: int = 0
    seconds: float = 0.0
    per_run: float = 0.0
    config: dict = field(default_factory=dict)

    @property
    def normalised(self) -> np.ndarray:
        """mu_star / the largest mu_star of the same outcome (0 where every effect is 0)."""
        top = self.mu_star.max(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(top > 0, self.mu_star / np.where(top > 0, top, 1), 0.0)

    def ranking(self, outcome: str) -> list[str]:
        """Parameters by mu_star on ``outcome``, largest first."""
        i = self.outcomes.index(outcome)
        return [self.names[j] for j in np.argsort(-self.mu_star[i], kind="stable")]

    def worth(self, threshold: float = 0.1) -> list[str]:
        """Parameters whose normalised mu_star on some pattern is >= threshold and above its noise."""
        rows = [i for i, o in enumerate(self.outcomes) if o.startswith("pattern:")]
        keep = np.zeros(len(self.names), bool)
        for i in rows:
            keep |= (self.normalised[i] >= threshold) & (self.mu_star[i] > self.noise[i])
        return [n for n, k in zip(self.names, keep, strict=True) if k]

    def headline_only(self, threshold: float = 0.1) -> list[str]:
        """Parameters that move a headline outcome (same rule) but no pattern."""
        worth = set(self.worth(threshold))
        rows = [i for i, o in enumerate(self.outcomes) if not o.startswith("pattern:")]
        keep = np.zeros(len(self.names), bool)
        for i in rows:
            keep |= (self.normalised[i] >= threshold) & (self.mu_star[i] > self.noise[i])
        return [n for n, k in zip(self.names, keep, strict=True) if k and n not in worth]


def screen(
    names: Sequence[str] | None = None,
    *,
    r: int = 10,
    seed: int = 0,
    model_seed: int = 0,
    noise_seeds: int = 4,
    spinup_days: int | None = None,
    window_days: int = 365,
    base: Params | None = None,
    workers: int = 1,
    groups: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Screening:
    """Morris screening of ``names`` (default: every uncertain [E] parameter) over their priors.

    ``r`` trajectories of ``len(names) + 1`` points each, all on model seed ``model_seed``, plus
    ``noise_seeds`` runs of the defaults (seeds ``model_seed + 1`` ...) for the noise floor.
    ``spinup_days`` (default: the Params default) and ``window_days`` may be shortened.
    ``groups``: screen the groups of the priors file instead (Morris with groups: each step moves
    every parameter of a group; ``r`` x (groups + 1) runs), named ``group:<id>``.
    """
    table = priors.load_priors()
    names = priors.uncertain(table) if names is None else list(names)
    if r < 2 or len(names) < 1 or window_days < 1 or noise_seeds < 2:
        raise i18n.error("apierr.screening_args")
    base = base or Params()
    if spinup_days is not None:
        base = base.replace(spinup_days=spinup_days)
    unit = {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}
    members: dict[str, list[str]] = {}
    if groups:
        unit["groups"] = [table[n].group for n in names]
        for n in names:
            members.setdefault(table[n].group, []).append(n)
    x = morris_sample.sample(unit, N=r, num_levels=NUM_LEVELS, seed=seed)
    points = priors.to_params(priors.from_unit(x, names), names, base)
    jobs = [(p, model_seed, window_days) for p in points]
    jobs += [(base, model_seed + 1 + k, window_days) for k in range(noise_seeds)]
    t0 = time.perf_counter()
    results = execute(jobs, workers, progress)
    seconds = time.perf_counter() - t0
    design, noise_runs = results[: len(points)], results[len(points) :]
    outcomes, skipped, rows = [], {}, {"mu_star": [], "mu_star_conf": [], "mu": [], "sigma": [], "noise": []}
    for o in outcome_names():
        y = np.array([res[o] for res in design], float)
        if not np.isfinite(y).all():
            skipped[o] = f"{int((~np.isfinite(y)).sum())} of {len(y)} runs give no value"
            continue
        res = morris_analyze.analyze(unit, x, y, num_levels=NUM_LEVELS, seed=seed, num_resamples=200)
        factors = [f"group:{g}" for g in res["names"]] if groups else list(names)
        outcomes.append(o)
        for k in ("mu_star", "mu_star_conf", "mu", "sigma"):
            rows[k].append(np.nan_to_num(np.asarray(res[k], float)))
        base_values = [res_[o] for res_ in noise_runs if math.isfinite(res_[o])]
        sd = statistics.stdev(base_values) if len(base_values) > 1 else math.inf
        rows["noise"].append(sd / DELTA)
    if not outcomes:
        factors = [f"group:{g}" for g in members] if groups else list(names)
    arrays = {k: np.array(v).reshape(len(outcomes), len(factors)) for k, v in rows.items() if k != "noise"}
    return Screening(
        names=factors,
        outcomes=outcomes,
        noise=np.array(rows["noise"]),
        skipped=skipped,
        runs=len(jobs),
        seconds=seconds,
        per_run=seconds * max(workers, 1) / len(jobs),
        config={
            "r": r,
            "levels": NUM_LEVELS,
            "seed": seed,
            "model_seed": model_seed,
            "noise_seeds": noise_seeds,
            "spinup_days": base.spinup_days,
            "window_days": window_days,
            "workers": workers,
            "parameters": len(names),
            "groups": members,
        },
        **arrays,
    )


def save(s: Screening, path: Path) -> None:
    """Keep a screening's numbers (JSON) so its document can be written again without the runs."""
    import json

    from .runner import atomic_write

    data = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in s.__dict__.items()}
    data["noise"] = [x if math.isfinite(x) else None for x in data["noise"]]
    atomic_write(path, lambda p: p.write_text(json.dumps(data, indent=1)))


def load(path: Path) -> Screening:
    """A screening kept by :func:`save`; InputError (one line) when the file is not one."""
    import json

    try:
        data = json.loads(Path(path).read_text())
        arrays = {k: np.array(data.pop(k), float) for k in ("mu_star", "mu_star_conf", "mu", "sigma")}
        noise = np.array([math.inf if x is None else x for x in data.pop("noise")], float)
        return Screening(noise=noise, **arrays, **data)
    except (OSError, ValueError, TypeError, KeyError) as err:
        detail = err.strerror if isinstance(err, OSError) and err.strerror else f"{type(err).__name__}: {err}"
        raise i18n.error("apierr.screening_saved", path=path, detail=detail) from None


# --- the document -----------------------------------------------------------------------------------
def _f(x: float) -> str:
    if not math.isfinite(x):
        return "–"
    if x == 0:
        return "0"
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def _budget_notes(s: Screening) -> list[str]:
    """What a shortened run leaves out, and what the full screening would cost at this pace."""
    c, k = s.config, s.config.get("parameters", len(s.names))
    full_days = Params().spinup_days + 365
    days = c["spinup_days"] + c["window_days"]
    notes = []
    if days < full_days or c["r"] < 10:
        spinup = Params().spinup_days
        full_runs = (k + 1) * 10 + 4
        hours = full_runs * s.per_run * full_days / days / 2 / 3600
        notes.append(
            f"This is a shortened screening: the full one (`make screen`: r = 10, the {spinup}-day "
            f"spin-up and a 365-day window) is {full_runs:,} runs, about {hours:.1f} h on 2 workers at this "
            "run's seconds per simulated day (an extrapolation, not a measurement)."
        )
    if c["window_days"] < 365:
        notes.append(
            f"The window of {c['window_days']} days is shorter than a year: patterns of a season outside it "
            "(the winter training projects start on day training_start_day of the year; snow removal; the "
            "joint meetings' calendar) may read as constant, so a zero effect on them means nothing here."
        )
    return [*(n for note in notes for n in (note, ""))]


def to_markdown(s: Screening, command: str, threshold: float = 0.1, top: int = 8) -> str:
    c = s.config
    k = len(s.names)
    grouped = bool(c.get("groups"))
    what = (
        f"{c.get('parameters', k)} [E] parameters in {k} groups (the groups of sim/data/priors.toml, "
        "listed in docs/priors.md; Morris with groups: each step moves every parameter of one group, "
        "and a group's mu\\* is the effect of that joint move)"
        if grouped
        else f"{k} [E] parameters"
    )
    label = "group" if grouped else "parameter"
    worth, headline_only = s.worth(threshold), s.headline_only(threshold)
    norm = s.normalised
    pat = [i for i, o in enumerate(s.outcomes) if o.startswith("pattern:")]
    head = [i for i, o in enumerate(s.outcomes) if not o.startswith("pattern:")]
    lines = [
        "# Screening: which estimates move the patterns and the outcomes",
        "",
        f"Generated by `{command}` on {date.today().isoformat()} at commit {source_commit()}; do not "
        "edit by hand.",
        "",
        "## Method and budget",
        "",
        f"Morris elementary effects (SALib) of {what} over their priors (docs/priors.md): "
        f"r = {c['r']} trajectories of {k + 1} points on {c['levels']} levels, laid in the quantiles of "
        "each prior, so a step is 2/3 of any parameter's prior; every point is model seed "
        f"{c['model_seed']} (common random numbers), spun up for {c['spinup_days']} days under its own "
        f"parameters and measured over the next {c['window_days']} days, plus {c['noise_seeds']} runs of "
        f"the defaults on other seeds for each outcome's noise floor (sd between seeds / step). "
        f"Budget: {s.runs} runs of {c['spinup_days'] + c['window_days']} simulated days on "
        f"{c['workers']} worker(s), wall time {s.seconds:.0f} s, {s.per_run:.2f} s a run.",
        "",
        *_budget_notes(s),
        f"*mu\\** is the mean absolute elementary effect in the outcome's units per step, *sigma* their sd "
        "(interactions and non-linearity), *norm* = mu\\* / the largest mu\\* on the same outcome. "
        f"**Worth calibrating**: norm ≥ {threshold} on at least one calibration pattern and mu\\* above "
        "that pattern's noise floor. Patterns measured with settings of their own (jiannan_projects) "
        "need a second run per point and are not screened here.",
        "",
        f"## Worth calibrating ({len(worth)} of {k})",
        "",
    ]
    if worth:
        lines += [f"| {label} | patterns (norm) | headline outcomes (norm) |", "|---|---|---|"]
        for name in sorted(worth, key=lambda n: -norm[pat, s.names.index(n)].max()):
            j = s.names.index(name)
            p_list = [
                f"{s.outcomes[i][8:]} ({norm[i, j]:.2f})"
                for i in pat
                if norm[i, j] >= threshold and s.mu_star[i, j] > s.noise[i]
            ]
            h_list = [
                f"{s.outcomes[i]} ({norm[i, j]:.2f})"
                for i in head
                if norm[i, j] >= threshold and s.mu_star[i, j] > s.noise[i]
            ]
            lines.append(f"| {name} | {', '.join(p_list)} | {', '.join(h_list) or '–'} |")
    else:
        lines.append("None passes the rule.")
    lines += [
        "",
        f"## Move headline outcomes but no pattern ({len(headline_only)})",
        "",
        "The patterns cannot narrow these; comparisons must carry their prior uncertainty.",
        "",
        ", ".join(headline_only) or "None.",
        "",
        f"## Ranking per outcome (top {top})",
        "",
        f"| outcome | noise floor | rank | {label} | mu* | ±95 % | sigma | mu | norm |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for i, o in enumerate(s.outcomes):
        order = np.argsort(-s.mu_star[i], kind="stable")[:top]
        for rank, j in enumerate(order, 1):
            first = f"{o} | {_f(s.noise[i])}" if rank == 1 else " | "
            lines.append(
                f"| {first} | {rank} | {s.names[j]} | {_f(s.mu_star[i, j])} | {_f(s.mu_star_conf[i, j])} "
                f"| {_f(s.sigma[i, j])} | {_f(s.mu[i, j])} | {norm[i, j]:.2f} |"
            )
    if s.skipped:
        lines += ["", "Outcomes left out: " + "; ".join(f"{o} ({why})" for o, why in s.skipped.items()) + "."]
    lines += [
        "",
        "## Every parameter",
        "",
        "Largest norm over the patterns and over the headline outcomes, and where each is reached.",
        "",
        f"| {label} | max norm, patterns | on | max norm, headlines | on | worth calibrating |",
        "|---|---|---|---|---|---|",
    ]
    score = [(norm[pat, j].max() if pat else 0.0, norm[head, j].max() if head else 0.0) for j in range(k)]
    for j in sorted(range(k), key=lambda j: (-score[j][0], -score[j][1], s.names[j])):
        ip = pat[int(np.argmax(norm[pat, j]))] if pat else None
        ih = head[int(np.argmax(norm[head, j]))] if head else None
        lines.append(
            f"| {s.names[j]} | {score[j][0]:.2f} | {s.outcomes[ip][8:] if ip is not None else ''} "
            f"| {score[j][1]:.2f} | {s.outcomes[ih] if ih is not None else ''} "
            f"| {'yes' if s.names[j] in worth else ''} |"
        )
    return "\n".join(lines) + "\n"


def _parser():
    """The parser of ``python -m sim.screening``, its help in the current language."""
    import os

    from .i18n.cmdline import OneLineParser, add_lang_option, help_text

    h = help_text
    ap = OneLineParser(prog="python -m sim.screening", description=h("screening"))
    add_lang_option(ap)
    ap.add_argument("--r", type=int, default=10, help=h("screening_r", default=10))
    ap.add_argument("--spinup-days", type=int, default=None, help=h("screening_spinup_days"))
    ap.add_argument("--window-days", type=int, default=365, help=h("screening_window_days", default=365))
    ap.add_argument("--noise-seeds", type=int, default=4, help=h("screening_noise_seeds", default=4))
    ap.add_argument("--seed", type=int, default=0, help=h("screening_seed"))
    ap.add_argument("--params", default="", help=h("screening_params"))
    ap.add_argument("--threshold", type=float, default=0.1, help=h("screening_threshold", default=0.1))
    ap.add_argument("--groups", action="store_true", help=h("screening_groups"))
    workers = os.cpu_count() or 1
    ap.add_argument("--workers", type=int, default=workers, help=h("screening_workers", default=workers))
    out = Path("docs/screening.md")
    ap.add_argument("--out", type=Path, default=out, help=h("screening_out", default=out))
    ap.add_argument("--save", type=Path, default=None, help=h("screening_save"))
    ap.add_argument("--load", type=Path, default=None, help=h("screening_load"))
    return ap


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.screening [--lang LANG] [--r N] [--spinup-days N] [--window-days N]
    [--workers N] [--params a,b,...] [--threshold X] [--out PATH]``."""
    from tqdm import tqdm

    from .i18n.cmdline import run_parser
    from .runner import atomic_write

    try:
        args = run_parser(_parser, argv)
    except InputError as err:
        print(i18n.t("err.prefix", message=err), file=sys.stderr)
        return 2
    names = [n.strip() for n in args.params.split(",") if n.strip()] or None
    command = "python -m sim.screening" + "".join(
        f" {a}" for a in (argv if argv is not None else sys.argv[1:])
    )
    if args.load is not None:
        try:
            result = load(args.load)
        except InputError as err:
            print(i18n.t("err.prefix", message=err), file=sys.stderr)
            return 2
        shown = (
            f"{result.config['command']}` (the runs), then `{command}"
            if "command" in result.config
            else command
        )
        text = to_markdown(result, shown, args.threshold)
        atomic_write(args.out, lambda p: p.write_text(text))
        print(i18n.t("tool.wrote_from", path=args.out, source=args.load), file=sys.stderr)
        return 0
    try:
        if args.workers < 1 or not 0 < args.threshold <= 1:
            raise i18n.error("apierr.screening_options")
        if args.spinup_days is not None:
            Params().replace(spinup_days=args.spinup_days)  # range check, one line if out of range
        table = priors.load_priors()
        chosen = priors._names(names, table)
        k = len({table[n].group for n in chosen}) if args.groups else len(chosen)
        total = (k + 1) * args.r + args.noise_seeds
        bar = tqdm(total=total, desc=i18n.t("tool.bar_screening"), unit="run", file=sys.stderr)

        def progress(done: int, _total: int) -> None:
            bar.update(done - bar.n)

        result = screen(
            names,
            r=args.r,
            seed=args.seed,
            noise_seeds=args.noise_seeds,
            spinup_days=args.spinup_days,
            window_days=args.window_days,
            workers=args.workers,
            groups=args.groups,
            progress=progress,
        )
        bar.close()
    except InputError as err:
        print(i18n.t("err.prefix", message=err), file=sys.stderr)
        return 2
    result.config["command"] = command
    if args.save is not None:
        save(result, args.save)
    text = to_markdown(result, command, args.threshold)
    atomic_write(args.out, lambda p: p.write_text(text))
    print(
        i18n.t(
            "tool.screening_wrote",
            path=args.out,
            runs=result.runs,
            seconds=f"{result.seconds:.0f}",
            per_run=f"{result.per_run:.2f}",
        ),
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
