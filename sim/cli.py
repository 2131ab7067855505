"""The ``govsim`` command line: run, params, metrics; compare and sweep (:mod:`sim.experiments`); dashboard.

Bad input exits with status 2 and one line on stderr naming the value and
what is allowed; no tracebacks for user errors.
"""

from __future__ import annotations

import argparse
import json
import sys

from . import metrics
from .argtypes import int_at_least, out_folder
from .dashboard import cli as dashboard_cli
from .errors import InputError
from .experiments import cli as experiments_cli
from .params import MAX_DAYS, Params, describe
from .progress import Counter


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, status 2
        raise InputError(message)


def _key_value(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed: expected KEY=VALUE")
    key, value = text.split("=", 1)
    return key.strip(), value.strip()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="govsim", description="Agent-based simulation of community governance.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    r = sub.add_parser("run", help="run the model and write a daily series and summary")
    r.add_argument(
        "--days", type=int_at_least(1, MAX_DAYS), default=365, help="days to simulate (default 365)"
    )
    r.add_argument("--seed", type=int_at_least(0), default=0, help="run seed (default 0)")
    r.add_argument("--communities", type=int_at_least(1), help="communities (1 = one, 193 = Tiexi)")
    r.add_argument(
        "--set",
        dest="sets",
        action="append",
        type=_key_value,
        default=[],
        metavar="KEY=VALUE",
        help="override a parameter (see 'govsim params'); repeatable",
    )
    r.add_argument("--format", choices=("csv", "parquet"), default="csv", help="daily series format")
    r.add_argument(
        "--out",
        required=True,
        type=out_folder,
        help="output folder: new, empty, or one an earlier govsim run wrote (its files are replaced)",
    )
    r.add_argument("--quiet", action="store_true", help="no progress or summary on screen")

    p = sub.add_parser("params", help="list every parameter with default, unit, range and source")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    m = sub.add_parser("metrics", help="list every outcome with its definition")
    m.add_argument("--json", action="store_true", help="machine-readable output")
    experiments_cli.add_parsers(sub)
    dashboard_cli.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        handlers = {"run": _cmd_run, "params": _cmd_params, "metrics": _cmd_metrics}
        return {**handlers, **experiments_cli.COMMANDS, **dashboard_cli.COMMANDS}[args.command](args)
    except InputError as err:
        print(f"govsim: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head & co.
        sys.stderr.close()
        return 0


def _params_from(args) -> Params:
    pairs: dict[str, str] = {}
    for key, value in args.sets:
        if key in pairs:
            raise InputError(
                f"--set {key}: given twice ({key}={pairs[key]} and {key}={value}); give each parameter once"
            )
        pairs[key] = value
    if args.communities is not None:
        if "communities" in pairs:
            raise InputError(
                f"--communities {args.communities} and --set communities={pairs['communities']}: "
                "give the number of communities once"
            )
        pairs["communities"] = str(args.communities)
    return Params().with_strings(pairs)


def _cmd_run(args) -> int:
    from .experiments.limits import RUN_CSV_DAY_BYTES, check_disk
    from .runner import check_run_out, run, write_outputs  # here so 'govsim params' stays fast

    params = _params_from(args)
    check_run_out(args.out)
    check_disk(args.out, args.days * RUN_CSV_DAY_BYTES + params.communities * 4096, f"--days {args.days}")
    warmup = None if args.quiet or params.spinup_days == 0 else Counter(params.spinup_days, "spin-up")
    progress = None if args.quiet else Counter(args.days, "days", before=warmup)
    result = run(params, seed=args.seed, days=args.days, progress=progress, spinup_progress=warmup)
    for bar in (warmup, progress):
        if bar is not None:
            bar.close()
    paths = write_outputs(result, args.out, args.format)
    if not args.quiet:
        print(summary_table(result.summary, result.residents, result.days, params))
        print("wrote " + ", ".join(str(p) for p in paths))
    return 0


_HEADLINE = tuple(
    (m.name, f"{m.label.lower()} ({m.unit})", "{:.1f}" if m.unit == "days" else m.fmt)
    for m in metrics.METRICS
    if m.run_table
)


def summary_table(summary: dict[str, float], residents: int, days: int, params: Params) -> str:
    """The one-screen summary printed after a run."""
    groups = metrics.GROUPS
    lines = [
        f"govsim: {params.communities} communit{'y' if params.communities == 1 else 'ies'}, "
        f"{residents:,} residents, {days} days, dispatch rule {params.dispatch_rule}",
        f"{'':32s}" + "".join(f"{g:>17s}" for g in groups),
    ]
    for key, label, fmt in _HEADLINE:
        cells = []
        for g in groups:
            v = summary.get(key if g == "all" else f"{key}.{g}")
            cells.append("-" if v is None or v != v else fmt.format(v))
        lines.append(f"{label:32s}" + "".join(f"{c:>17s}" for c in cells))
    s = summary
    lines += [
        f"needs {s['needs_arisen']:,.0f} · ordered {s['orders']:,.0f} · found by grid workers "
        f"{s['found_by_grid']:,.0f} · served {s['served']:,.0f} · informally {s['served_informally']:,.0f} · "
        f"expired {s['expired']:,.0f} · lapsed {s['lapsed']:,.0f}",
        f"volunteers active {s['volunteers_active']:,.0f} of {s['volunteers_registered']:,.0f} · "
        f"hours {s['volunteer_hours']:,.0f} (top 10 % give {s['volunteer_hours_top10_share']:.0%}) · "
        f"12-month retention {s['volunteer_retention_12m']:.0%} · "
        f"burnout dropouts {s['burnout_dropouts']:.0f}",
        f"cost {s['cost_yuan']:,.0f} yuan · {s['cost_per_service']:.0f} yuan per service · "
        f"{s['cost_per_resident_year']:.0f} yuan per resident-year",
    ]
    return "\n".join(lines)


def _cmd_params(args) -> int:
    rows = describe()
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{'parameter':30s} {'default':>12s}  {'unit':22s} {'range':22s} tag  meaning")
    for r in rows:
        head = f"{r['name']:30s} {r['default']!s:>12s}  {r['unit']:22s} {r['range']:22s}"
        print(f"{head} [{r['tag']}]  {r['doc']}")
    print("\ntags: A = Tiexi report, S = published source, E = estimate (a parameter to sweep)")
    return 0


def _cmd_metrics(args) -> int:
    rows = [
        {
            "name": m.name,
            "label": m.label,
            "unit": m.unit,
            "direction": m.direction,
            "headline": m.headline,
            "by_group": m.by_group,
            "definition": m.definition,
        }  # fmt: skip
        for m in metrics.METRICS
    ]
    if args.json:
        print(json.dumps({"groups": metrics.GROUP_DOCS, "metrics": rows}, indent=1, ensure_ascii=False))
        return 0
    arrows = {"higher": "↑ better", "lower": "↓ better", "none": ""}
    for r in rows:
        tag = " (by group)" if r["by_group"] else ""
        head = f" [headline {r['headline']}]" if r["headline"] else ""
        print(f"{r['name']:36s} [{r['unit']}] {arrows[r['direction']]:9s} {r['definition']}{tag}{head}")
    print("\ngroups: " + "; ".join(f"{g} = {d}" for g, d in metrics.GROUP_DOCS.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
