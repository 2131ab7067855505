"""``govsim compare`` and ``govsim sweep``: argument definitions and handlers.

:func:`add_parsers` registers both subcommands on the main parser of
:mod:`sim.cli`; :data:`COMMANDS` maps them to their handlers. Every check of
the input — scenarios, parameters, executor options, the output folder —
happens before anything is computed or written, and bad input raises
:class:`~sim.InputError` (one line, exit status 2).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from .. import i18n, posterior
from ..argtypes import int_at_least, out_folder
from ..i18n.cmdline import help_text
from ..params import MAX_DAYS
from .executors import EXECUTORS, Executor
from .limits import MAX_REPS, MAX_RUNS, MAX_WORKERS, MIN_REPS
from .scenario import load_scenario, load_scenarios
from .store import check_out, verify


def _common(p: argparse.ArgumentParser, reps: int, days: int) -> None:
    h = help_text
    p.add_argument(
        "--reps",
        type=int_at_least(1, MAX_REPS),
        default=reps,
        help=h("reps", default=reps, max=f"{MAX_REPS:,}"),
    )
    p.add_argument("--days", type=int_at_least(1, MAX_DAYS), default=days, help=h("days", default=days))
    p.add_argument("--communities", type=int_at_least(1), help=h("communities"))
    p.add_argument("--seed", type=int_at_least(0), default=0, help=h("seed"))
    p.add_argument("--executor", choices=EXECUTORS, default="process", help=h("executor"))
    p.add_argument("--workers", type=int_at_least(1, MAX_WORKERS), help=h("workers"))
    p.add_argument("--scheduler", metavar="ADDR", help=h("scheduler"))
    p.add_argument("--no-plots", action="store_true", help=h("no_plots"))
    p.add_argument("--quiet", action="store_true", help=h("quiet"))
    p.add_argument("--out", required=True, type=out_folder, help=h("out"))


def add_parsers(sub) -> None:
    """Add ``compare``, ``sweep`` and ``verify`` to the subcommands ``sub`` of the main parser
    (help texts in the current language: :func:`sim.i18n.cmdline.help_text`)."""
    h = help_text
    c = sub.add_parser("compare", help=h("compare"), description=h("compare_description"))
    c.add_argument("scenarios", nargs="+", metavar="SCENARIO", help=h("compare_scenarios"))
    _common(c, reps=MIN_REPS, days=365)
    c.add_argument(
        "--uncertainty",
        default=posterior.DEFAULT_UNCERTAINTY,
        metavar="{posterior,none}",
        help=h("uncertainty", default=posterior.DEFAULT_UNCERTAINTY),
    )
    c.add_argument(
        "--posterior", type=Path, metavar="FILE", help=h("posterior", default="sim/data/posterior.json")
    )
    s = sub.add_parser("sweep", help=h("sweep"), description=h("sweep_description"))
    s.add_argument("base", nargs="?", default="baseline", metavar="SCENARIO", help=h("sweep_base"))
    s.add_argument(
        "--lever",
        dest="levers",
        action="append",
        default=[],
        metavar="NAME=LO:HI[:N]",
        help=h("sweep_lever"),
    )
    s.add_argument("--design", choices=("grid", "lhs"), default="grid", help=h("sweep_design"))
    s.add_argument("--points", type=int_at_least(1, MAX_RUNS), default=10, help=h("sweep_points", default=10))
    _common(s, reps=2, days=365)
    v = sub.add_parser("verify", help=h("verify"), description=h("verify_description"))
    v.add_argument("folder", type=Path, metavar="DIR", help=h("verify_folder"))


def _run_options(args) -> dict:
    """The options ``compare`` and ``sweep`` share, checked before anything runs."""
    check_out(args.out)
    return {
        "out": args.out,
        "reps": args.reps,
        "days": args.days,
        "base_seed": args.seed,
        "executor": Executor(args.executor, args.workers, args.scheduler),
        "progress": not args.quiet,
        "plots": not args.no_plots,
        "command": shlex.join(["govsim", *sys.argv[1:]]),
    }


def _overrides(args) -> dict:
    return {"communities": args.communities} if args.communities is not None else {}


def cmd_compare(args) -> int:
    from .comparison import compare, headline_text

    scenarios = load_scenarios(args.scenarios, _overrides(args))
    if len(scenarios) < 2:
        raise i18n.error("compare_two")
    options = _run_options(args)
    _warn_late_policies(scenarios, args.days)
    comp = compare(scenarios, **options, uncertainty=args.uncertainty, posterior_file=args.posterior)
    if args.reps < MIN_REPS and not args.no_plots:  # after the run: bad input stays one line
        print(i18n.t("cli.few_reps", reps=args.reps, min=MIN_REPS), file=sys.stderr)
    print(headline_text(comp))
    _report(comp.result)
    where = comp.files.get("brief", comp.files["differences"])
    print(
        i18n.t("cli.brief_at", path=where)
        if "brief" in comp.files
        else i18n.t("cli.tables_at", path=where.parent)
    )
    return _status(comp.result, options["command"])


def cmd_sweep(args) -> int:
    from .sweep import parse_lever, sweep

    base = load_scenario(args.base)
    if args.communities is not None:
        base = base.with_params(_overrides(args))
    if not args.levers:
        raise i18n.error("sweep_lever")
    params, _ = base.build()
    levers = [parse_lever(t, params) for t in args.levers]
    options = _run_options(args)
    _warn_late_policies([base], args.days)
    res = sweep(base, levers, design=args.design, points=args.points, **options)
    cols = [lv.name for lv in levers] + [
        c for c in ("runs", "unmet_need_rate.mean", "trust.mean", "cost_yuan.mean") if c in res.points
    ]
    with_pts = res.points[cols]
    print(with_pts.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    _report(res.result)
    print(i18n.t("cli.sweep_at", path=res.folder))
    return _status(res.result, options["command"])


def cmd_verify(args) -> int:
    report = verify(args.folder)
    for what, reason in report.damaged:
        print(i18n.t("cli.verify_damaged", what=what, reason=reason))
    for note in report.notes:
        print(i18n.t("cli.verify_note", note=note))
    runs = report.intact + len(report.damaged) + report.failed + report.pending
    counts = {"intact": report.intact, "damaged": len(report.damaged), "failed": report.failed}
    print(i18n.t("cli.verify_summary", root=report.root, runs=runs, pending=report.pending, **counts))
    if report.damaged:
        print(i18n.t("cli.verify_advice"))
        return 1
    return 0


def _warn_late_policies(scenarios, days: int) -> None:
    """A policy that starts after the last simulated day has no effect: say so (not an error)."""
    for s in scenarios:
        for i, p in enumerate(s.policies):
            if p.get("start_day", 0) >= days:
                print(
                    i18n.t("cli.late_policy", source=s.source, i=i, day=p["start_day"], last=days - 1),
                    file=sys.stderr,
                )


def _report(result) -> None:
    print(
        i18n.t(
            "cli.runs",
            total=len(result.specs),
            computed=len(result.computed),
            cached=len(result.cached),
            failed=len(result.failed),
            root=result.store.root,
        )
    )
    for spec in result.specs:
        if spec.key in result.failed:
            print(
                i18n.t("cli.failed_run", name=spec.scenario.name, rep=spec.rep, error=result.failed[spec.key])
            )


FAILED_STATUS = 3  # exit status when some runs failed (the others are saved)


def _status(result, command: str) -> int:
    """0 when every run finished; otherwise say how to retry and return :data:`FAILED_STATUS`."""
    if not result.failed:
        return 0
    print(
        i18n.t(
            "cli.some_failed",
            failed=len(result.failed),
            total=len(result.specs),
            root=result.store.root,
            command=command,
        ),
        file=sys.stderr,
    )
    return FAILED_STATUS


def _interruptible(handler):
    """Ctrl-C: one line saying that finished runs are kept and how to resume; status 130."""

    def run(args) -> int:
        try:
            return handler(args)
        except KeyboardInterrupt:
            print(i18n.t("cli.interrupted", out=args.out), file=sys.stderr)
            return 130

    return run


COMMANDS = {
    "compare": _interruptible(cmd_compare),
    "sweep": _interruptible(cmd_sweep),
    "verify": cmd_verify,
}
