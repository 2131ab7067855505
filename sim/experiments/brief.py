"""The planner brief: one self-contained HTML file per comparison (plots embedded as base64).

It holds what a committee needs on one page: what each scenario changes, the
headline table with paired differences and intervals, the cost side, the
plots, how to read them, and the provenance facts from the manifest.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from . import formatting as fmt
from . import plots
from .stats import HEADLINE, LEVEL, N_BOOT

if TYPE_CHECKING:
    from .comparison import Comparison

CSS = """
body{font-family:"DejaVu Sans","Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em} h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em} th,td{border:1px solid #ddd;padding:.3em .55em}
th{background:#f3f3f3;text-align:left} td.num{text-align:right;white-space:nowrap}
.better{color:#1e7b3a;font-weight:600} .worse{color:#b03a2e;font-weight:600} .unclear{color:#666}
.meta{color:#555;font-size:.9em} img{max-width:100%;border:1px solid #eee;margin:.5em 0}
code{background:#f5f5f5;padding:0 .2em}
"""


def _e(text) -> str:
    return html.escape(str(text))


def _daily(comp: Comparison) -> pd.DataFrame:
    frames = []
    for spec in comp.result.done:
        d = comp.result.store.load(spec, "daily")
        d = d[d.metric.isin(plots.SERIES) & (d.group == "all")]
        frames.append(d.assign(scenario=spec.scenario.name, rep=spec.rep))
    return pd.concat(frames, ignore_index=True)


def _grids(comp: Comparison, scenario: str) -> pd.DataFrame:
    frames = [comp.result.store.load(s, "grid") for s in comp.result.done if s.scenario.name == scenario]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def make_figures(comp: Comparison) -> dict[str, object]:
    """Every figure of the brief, by file stem."""
    labels = comp.labels
    figs: dict[str, object] = {
        "forest": plots.forest(comp.diffs, labels),
        "equity": plots.equity(comp.diffs, labels),
        "timeseries": plots.timeseries(_daily(comp), labels),
    }
    ref = _grids(comp, comp.reference.name)
    for s in comp.scenarios[1:]:
        other = _grids(comp, s.name)
        if len(ref) and len(other):
            figs[f"map_{s.name}"] = plots.grid_map(ref, other, comp.reference.label, s.label)
    return figs


def write_brief(comp: Comparison) -> dict[str, Path]:
    """Write the plots (PNG + SVG) and ``brief.html`` into the comparison's folder."""
    files: dict[str, Path] = {}
    images: dict[str, str] = {}
    for stem, fig in make_figures(comp).items():
        paths = plots.save(fig, comp.folder / "plots" / stem)
        files[stem] = paths[0]
        images[stem] = base64.b64encode(plots.png_bytes(fig)).decode()
    rel = comp.folder.relative_to(comp.result.store.root)
    files["brief"] = comp.result.store.write_text(f"{rel}/brief.html", render(comp, images))
    return files


def _verdict(row, better: str | None) -> str:
    if better is None or not row.excludes_zero:
        return "unclear"
    return "better" if (row.ci_low > 0) == (better == "higher") else "worse"


def _headline(comp: Comparison) -> str:
    d = comp.diffs[comp.diffs.group == "all"]
    head = "".join(
        f"<th>{_e(s.label)}<br><small>difference [95 % CI]</small></th>" for s in comp.scenarios[1:]
    )
    rows = []
    for o in HEADLINE:
        sub = d[d.outcome == o.name].set_index("scenario")
        if sub.empty:
            continue
        ref_level = fmt.value(o.name, sub.reference_mean.iloc[0])
        cells = []
        for s in comp.scenarios[1:]:
            if s.name not in sub.index:
                cells.append("<td>–</td>")
                continue
            r = sub.loc[s.name]
            cls = _verdict(r, o.better)
            cells.append(
                f'<td class="num">{_e(fmt.value(o.name, r.scenario_mean))} '
                f'<span class="{cls}">{_e(fmt.diff(o.name, r["diff"], r.ci_low, r.ci_high))}</span></td>'
            )
        unit = fmt.unit_label(o.name)
        rows.append(
            f"<tr><td>{_e(o.label)} <small>({_e(unit)})</small></td>"
            f'<td class="num">{_e(ref_level)}</td>{"".join(cells)}</tr>'
        )
    return (
        f"<table><tr><th>outcome (unit)</th><th>{_e(comp.reference.label)}<br><small>level</small></th>"
        f"{head}</tr>{''.join(rows)}</table>"
    )


def _costs(comp: Comparison) -> str:
    rows = []
    for s in comp.scenarios[1:]:
        c = comp.costs.set_index("scenario")
        if s.name not in c.index:
            continue
        r = c.loc[s.name]
        per = fmt.estimate(
            r.yuan_per_extra_resident, r.yuan_per_extra_resident_low, r.yuan_per_extra_resident_high
        )
        hours = fmt.number(r.hours_per_extra_resident)
        rows.append(
            f"<tr><td>{_e(s.label)}</td>"
            + "".join(
                f'<td class="num">{_e(fmt.number(v, True))}</td>'
                for v in (
                    r.extra_residents_served,
                    r.extra_served,
                    r.extra_cost_yuan,
                    r.extra_volunteer_hours,
                    r.extra_unit_hours,
                )
            )
            + f'<td class="num">{_e(per)}</td><td class="num">{_e(hours)}</td></tr>'
        )
    return (
        "<table><tr><th>scenario</th><th>extra residents served</th><th>extra needs served</th>"
        "<th>extra cost (yuan)</th><th>extra volunteer hours</th><th>extra partner-unit hours</th>"
        "<th>yuan per extra resident served [95 % CI]</th><th>volunteer hours per extra resident</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _scenarios(comp: Comparison) -> str:
    rows = []
    for i, s in enumerate(comp.scenarios):
        changes = [f"<code>{_e(k)} = {_e(v)}</code>" for k, v in s.params.items()]
        changes += [f"<code>{_e(policy_text(p))}</code>" for p in s.policies]
        role = " (reference)" if i == 0 else ""
        rows.append(
            f"<tr><td><b>{_e(s.label)}</b>{role}<br><small>{_e(s.name)} · {_e(s.source)}</small></td>"
            f"<td>{_e(s.description)}</td><td>{'<br>'.join(changes) or 'none'}</td></tr>"
        )
    return (
        "<table><tr><th>scenario</th><th>what it is</th><th>changes from the baseline</th></tr>"
        + "".join(rows)
        + "</table>"
    )


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


def _provenance(comp: Comparison) -> str:
    store = comp.result.store
    inv = store.manifest["invocations"][-1]
    git = inv.get("git", {})
    facts = [
        ("output folder", str(store.root)),
        (
            "runs",
            f"{len(comp.result.specs)} ({len(comp.result.computed)} computed now, "
            f"{len(comp.result.cached)} from the cache, {len(comp.result.failed)} failed)",
        ),
        ("replications × days", f"{comp.reps} × {comp.days}"),
        ("seeds (replication: seed)", ", ".join(f"{k}: {v}" for k, v in inv.get("seeds", {}).items())),
        ("base seed", inv.get("base_seed")),
        ("executor", f"{inv.get('executor')} (workers {inv.get('workers') or 'all cores'})"),
        ("code version (hash of sim/)", inv.get("code_version")),
        ("git revision", f"{git.get('revision')}{' + uncommitted changes' if git.get('dirty') else ''}"),
        ("started / finished", f"{inv.get('started')} / {inv.get('finished') or 'still running'}"),
        ("versions", ", ".join(f"{k} {v}" for k, v in inv.get("versions", {}).items() if v)),
        ("scenario hashes", ", ".join(f"{s.name} {s.hash}" for s in comp.scenarios)),
    ]
    rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in facts)
    fails = "".join(
        f"<li>{_e(s.scenario.name)} replication {s.rep}: {_e(comp.result.failed[s.key])}</li>"
        for s in comp.result.specs
        if s.key in comp.result.failed
    )
    return f"<table>{rows}</table>" + (
        f"<p><b>Failed runs</b> (left out of every table):</p><ul>{fails}</ul>" if fails else ""
    )


def _img(images: dict[str, str], stem: str, alt: str) -> str:
    if stem not in images:
        return ""
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{images[stem]}">'


def render(comp: Comparison, images: dict[str, str]) -> str:
    """The brief as one HTML string."""
    ref = comp.reference
    title = " vs ".join(s.label for s in comp.scenarios[1:]) + f" against {ref.label}"
    maps = "".join(_img(images, f"map_{s.name}", f"map {s.label}") for s in comp.scenarios[1:])
    residents = ""
    if "residents" in comp.table:
        residents = f"{comp.table.residents.iloc[0]:,.0f} residents, "
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>govsim brief: {_e(title)}</title>
<style>{CSS}</style></head><body>
<h1>Planner brief: {_e(title)}</h1>
<p class="meta">govsim agent-based simulation of community governance (Tiexi District, Shenyang) ·
{residents}{comp.days} simulated days · {comp.reps} paired replications per scenario ·
{_e(comp.result.store.manifest["invocations"][-1].get("finished") or "")}</p>
<h2>Scenarios</h2>{_scenarios(comp)}
<h2>Headline outcomes</h2>
<p>Each cell gives the scenario's mean level and its paired difference from {_e(ref.label)}
with a {LEVEL:.0%} bootstrap interval. <span class="better">Green</span>: better with the interval
clear of zero; <span class="worse">red</span>: worse; grey: unclear, or an input such as hours and cost.</p>
{_headline(comp)}
<h2>Cost side</h2>
<p>Cost is grid-worker wages, dispatch staff time and the value of donated partner-unit labour;
volunteer time is counted in hours. A resident is served when at least one of their needs was
met by a volunteer or partner unit during the run.</p>
{_costs(comp)}
{_img(images, "forest", "forest plot of paired differences")}
<h2>Equity: who gains</h2>{_img(images, "equity", "equity panel by group")}
<h2>Over time</h2>{_img(images, "timeseries", "time series")}
<h2>Where: unmet need by grid</h2>{maps}
<h2>How to read this</h2>
<ul>
<li>Replication <i>i</i> of every scenario uses the same seed, so the same needs arise for the same
residents (common random numbers); differences are taken per replication and then averaged.</li>
<li>Intervals are percentile bootstraps ({N_BOOT:,} resamples) of the mean paired difference. With
{comp.reps} replications they are rough; run more replications (<code>--reps</code>) before a decision.</li>
<li>Reported satisfaction comes from ratings, which sit near a ceiling in published closed loops; true
satisfaction is the model's own measure and is the one to trust.</li>
<li>Parameters tagged E in <code>govsim params</code> are estimates; sweep them (<code>govsim sweep</code>)
to see whether a conclusion survives.</li>
</ul>
<h2>Provenance</h2>{_provenance(comp)}
</body></html>
"""
