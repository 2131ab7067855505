"""The ``govsim`` command line: run, params, metrics; compare and sweep (:mod:`sim.experiments`); dashboard.

Bad input exits with status 2 and one line on stderr naming the value and
what is allowed; no tracebacks for user errors.
"""

from __future__ import annotations

import argparse
import json
import sys

from . import i18n, metrics
from .argtypes import int_at_least, out_folder
from .dashboard import cli as dashboard_cli
from .errors import InputError
from .experiments import cli as experiments_cli
from .i18n.cmdline import OneLineParser, add_lang_option, argparse_language, early_lang, help_text
from .params import MAX_DAYS, Params, describe
from .progress import Counter


def _key_value(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(i18n.t("err.not_allowed", value=repr(text), expected="KEY=VALUE"))
    key, value = text.split("=", 1)
    return key.strip(), value.strip()


def build_parser() -> argparse.ArgumentParser:
    """The ``govsim`` parser, its help texts in the current language.

    Build it inside :func:`sim.i18n.cmdline.argparse_language` for argparse's own words
    ("usage:", "options" ...) to be in that language too.
    """
    h = help_text
    parser = OneLineParser(prog="govsim", description=h("govsim"))
    add_lang_option(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=OneLineParser)

    r = sub.add_parser("run", help=h("run"), description=h("run"))
    r.add_argument("--days", type=int_at_least(1, MAX_DAYS), default=365, help=h("run_days", default=365))
    r.add_argument("--seed", type=int_at_least(0), default=0, help=h("run_seed"))
    r.add_argument("--communities", type=int_at_least(1), help=h("run_communities"))
    r.add_argument(
        "--set",
        dest="sets",
        action="append",
        type=_key_value,
        default=[],
        metavar="KEY=VALUE",
        help=h("run_set"),
    )
    r.add_argument("--format", choices=("csv", "parquet"), default="csv", help=h("run_format"))
    r.add_argument("--out", required=True, type=out_folder, help=h("run_out"))
    r.add_argument("--quiet", action="store_true", help=h("run_quiet"))

    p = sub.add_parser("params", help=h("params"), description=h("params"))
    p.add_argument("--json", action="store_true", help=h("params_json"))
    m = sub.add_parser("metrics", help=h("metrics"), description=h("metrics"))
    m.add_argument("--json", action="store_true", help=h("metrics_json"))
    experiments_cli.add_parsers(sub)
    dashboard_cli.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        argv = sys.argv[1:] if argv is None else list(argv)
        early_lang(argv)  # so that help, argparse's words and argument errors come in the language
        with argparse_language():
            args = build_parser().parse_args(_lang_first(argv))
        i18n.set_lang(i18n.resolve(args.lang))
        handlers = {"run": _cmd_run, "params": _cmd_params, "metrics": _cmd_metrics}
        return {**handlers, **experiments_cli.COMMANDS, **dashboard_cli.COMMANDS}[args.command](args)
    except InputError as err:
        print(i18n.t("err.prefix", message=err), file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head & co.
        sys.stderr.close()
        return 0


def _lang_first(argv: list[str]) -> list[str]:
    """``--lang X`` (or ``--lang=X``) anywhere on the line, moved before the subcommand."""
    out, lang, i = [], [], 0
    while i < len(argv):
        a = argv[i]
        if a == "--lang" and i + 1 < len(argv):
            lang, i = [a, argv[i + 1]], i + 2
            continue
        if a.startswith("--lang="):
            lang = [a]
        else:
            out.append(a)
        i += 1
    return lang + out


def _params_from(args) -> Params:
    pairs: dict[str, str] = {}
    for key, value in args.sets:
        if key in pairs:
            raise i18n.error("set_twice", key=key, first=pairs[key], second=value)
        pairs[key] = value
    if args.communities is not None:
        if "communities" in pairs:
            raise i18n.error("communities_twice", flag=args.communities, set=pairs["communities"])
        pairs["communities"] = str(args.communities)
    return Params().with_strings(pairs)


def _cmd_run(args) -> int:
    from .experiments.limits import RUN_CSV_DAY_BYTES, check_disk
    from .runner import check_run_out, run, write_outputs  # here so 'govsim params' stays fast

    params = _params_from(args)
    check_run_out(args.out)
    check_disk(args.out, args.days * RUN_CSV_DAY_BYTES + params.communities * 4096, f"--days {args.days}")
    warmup = (
        None
        if args.quiet or params.spinup_days == 0
        else Counter(params.spinup_days, i18n.t("cli.bar_spinup"))
    )
    progress = None if args.quiet else Counter(args.days, i18n.t("cli.bar_days"), before=warmup)
    result = run(params, seed=args.seed, days=args.days, progress=progress, spinup_progress=warmup)
    for bar in (warmup, progress):
        if bar is not None:
            bar.close()
    paths = write_outputs(result, args.out, args.format)
    if not args.quiet:
        print(summary_table(result.summary, result.residents, result.days, params))
        print(i18n.t("cli.wrote", paths=", ".join(str(p) for p in paths)))
    return 0


_HEADLINE = tuple(
    (m.name, m.label, m.unit, "{:.1f}" if m.unit == "days" else m.fmt) for m in metrics.METRICS if m.run_table
)


def _group_head(group: str) -> str:
    """A column head: the group's key in English (as in the output files), its name in Chinese."""
    return group if i18n.get_lang() == "en" else i18n.group_label(group)


def _pad(text: str, width: int, right: bool = False) -> str:
    fill = " " * max(width - i18n.display_width(text), 0)
    return fill + text if right else text + fill


def summary_table(summary: dict[str, float], residents: int, days: int, params: Params) -> str:
    """The one-screen summary printed after a run, in the current language (:mod:`sim.i18n`)."""
    t = i18n.t
    groups = metrics.GROUPS
    lines = [
        t(
            "cli.run_head",
            communities=params.communities,
            residents=f"{residents:,}",
            days=days,
            rule=params.dispatch_rule,
        ),
        _pad("", 32) + "".join(_pad(i18n.cut(_group_head(g), 16), 17, True) for g in groups),
    ]
    for key, label, unit, fmt in _HEADLINE:
        cells = []
        for g in groups:
            v = summary.get(key if g == "all" else f"{key}.{g}")
            cells.append("-" if v is None or v != v else fmt.format(v))
        name = i18n.outcome_label(key, label)
        name = f"{name.lower() if i18n.get_lang() == 'en' else name} ({i18n.unit_label(unit)})"
        lines.append(_pad(name, 32) + "".join(_pad(c, 17, True) for c in cells))
    s = summary
    lines += [
        t(
            "cli.run_counts",
            needs=f"{s['needs_arisen']:,.0f}",
            orders=f"{s['orders']:,.0f}",
            found=f"{s['found_by_grid']:,.0f}",
            served=f"{s['served']:,.0f}",
            informal=f"{s['served_informally']:,.0f}",
            expired=f"{s['expired']:,.0f}",
            lapsed=f"{s['lapsed']:,.0f}",
        ),
        t(
            "cli.run_volunteers",
            active=f"{s['volunteers_active']:,.0f}",
            registered=f"{s['volunteers_registered']:,.0f}",
            hours=f"{s['volunteer_hours']:,.0f}",
            top=f"{s['volunteer_hours_top10_share']:.0%}",
            retention=f"{s['volunteer_retention_12m']:.0%}",
            burnout=f"{s['burnout_dropouts']:.0f}",
        ),
        t(
            "cli.run_cost",
            cost=f"{s['cost_yuan']:,.0f}",
            per_service=f"{s['cost_per_service']:.0f}",
            per_resident=f"{s['cost_per_resident_year']:.0f}",
        ),
    ]
    return "\n".join(lines)


def _cmd_params(args) -> int:
    rows = describe()
    if args.json:
        print(json.dumps(rows, indent=1, ensure_ascii=False))
        return 0
    name, default, unit, rng, tag, meaning = i18n.t("cli.params_head").split("|")
    cols = (_pad(name, 30), _pad(default, 12, True), "", _pad(unit, 22), _pad(rng, 22), _pad(tag, 4), meaning)
    print(" ".join(cols))
    for r in rows:
        head = f"{r['name']:30s} {r['default']!s:>12s}  {r['unit']:22s} {r['range']:22s}"
        print(f"{head} [{r['tag']}]  {r['doc_zh'] if i18n.get_lang() == 'zh' else r['doc']}")
    print("\n" + i18n.t("cli.params_tags"))
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
            "definition_zh": i18n.description("metric", m.name, m.definition, "zh"),
            "smallest_difference": m.mid,
            "smallest_difference_relative": m.mid_rel,
            "smallest_difference_why": m.mid_why,
        }  # fmt: skip
        for m in metrics.METRICS
    ]
    if args.json:
        print(json.dumps({"groups": metrics.GROUP_DOCS, "metrics": rows}, indent=1, ensure_ascii=False))
        return 0
    t = i18n.t
    arrows = {"higher": t("cli.higher"), "lower": t("cli.lower"), "none": ""}
    for r in rows:
        tag = t("cli.by_group") if r["by_group"] else ""
        head = t("cli.headline_rank", rank=r["headline"]) if r["headline"] else ""
        mid = r["smallest_difference"]
        shown = f"{100 * mid:g} {t('unit.pp_short')}" if r["unit"] == "share" else f"{mid:g}"
        mids = [shown] if mid else []
        mids += [f"{r['smallest_difference_relative']:.0%}"] if r["smallest_difference_relative"] else []
        matters = t("cli.matters", mid=" / ".join(mids)) if mids and r["direction"] != "none" else ""
        label = i18n.outcome_label(r["name"], r["label"])
        print(
            f"{r['name']:36s} [{i18n.unit_label(r['unit'])}] {arrows[r['direction']]:9s} {label}: "
            f"{i18n.description('metric', r['name'], r['definition'])}{tag}{head}{matters}"
        )
    groups = "; ".join(f"{g} = {i18n.group_label(g)}" for g in metrics.GROUPS)
    print("\n" + t("cli.groups", groups=groups))
    return 0


if __name__ == "__main__":
    sys.exit(main())
