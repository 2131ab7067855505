"""The planner brief: one self-contained HTML file per comparison, in English or Chinese.

It answers the planner's question first: a summary generated from the numbers —
what each policy does, for whom (the groups that gain or lose), at what cost
(:mod:`sim.experiments.costs`) and how sure we are — then the headline table
(a difference is better or worse only when its interval is clear of zero and it
is at least the outcome's smallest difference that matters), a section per
service the policy touches, the cost items, the plots (embedded as base64) and
the provenance facts of the manifest.

The page is rendered by a Jinja2 template (``templates/brief.html.j2``) with
autoescaping on; its Chinese is set in a CJK font cut down to the page's own
characters and embedded in it (:func:`sim.fonts.font_face_css`), so it renders
on a machine without CJK fonts.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from .. import fonts, i18n
from . import costs as cost_model
from . import formatting as fmt
from . import plots
from .comparison import uncertainty_note
from .limits import MIN_REPS
from .stats import EQUITY_OUTCOMES, HEADLINE, LEVEL, N_BOOT, outcome, verdict

if TYPE_CHECKING:
    from .comparison import Comparison

CANTEEN_ROWS = (
    ("canteen_meals_per_day", "brief.canteen_meals"),
    ("canteen_cost_recovery", "brief.canteen_recovery"),
    ("canteen_cost_recovery_with_subsidy", "brief.canteen_recovery_sub"),
    ("canteens_open", "brief.canteen_open"),
    ("canteen_closures", "brief.canteen_closures"),
    ("canteen_turned_away_per_day", "brief.canteen_turned"),
    ("canteen_occupancy", "brief.canteen_occupancy"),
)
TEMPLATES = Path(__file__).parent / "templates"


@cache
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True)
    env.globals["t"] = lambda key, **kw: i18n.t(key, **kw)
    return env


def _daily(comp: Comparison, names=plots.SERIES) -> pd.DataFrame:
    frames = []
    for spec in comp.result.done:
        d = comp.result.store.load(spec, "daily")
        d = d[d.metric.isin(names) & (d.group == "all")]
        frames.append(d.assign(scenario=spec.scenario.name, rep=spec.rep))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _grids(comp: Comparison, scenario: str) -> pd.DataFrame:
    frames = [comp.result.store.load(s, "grid") for s in comp.result.done if s.scenario.name == scenario]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _spinup(comp: Comparison) -> int:
    return comp.reference.build()[0].spinup_days


def make_figures(comp: Comparison) -> dict[str, object]:
    """Every figure of the brief, by file stem, in the current language."""
    labels = comp.labels
    note = uncertainty_note(comp, short=True)
    figs: dict[str, object] = {
        "forest": plots.forest(comp.diffs, labels, note=note),
        "equity": plots.equity(comp.diffs, labels, note=note),
        "timeseries": plots.timeseries(_daily(comp), labels, spinup=_spinup(comp)),
    }
    ref = _grids(comp, comp.reference.name)
    for s in comp.scenarios[1:]:
        other = _grids(comp, s.name)
        if len(ref) and len(other):
            figs[f"map_{s.name}"] = plots.grid_map(ref, other, labels[comp.reference.name], labels[s.name])
    return figs


def write_brief(comp: Comparison, lang: str | None = None) -> dict[str, Path]:
    """Write the plots (PNG + SVG) and ``brief.html`` into the comparison's folder.

    ``lang`` defaults to the current language; Chinese without a CJK font falls back to
    English with a one-line warning (:func:`sim.fonts.output_lang`)."""
    with i18n.use(fonts.output_lang(lang)):
        files: dict[str, Path] = {}
        images: dict[str, str] = {}
        for stem, fig in make_figures(comp).items():
            paths = plots.save(fig, comp.folder / "plots" / stem)
            files[stem] = paths[0]
            images[stem] = base64.b64encode(paths[0].read_bytes()).decode()  # the PNG just saved
        rel = comp.folder.relative_to(comp.result.store.root)
        files["brief"] = comp.result.store.write_text(f"{rel}/brief.html", render(comp, images))
    return files


# --- the pieces ---------------------------------------------------------------------------------
def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return i18n.t("brief.list_sep").join(items[:-1]) + i18n.t("brief.list_and") + items[-1]


def _label(name: str) -> str:
    return i18n.outcome_label(name, outcome(name).label)


def _row_verdict(r) -> str:
    return verdict(r["diff"], r.ci_low, r.ci_high, outcome(r.outcome), r.smallest_difference)


def summary_sentences(comp: Comparison, extra: pd.DataFrame, scenario) -> list[str]:
    """The brief's plain-words summary of one scenario, from the numbers."""
    t = i18n.t
    labels = comp.labels
    ref = labels[comp.reference.name]
    label, description = scenario.text()
    out = [t("brief.what", scenario=label, description=description.rstrip("。."))]
    d = comp.diffs[comp.diffs.scenario == scenario.name]
    head = d[(d.group == "all") & d.outcome.isin([o.name for o in HEADLINE])]
    verdicts = {r.outcome: _row_verdict(r) for _, r in head.iterrows()}

    def items(kind: str) -> list[str]:
        return [
            t(
                "brief.item",
                label=_label(r.outcome),
                change=fmt.diff(r.outcome, r["diff"], r.ci_low, r.ci_high) + _share(comp, r, kind),
            )
            for _, r in head.iterrows()
            if verdicts[r.outcome] == kind
        ]

    better, worse = items("better"), items("worse")
    if better:
        out.append(t("brief.improves", reference=ref, items=_join(better)))
    if worse:
        out.append(t("brief.worsens", items=_join(worse)))
    if not better and not worse:
        out.append(t("brief.no_change", reference=ref))
    groups = d[(d.group != "all") & d.outcome.isin(EQUITY_OUTCOMES)]
    gains, loses = [], []
    for g in dict.fromkeys(groups.group):
        v = [_row_verdict(r) for _, r in groups[groups.group == g].iterrows()]
        if "better" in v:
            gains.append(i18n.group_label(g))
        if "worse" in v:
            loses.append(i18n.group_label(g))
    if gains:
        out.append(t("brief.gains", groups=_join(gains)))
    if loses:
        out.append(t("brief.loses", groups=_join(loses)))
    if not gains and not loses:
        out.append(t("brief.no_group"))
    out += cost_sentences(comp, extra, scenario.name)
    n = int(head.n.max()) if len(head) else 0
    clear = int(head.excludes_zero.sum())
    out.append(uncertainty_note(comp))
    out.append(
        t("brief.sure", reps=n, clear=clear, total=len(head))
        if n >= MIN_REPS
        else t("brief.sure_few", reps=n) + " " + t("brief.sure", reps=n, clear=clear, total=len(head))
    )
    return out


def _share(comp: Comparison, r, kind: str) -> str:
    """ "; better in 7 of 8 parameter sets" (or replications, at the default parameters)."""
    share = r.get("share_better", float("nan"))
    if pd.isna(share):
        return ""
    n = int(r.n)
    k = round(share * n) if kind == "better" else n - round(share * n)
    which = "posterior" if getattr(comp, "posterior", None) is not None else "none"
    return i18n.t(f"brief.share_{kind}_{which}", k=k, n=n)


def cost_sentences(comp: Comparison, extra: pd.DataFrame, scenario: str) -> list[str]:
    """What the scenario costs, naming the items that moved (:func:`costs.moved`)."""
    t = i18n.t
    if extra.empty or scenario not in set(extra.scenario):
        return []
    r = extra.set_index("scenario").loc[scenario]
    moved = cost_model.moved(r)
    if not moved:
        return [t("brief.costs_same")]
    names = _join([t(f"cost.{k}") + f" ({fmt.number(r[k], True)})" for k in moved])
    key = "brief.costs_more" if r.total > 0 else "brief.costs_less"
    out = [
        t(
            key,
            money=fmt.number(abs(r.total)),
            days=comp.days,
            lo=fmt.number(r.total_low, True),
            hi=fmt.number(r.total_high, True),
            items=names,
        )
    ]
    if r.per_resident == r.per_resident and r.total > 0:
        out.append(
            t("brief.per_resident", per=fmt.estimate(r.per_resident, r.per_resident_low, r.per_resident_high))
        )
    if r.per_unmet == r.per_unmet and r.total > 0:
        out.append(t("brief.per_unmet", per=fmt.estimate(r.per_unmet, r.per_unmet_low, r.per_unmet_high)))
    return out


@dataclass
class Cell:
    value: str
    diff: str
    verdict: str
    verdict_text: str = ""
    share: str = ""  # "better in 7 of 8 parameter sets"


def _cells(comp: Comparison, name: str, group: str = "all") -> tuple[str, list[Cell]]:
    d = comp.diffs[(comp.diffs.outcome == name) & (comp.diffs.group == group)].set_index("scenario")
    if d.empty:
        return "–", []
    level = fmt.value(name, d.reference_mean.iloc[0])
    cells = []
    for s in comp.scenarios[1:]:
        if s.name not in d.index:
            cells.append(Cell("–", "", "none"))
            continue
        r = d.loc[s.name]
        v = verdict(r["diff"], r.ci_low, r.ci_high, outcome(name), r.smallest_difference)
        cells.append(
            Cell(
                fmt.value(name, r.scenario_mean),
                fmt.diff(name, r["diff"], r.ci_low, r.ci_high),
                v,
                i18n.t(f"verdict.{v}"),
                _share(comp, r, "better").lstrip("；; "),
            )
        )
    return level, cells


def _headline(comp: Comparison) -> list[dict]:
    rows = []
    present = set(comp.diffs.outcome)
    for o in HEADLINE:
        if o.name not in present:
            continue
        level, cells = _cells(comp, o.name)
        ref_level = comp.diffs[(comp.diffs.outcome == o.name) & (comp.diffs.group == "all")].reference_mean
        mid = o.smallest_difference(ref_level.iloc[0]) if len(ref_level) else o.mid
        shown = "–" if o.better is None else fmt.diff(o.name, mid, float("nan"), float("nan")).split(" [")[0]
        rows.append(
            {
                "label": _label(o.name),
                "unit": fmt.unit_label(o.name),
                "level": level,
                "cells": cells,
                "mid": shown.lstrip("+") if o.better is not None else "–",
                "mid_why": o.mid_why,
            }
        )
    return rows


def touches_canteens(s) -> bool:
    """A scenario that changes canteens: an add_canteen policy or a canteen parameter."""
    return any(p.get("kind") == "add_canteen" for p in s.policies) or any(
        k.startswith("canteen") for k in s.params
    )


def _closure_days(comp: Comparison, scenario: str) -> dict[int, list[int]]:
    """Replication -> days on which a canteen closed for losses."""
    out: dict[int, list[int]] = {}
    for spec in comp.result.done:
        if spec.scenario.name != scenario:
            continue
        d = comp.result.store.load(spec, "daily")
        d = d[(d.metric == "canteen_closures") & (d.group == "all") & (d.value > 0)]
        if len(d):
            out[spec.rep] = [int(x) for x in d.day]
    return out


def _canteens(comp: Comparison) -> dict | None:
    if not any(touches_canteens(s) for s in comp.scenarios[1:]):
        return None
    t = i18n.t
    rows = []
    for name, key in CANTEEN_ROWS:
        if name not in set(comp.diffs.outcome):
            continue
        level, cells = _cells(comp, name)
        rows.append({"label": t(key), "reference": level, "cells": cells})
    closures = []
    for s in comp.scenarios:
        days = _closure_days(comp, s.name)
        label = comp.labels[s.name]
        if not days:
            closures.append(f"{label}: {t('brief.no_closures')}")
            continue
        text = "; ".join(
            t("brief.closure_rep", rep=rep, n=len(ds), days=", ".join(map(str, ds)))
            for rep, ds in days.items()
        )
        share = t("brief.closures_in", k=len(days), n=comp.reps)
        closures.append(f"{label}: {share} {t('brief.closure_when', text=text)}")
    return {"rows": rows, "closures": closures}


def _costs(comp: Comparison, items: pd.DataFrame, extra: pd.DataFrame) -> dict:
    t = i18n.t
    ref = items[items.scenario == comp.reference.name]
    by = extra.set_index("scenario") if len(extra) else pd.DataFrame()
    rows = []
    for k in [*cost_model.TOTAL_ITEMS, "total", "running"]:
        cells = []
        for s in comp.scenarios[1:]:
            if s.name not in by.index:
                cells.append("–")
                continue
            r = by.loc[s.name]
            lo, hi = (fmt.number(r[f"{k}_{end}"], True) for end in ("low", "high"))
            cells.append(f"{fmt.number(r[k], True)} [{lo}, {hi}]")
        label = t("brief.total") if k == "total" else t(f"cost.{k}")
        if k == "running":
            label += f" ({t('brief.memo')})"
        kind = "total" if k == "total" else "memo" if k == "running" else "item"
        rows.append({"label": label, "reference": fmt.number(ref[k].mean()), "cells": cells, "kind": kind})

    def per(col: str) -> list[str]:
        return [
            fmt.estimate(by.loc[s.name, col], by.loc[s.name, f"{col}_low"], by.loc[s.name, f"{col}_high"])
            if s.name in by.index
            else "–"
            for s in comp.scenarios[1:]
        ]

    return {"rows": rows, "per_resident": per("per_resident"), "per_unmet": per("per_unmet")}


def policy_text(table: dict) -> str:
    """``add_partner_units: count=10, from day 0`` for a policy table."""
    args = {k: v for k, v in table.items() if k not in ("kind", "start_day", "end_day")}
    when = f"from day {table.get('start_day', 0)}"
    if table.get("end_day") is not None:
        when += f" to day {table['end_day']}"
    text = ", ".join(
        f"{k}={json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v}" for k, v in args.items()
    )
    return f"{table.get('kind')}: {text}{', ' if text else ''}{when}"


def _provenance(comp: Comparison) -> tuple[list[tuple[str, object]], list[str]]:
    store = comp.result.store
    inv = store.manifest["invocations"][-1]
    git = inv.get("git", {})
    t = i18n.t
    res = comp.result
    facts = [
        (t("prov.output_folder"), str(store.root)),
        (
            t("prov.runs"),
            t(
                "prov.runs_text",
                total=len(res.specs),
                computed=len(res.computed),
                cached=len(res.cached),
                failed=len(res.failed),
            ),
        ),  # fmt: skip
        (t("prov.reps_days"), f"{comp.reps} × {comp.days}"),
        (t("prov.seeds"), ", ".join(f"{k}: {v}" for k, v in inv.get("seeds", {}).items())),
        (t("prov.base_seed"), inv.get("base_seed")),
        (
            t("prov.executor"),
            t(
                "prov.executor_text",
                executor=inv.get("executor"),
                workers=inv.get("workers") or t("prov.all_cores"),
            ),
        ),
        (t("prov.uncertainty"), uncertainty_note(comp)),
        (
            t("prov.posterior"),
            f"{comp.posterior['file']} (SHA-256 {comp.posterior['sha256'][:16]}, {comp.posterior['method']})"
            if comp.posterior
            else t("prov.posterior_none"),
        ),
        (t("prov.param_sets"), ", ".join(f"{k}: {v}" for k, v in inv.get("param_sets", {}).items()) or "–"),
        (t("prov.code_version"), inv.get("code_version")),
        (t("prov.git"), f"{git.get('revision')}{t('prov.git_dirty') if git.get('dirty') else ''}"),
        (t("prov.times"), f"{inv.get('started')} / {inv.get('finished') or t('prov.still_running')}"),
        (t("prov.versions"), ", ".join(f"{k} {v}" for k, v in inv.get("versions", {}).items() if v)),
        (t("prov.hashes"), ", ".join(f"{s.name} {s.hash}" for s in comp.scenarios)),
        (t("prov.font"), str(fonts.cjk_family() or t("prov.font_none"))),
    ]
    fails = [
        f"{s.scenario.name} replication {s.rep}: {comp.result.failed[s.key]}"
        for s in comp.result.specs
        if s.key in comp.result.failed
    ]
    return facts, fails


def context(comp: Comparison, images: dict[str, str]) -> dict:
    """Everything the template shows, in the current language."""
    t = i18n.t
    labels = comp.labels
    ref = labels[comp.reference.name]
    items = (
        cost_model.items_table(comp.table, comp.scenarios, comp.days, comp.bases)
        if len(comp.table)
        else pd.DataFrame()
    )
    extra = cost_model.extra_costs(items, comp.reference.name) if len(items) else pd.DataFrame()
    others = [labels[s.name] for s in comp.scenarios[1:]]
    title = t("brief.against", scenarios=t("brief.vs").join(others), reference=ref)
    residents = ""
    if "residents" in comp.table:
        residents = t("brief.residents", n=f"{comp.table.residents.iloc[0]:,.0f}")
    finished = comp.result.store.manifest["invocations"][-1].get("finished") or ""
    facts, fails = _provenance(comp)
    scenarios = []
    for s in comp.scenarios:
        label, description = s.text()
        changes = [f"{k} = {v}" for k, v in s.params.items()] + [policy_text(p) for p in s.policies]
        scenarios.append(
            {
                "label": label,
                "name": s.name,
                "source": s.source,
                "description": description,
                "changes": changes,
            }
        )
    n = int(comp.diffs.n.max()) if len(comp.diffs) else 0
    return {
        "title": title,
        "meta": t("brief.meta", residents=residents, days=comp.days, reps=comp.reps, finished=finished),
        "reps": n,
        "min_reps": MIN_REPS,
        "few_reps": n < MIN_REPS,
        "summaries": [summary_sentences(comp, extra, s) for s in comp.scenarios[1:]],
        "scenarios": scenarios,
        "reference": ref,
        "others": others,
        "level": f"{LEVEL:.0%}",
        "uncertainty": uncertainty_note(comp),
        "headline": _headline(comp),
        "canteens": _canteens(comp),
        "costs": _costs(comp, items, extra),
        "images": {
            "forest": [images[k] for k in ("forest",) if k in images],
            "equity": [images[k] for k in ("equity",) if k in images],
            "timeseries": [images[k] for k in ("timeseries",) if k in images],
            "maps": [images[f"map_{s.name}"] for s in comp.scenarios[1:] if f"map_{s.name}" in images],
        },
        "n_boot": f"{N_BOOT:,}",
        "provenance": facts,
        "failures": fails,
        "font_stack": Markup(fonts.CSS_STACK),
        "font_css": "",
    }


def render(comp: Comparison, images: dict[str, str], lang: str | None = None) -> str:
    """The brief as one HTML string, in ``lang`` (default: the current language)."""
    with i18n.use(lang):
        template = _env().get_template("brief.html.j2")
        ctx = context(comp, images)
        page = template.render(**ctx)
        if i18n.get_lang() == "zh" or any(ord(c) > 0x2E80 for c in page):
            ctx["font_css"] = Markup(fonts.font_face_css(page))
            page = template.render(**ctx)
        return page
