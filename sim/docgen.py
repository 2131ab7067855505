"""Generated regions of the documentation, so that what the docs state stays what the code does.

A region is the text between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` in a
Markdown file; ``python -m sim.docgen docs/ODD.md`` (``make docs``) rewrites every
region it finds from :data:`REGIONS`:

- ``params``: the parameter table, from the metadata of :class:`~sim.params.Params`,
  grouped by the submodel that uses each parameter (its ``eq`` metadata) or, where a
  parameter has none, by its section of ``sim/params.py``.
- ``structure``: the default community as built, seeds 0-4 (residents, places,
  providers, services, day-0 network).
- ``network``: the network at the start and at the end of a 365-day run, seeds 0-4.

``--check`` rewrites nothing and exits with status 1 if a region is out of date.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import re
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from . import i18n
from .errors import InputError
from .params import EQUATIONS, Params
from .population import ADULT_AGE

# The ODD's submodel keys, in the order of section 7 (7.1 is the first): the phases of
# a day in schedule order, then the build steps and the cost accounting. A parameter's
# ``eq`` metadata names one of them.
EQ_KEYS: tuple[str, ...] = EQUATIONS
SEEDS = range(5)


def section_of(key: str) -> str:
    """The ODD section number of submodel ``key`` (``"7.9"`` for dispatch)."""
    return f"7.{EQ_KEYS.index(key) + 1}"


def _source_sections() -> dict[str, str]:
    """Each parameter's section in ``sim/params.py`` (the ``# --- name ---`` comments)."""
    sections, current = {}, "other"
    for line in inspect.getsource(Params).splitlines():
        head = re.match(r"\s*# -{2,}\s*(.+?)\s*-{2,}\s*$", line)
        if head:
            current = head.group(1)
            continue
        name = re.match(r"\s{4}(\w+):\s", line)
        if name:
            sections[name.group(1)] = current
    return sections


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|")


def _default(f: dataclasses.Field) -> str:
    return f"`{f.default!r}`" if isinstance(f.default, str) else _cell(f.default)


def _range(meta: dict) -> str:
    if meta.get("choices"):
        return " / ".join(meta["choices"])
    if meta.get("lo") is None:
        return ""
    return f"{meta['lo']:g}–{meta['hi']:g}"


def params_table() -> str:
    """Every parameter as a Markdown table, grouped by submodel (``eq``) or by section."""
    fields = dataclasses.fields(Params)
    sections = _source_sections()
    groups: dict[str, list[dataclasses.Field]] = {}
    for f in fields:
        eq = f.metadata.get("eq", "")
        if eq and eq not in EQ_KEYS:
            raise ValueError(f"parameter {f.name!r}: eq = {eq!r} is not a submodel of the ODD")
        label = f"{section_of(eq)} `{eq}`" if eq else sections.get(f.name, "other")
        groups.setdefault(label, []).append(f)

    section_order = list(dict.fromkeys([*sections.values(), "other"]))

    def order(label: str) -> tuple[int, int]:
        """Submodels in the ODD's order, then the sections of params.py."""
        if "`" in label:
            return 0, EQ_KEYS.index(label.split("`")[1])
        return 1, section_order.index(label)

    tags = [f.metadata["tag"] for f in fields]
    lines = [
        f"{len(fields)} parameters: {tags.count('A')} tagged [A], {tags.count('S')} [S], "
        f"{tags.count('E')} [E] (provenance in [`sources.md`](sources.md)).",
        "",
        "| parameter | default | unit | range | tag | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for label in sorted(groups, key=order):
        lines.append(f"| **{label}** | | | | | |")
        for f in groups[label]:
            m = f.metadata
            cells = (f"`{f.name}`", _default(f), _cell(m["unit"]), _range(m), m["tag"], _cell(m["doc"]))
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _spread(values: list[float], fmt: Callable[[float], str]) -> tuple[str, str]:
    lo, hi = min(values), max(values)
    return fmt(values[0]), fmt(lo) if fmt(lo) == fmt(hi) else f"{fmt(lo)}–{fmt(hi)}"


def _count(v: float) -> str:
    return f"{v:,.0f}"


def _pct(v: float) -> str:
    return f"{100 * v:.1f} %"


def _num(v: float) -> str:
    return f"{v:.3g}"


def _table(rows: list[tuple[str, list[float], Callable[[float], str]]], head: str) -> str:
    seeds = f"seeds {SEEDS[0]}–{SEEDS[-1]}"
    lines = [f"| {head} | seed {SEEDS[0]} | {seeds} |", "|---|---|---|"]
    for name, values, fmt in rows:
        first, spread = _spread(values, fmt)
        lines.append(f"| {name} | {first} | {spread} |")
    return "\n".join(lines)


def structure_table() -> str:
    """The default community right after the build, over seeds 0-4."""
    from .model import GovModel
    from .population import Employment
    from .providers import ProviderKind, ProviderState

    stats: dict[str, list[float]] = {}
    fmts: dict[str, Callable[[float], str]] = {}

    def put(name: str, value: float, fmt: Callable[[float], str] = _count) -> None:
        stats.setdefault(name, []).append(float(value))
        fmts[name] = fmt

    for seed in SEEDS:
        m = GovModel(Params(), seed, collect=False, spin_up=False)
        pop, pr = m.pop, m.providers
        elder = pop.elder
        force = np.isin(pop.employment, [Employment.EMPLOYED, Employment.UNEMPLOYED])
        adults = pop.age >= ADULT_AGE
        vol = pr.kind == ProviderKind.VOLUNTEER
        put("residents", pop.n)
        put("households", len(pop.hh_size))
        put("persons per household", pop.hh_size.mean(), _num)
        put("buildings", len(pop.bld_grid))
        put("grids", len(pop.grid_community))
        put("aged 60+", elder.mean(), _pct)
        put("aged 65+", (pop.age >= 65).mean(), _pct)
        put("empty-nest, of the elderly", pop.empty_nest[elder].mean(), _pct)
        put("living alone, of the elderly", pop.lives_alone[elder].mean(), _pct)
        put("care level 2–3, of the elderly", (pop.care_level[elder] >= 2).mean(), _pct)
        put("migrants", pop.migrant.mean(), _pct)
        put("unemployed, of the labour force", (pop.employment[force] == Employment.UNEMPLOYED).mean(), _pct)
        put("registered volunteers", vol.sum())
        put("registered volunteers, of adults", vol.sum() / adults.sum(), _pct)
        put("active volunteers", (vol & (pr.state == ProviderState.ACTIVE)).sum())
        put("partner units", (pr.kind == ProviderKind.UNIT).sum())
        put("units' money budgets (yuan a year)", pr.budget_left.sum())
        put("diners (in the lunch choice)", len(m.canteens.diner_rows))
        put("diners' mean distance to the canteen (km)", m.canteens.diner_distance.mean(), _num)
        put("class members", len(m.activities.class_members))
        put("projects on the needs list", len(m.projects.cost))
        put("expected needs a day (sum of day-0 rates)", m.rates_day0.sum(), _num)
    rows = [(name, values, fmts[name]) for name, values in stats.items()]
    return "`GovModel(Params(), seed, spin_up=False)` right after the build:\n\n" + _table(
        rows, "default community"
    )


def network_table() -> str:
    """The network metrics at day 0 and at day 364 of a 365-day run, over seeds 0-4."""
    from . import metrics
    from .model import GovModel

    keys = ("ties_per_person", "isolated_share", "clustering", "cross_building_share")
    start: dict[str, list[float]] = {k: [] for k in keys}
    end: dict[str, list[float]] = {k: [] for k in keys}
    for seed in SEEDS:
        m = GovModel(Params(), seed, collect=False)  # at the end of the spin-up: measured day 0
        for k, v in metrics.report(m, m.day0, m.day0).items():
            if k in start:
                start[k].append(float(v))
        m.run(365)
        for k, v in metrics.report(m, m.day0 + 364, m.day0 + 364).items():
            if k in end:
                end[k].append(float(v))
    seeds = f"seeds {SEEDS[0]}–{SEEDS[-1]}"
    lines = [
        f"| metric | measured day 0, seed {SEEDS[0]} | measured day 0, {seeds} | measured day 364, "
        f"seed {SEEDS[0]} | measured day 364, {seeds} |",
        "|---|---|---|---|---|",
    ]
    for k in keys:
        cells = (f"`{k}`", *_spread(start[k], _num), *_spread(end[k], _num))
        lines.append("| " + " | ".join(cells) + " |")
    intro = (
        "`metrics.report(m, d, d)` of `m = GovModel(Params(), seed, collect=False)` at the end of "
        "its spin-up (measured day 0, `d = m.day0`) and after `m.run(365)` (`d = m.day0 + 364`):\n\n"
    )
    return intro + "\n".join(lines)


def schedule_table() -> str:
    """The default model's phases in run order: service, cadence, reads, writes, what happens."""
    from .model import GovModel  # the model is heavy to import; only this table needs it

    small = Params().replace(households_per_community=300, households_per_grid=100)
    model = GovModel(small, 0, collect=False)
    lines = ["| # | phase | service | when | reads | writes | what happens |", "|---" * 7 + "|"]
    for i, p in enumerate(model.phases, 1):
        doc = " ".join((p.fn.__doc__ or "").strip().split("\n\n")[0].split())
        if not doc:
            raise ValueError(f"phase {p.name}: its function has no docstring to describe it")
        when = getattr(p.when, "label", p.when.__name__)
        cells = [str(i), f"`{p.name}`", p.service or "—", when, ", ".join(p.reads), ", ".join(p.writes), doc]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


REGIONS: dict[str, Callable[[], str]] = {
    "params": params_table,
    "schedule": schedule_table,
    "structure": structure_table,
    "network": network_table,
}
_REGION = re.compile(r"(<!-- (\w+):start -->\n)(.*?)(<!-- \2:end -->)", re.S)


def regions_in(text: str) -> dict[str, str]:
    """The generated regions of ``text``: name -> current content."""
    return {m.group(2): m.group(3) for m in _REGION.finditer(text)}


def render(name: str) -> str:
    """The content of region ``name`` as the generator produces it now."""
    if name not in REGIONS:
        raise KeyError(f"unknown generated region {name!r}; known: {', '.join(REGIONS)}")
    return (
        f"<!-- generated by `python -m sim.docgen` (make docs): do not edit by hand -->\n{REGIONS[name]()}\n"
    )


def update(text: str, cache: dict[str, str] | None = None) -> str:
    """``text`` with every generated region rewritten."""
    cache = {} if cache is None else cache

    def fill(m: re.Match) -> str:
        name = m.group(2)
        if name not in cache:
            cache[name] = render(name)
        return m.group(1) + cache[name] + m.group(4)

    return _REGION.sub(fill, text)


def _parser() -> argparse.ArgumentParser:
    """The parser of ``python -m sim.docgen``, its help in the current language."""
    from .i18n.cmdline import OneLineParser, add_lang_option, help_text

    ap = OneLineParser(prog="python -m sim.docgen", description=help_text("docgen"))
    add_lang_option(ap)
    ap.add_argument("files", nargs="+", type=Path, metavar="FILE", help=help_text("docgen_files"))
    ap.add_argument("--check", action="store_true", help=help_text("docgen_check"))
    return ap


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.docgen [--lang LANG] [--check] FILE...``."""
    from .i18n.cmdline import run_parser

    try:
        args = run_parser(_parser, argv)
    except InputError as err:
        print(i18n.t("err.prefix", message=err), file=sys.stderr)
        return 2
    cache: dict[str, str] = {}
    stale = []
    for path in args.files:
        text = path.read_text(encoding="utf-8")
        new = update(text, cache)
        if new != text:
            stale.append(path)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    for path in stale:
        print(i18n.t("tool.docgen_stale" if args.check else "tool.docgen_updated", path=path))
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
