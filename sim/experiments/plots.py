"""Comparison plots: time series with bands, forest plot, equity panel, per-grid map.

Figures are built with :class:`matplotlib.figure.Figure` and rendered by the
Agg canvas, so importing this module never changes the pyplot backend of a
notebook. Each function takes tidy tables and a ``labels`` mapping of
scenario name -> readable label (from the scenario files) and returns a figure;
:func:`save` writes it as PNG and SVG.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from functools import cache, wraps
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import font_manager, rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from .. import metrics
from . import formatting as fmt
from .stats import EQUITY_OUTCOMES, HEADLINE, outcome

COLOURS = ("#333333", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")
BETTER, WORSE, UNCLEAR = "#2a9d4b", "#c0392b", "#7f7f7f"
GROUP_LABELS = {
    "all": "everyone",
    "elderly_alone": "elderly living alone",
    "migrant_children": "migrant children (6-15)",
    "job_seekers": "job seekers",
}
SERIES = ("unmet_need_rate", "trust", "satisfaction_true", "volunteers_active")
CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


@cache
def _fonts() -> tuple[str, ...]:
    """Sans-serif fonts to use: DejaVu Sans, then a CJK font if one is installed (docs/design.md)."""
    families = ["DejaVu Sans"]
    for path in CJK_FONTS:
        if Path(path).exists():
            font_manager.fontManager.addfont(path)
            families.append(font_manager.FontProperties(fname=path).get_name())
            break
    return tuple(families)


def _plot(fn):
    """Build the figure with readable fonts, leaving global rcParams untouched."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        with rc_context({"font.family": "sans-serif", "font.sans-serif": list(_fonts())}):
            return fn(*args, **kwargs)

    return wrapper


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained", facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def _colour(i: int) -> str:
    return COLOURS[i % len(COLOURS)]


def save(fig: Figure, stem: Path) -> list[Path]:
    """Write ``stem.png`` (150 dpi) and ``stem.svg``; returns the paths."""
    from .store import atomic_write

    paths = []
    for ext in ("png", "svg"):
        path = stem.with_suffix(f".{ext}")
        atomic_write(path, lambda p, ext=ext: fig.savefig(p, format=ext, dpi=150))
        paths.append(path)
    return paths


def png_bytes(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()


def _axis_label(name: str) -> str:
    unit = fmt.unit_label(name)
    return f"{outcome(name).label} ({unit})" if unit else outcome(name).label


@_plot
def timeseries(
    daily: pd.DataFrame, labels: Mapping[str, str], names: Sequence[str] = SERIES, smooth: int = 7
) -> Figure:
    """Daily outcomes per scenario: mean over replications, band = range across replications.

    Args:
        daily: columns scenario, rep, day, metric, group, value.
        labels: scenario name -> label; also fixes the order.
        names: metrics to show (group ``all``).
        smooth: trailing moving-average window in days.
    """
    names = [n for n in names if n in set(daily.metric)]
    cols = 2
    rows = -(-len(names) // cols)
    fig = _figure(11, 3.2 * rows)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, name in zip(axes, names, strict=False):
        sel = daily[(daily.metric == name) & (daily.group == "all")]
        for i, (scn, label) in enumerate(labels.items()):
            wide = sel[sel.scenario == scn].pivot_table(index="day", columns="rep", values="value")
            if wide.empty:
                continue
            wide = wide.rolling(smooth, min_periods=1).mean().map(lambda v, n=name: fmt.scaled(n, v))
            ax.plot(wide.index, wide.mean(axis=1), color=_colour(i), lw=1.6, label=label)
            ax.fill_between(
                wide.index, wide.min(axis=1), wide.max(axis=1), color=_colour(i), alpha=0.18, lw=0
            )
        ax.set_title(f"{outcome(name).label} ({smooth}-day mean)", fontsize=10)
        ax.set_xlabel("day")
        ax.set_ylabel(_axis_label(name))
        ax.grid(alpha=0.3)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    reps = daily.rep.nunique()
    axes[0].legend(fontsize=8, title=f"line = mean, band = range of {reps} replications", title_fontsize=8)
    return fig


def _verdict(row, better: str | None) -> str:
    if not row.excludes_zero or better is None:
        return UNCLEAR
    up = row.ci_low > 0
    return BETTER if up == (better == "higher") else WORSE


@_plot
def forest(diffs: pd.DataFrame, labels: Mapping[str, str], names: Sequence[str] | None = None) -> Figure:
    """Paired differences (scenario − reference) with bootstrap intervals, one panel per outcome."""
    names = list(names or [o.name for o in HEADLINE])
    d = diffs[(diffs.group == "all") & diffs.outcome.isin(names)]
    names = [n for n in names if n in set(d.outcome)]
    scns = [s for s in labels if s in set(d.scenario)]
    cols = 3
    rows = -(-len(names) // cols)
    fig = _figure(12, 0.5 + rows * (0.45 * len(scns) + 1.0))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, name in zip(axes, names, strict=False):
        sub = d[d.outcome == name].set_index("scenario")
        for y, scn in enumerate(reversed(scns)):
            if scn not in sub.index:
                continue
            r = sub.loc[scn]
            c = _verdict(r, outcome(name).better)
            x, lo, hi = (fmt.scaled(name, v) for v in (r["diff"], r.ci_low, r.ci_high))
            ax.errorbar(x, y, xerr=[[x - lo], [hi - x]], fmt="o", color=c, capsize=3, ms=5)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(range(len(scns)), [labels[s] for s in reversed(scns)], fontsize=8)
        ax.set_ylim(-0.6, len(scns) - 0.4)
        ax.set_title(outcome(name).label, fontsize=10)
        ax.set_xlabel(f"difference ({fmt.diff_unit_label(name)})", fontsize=8)
        ax.grid(axis="x", alpha=0.3)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    ref = next(iter(labels.values()))
    fig.suptitle(
        f"Paired difference vs {ref}: mean and 95 % bootstrap interval "
        "(green = better, red = worse, grey = unclear or no direction)",
        fontsize=10,
    )
    return fig


@_plot
def equity(diffs: pd.DataFrame, labels: Mapping[str, str], names: Sequence[str] = EQUITY_OUTCOMES) -> Figure:
    """Paired differences by group of residents: who gains and who loses."""
    names = [n for n in names if n in set(diffs.outcome)]
    scns = [s for s in labels if s in set(diffs.scenario)]
    groups = list(metrics.GROUPS)
    fig = _figure(11, 1.2 + 2.9 * -(-len(names) // 2))
    axes = fig.subplots(-(-len(names) // 2), 2, squeeze=False).ravel()
    step = 0.8 / max(len(scns), 1)
    for ax, name in zip(axes, names, strict=False):
        sub = diffs[diffs.outcome == name]
        for i, scn in enumerate(scns):
            rows = sub[sub.scenario == scn].set_index("group").reindex(groups)
            y = np.arange(len(groups))[::-1] - (i - (len(scns) - 1) / 2) * step  # first on top
            x, lo, hi = (
                rows[c].map(lambda v, n=name: fmt.scaled(n, v)).to_numpy()
                for c in ("diff", "ci_low", "ci_high")
            )
            colour = _colour(list(labels).index(scn))
            ax.errorbar(
                x, y, xerr=[x - lo, hi - x], fmt="o", color=colour, capsize=2, ms=4, label=labels[scn]
            )
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(np.arange(len(groups))[::-1], [GROUP_LABELS.get(g, g) for g in groups], fontsize=7)
        ax.set_title(outcome(name).label, fontsize=10)
        ax.set_xlabel(f"difference ({fmt.diff_unit_label(name)})", fontsize=8)
        ax.grid(axis="x", alpha=0.3)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize=7, loc="best")
    ref = next(iter(labels.values()))
    fig.suptitle(f"Equity: paired difference vs {ref} by group, 95 % bootstrap interval", fontsize=10)
    return fig


def pooled_grid(grid: pd.DataFrame) -> pd.DataFrame:
    """Per-grid unmet rate pooled over replications (sum unmet / sum needs closed)."""
    g = grid.groupby("grid").agg(
        x_m=("x_m", "mean"), y_m=("y_m", "mean"), unmet=("unmet", "sum"), needs=("needs_closed", "sum")
    )
    g["rate"] = g.unmet / g.needs.where(g.needs > 0)
    return g


@_plot
def grid_map(ref: pd.DataFrame, scn: pd.DataFrame, ref_label: str, scn_label: str) -> Figure:
    """Unmet need per grid for the reference and a scenario, and their difference.

    Args:
        ref: grid tables of the reference's replications (columns of the store's grid table).
        scn: the same for the scenario.
    """
    a, b = pooled_grid(ref), pooled_grid(scn)
    fig = _figure(13, 4.6)
    axes = fig.subplots(1, 3)
    size = (3.2 * 72 / (np.sqrt(len(a)) * 1.25)) ** 2
    vmax = float(np.nanmax([a.rate.max(), b.rate.max(), 1e-9])) * 100
    for ax, g, title in ((axes[0], a, ref_label), (axes[1], b, scn_label)):
        sc = ax.scatter(g.x_m, g.y_m, c=g.rate * 100, s=size, marker="s", cmap="viridis", vmin=0, vmax=vmax)
        ax.set_title(f"{title}: unmet need", fontsize=10)
    fig.colorbar(sc, ax=axes[:2], label="unmet need (% of needs closed)", shrink=0.85)
    delta = (b.rate - a.rate) * 100
    lim = float(np.nanmax(np.abs(delta))) if delta.notna().any() else 1.0
    norm = TwoSlopeNorm(vcenter=0, vmin=-max(lim, 1e-6), vmax=max(lim, 1e-6))
    sc = axes[2].scatter(a.x_m, a.y_m, c=delta, s=size, marker="s", cmap="RdBu_r", norm=norm)
    axes[2].set_title(f"{scn_label} − {ref_label}", fontsize=10)
    fig.colorbar(sc, ax=axes[2], label="difference (percentage points)", shrink=0.85)
    for ax in axes:
        ax.set_aspect("equal")
        ax.margins(0.12)
        ax.set_xlabel("x (m)")
        ax.set_ylabel("y (m)")
        ax.tick_params(labelsize=7)
    reps = ref["key"].nunique() if "key" in ref else 1
    fig.suptitle(f"Unmet need by grid, pooled over {reps} replications (one square per grid)", fontsize=10)
    return fig


@_plot
def sweep_plot(points: pd.DataFrame, levers: Sequence[str], names: Sequence[str]) -> Figure:
    """Each outcome against each lever: mean over replications, bar = range across replications."""
    fig = _figure(3.4 * len(levers) + 0.6, 2.6 * len(names) + 0.4)
    axes = fig.subplots(len(names), len(levers), squeeze=False)
    for r, name in enumerate(names):
        for c, lever in enumerate(levers):
            ax = axes[r, c]
            x = points[lever].to_numpy(float)
            m, lo, hi = (
                points[f"{name}.{s}"].map(lambda v, n=name: fmt.scaled(n, v)) for s in ("mean", "min", "max")
            )
            ax.errorbar(x, m, yerr=[m - lo, hi - m], fmt="o", ms=4, color=_colour(1), alpha=0.8, capsize=2)
            if r == len(names) - 1:
                ax.set_xlabel(lever, fontsize=8)
            if c == 0:
                ax.set_ylabel(_axis_label(name), fontsize=8)
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=7)
    fig.suptitle("Sweep: outcome by lever (mean, bar = range across replications)", fontsize=10)
    return fig
