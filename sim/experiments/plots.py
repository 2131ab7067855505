"""Comparison plots: time series with bands, forest plot, equity panel, per-grid map.

Figures are built with :class:`matplotlib.figure.Figure` and rendered by the
Agg canvas, so importing this module never changes the pyplot backend of a
notebook. Each function takes tidy tables and a ``labels`` mapping of
scenario name -> readable label (from the scenario files) and returns a figure;
:func:`save` writes it as PNG and SVG.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import wraps
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from .. import fonts, i18n, metrics
from . import formatting as fmt
from .stats import EQUITY_OUTCOMES, HEADLINE, outcome, verdict

COLOURS = ("#333333", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (3, 1)), (0, (1, 2)), (0, (8, 2)))
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
BETTER, WORSE, UNCLEAR = "#2a9d4b", "#c0392b", "#7f7f7f"
VERDICT_COLOURS = {"better": BETTER, "worse": WORSE, "none": UNCLEAR, "input": UNCLEAR}
SERIES = ("unmet_need_rate", "trust", "satisfaction_true", "volunteers_active")


def group_label(group: str) -> str:
    return i18n.group_label(group)


def _plot(fn):
    """Build the figure with the CJK-capable font list (:mod:`sim.fonts`), leaving global rcParams
    untouched. The family list is explicit, not the generic ``sans-serif``: every text object
    keeps it, so saving the figure later, outside this context, draws with the same fonts."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        with rc_context({"font.family": fonts.families(), "axes.formatter.useoffset": False}):
            return fn(*args, **kwargs)

    return wrapper


def _label(name: str) -> str:
    return i18n.outcome_label(name, outcome(name).label)


def tick_text(v: float, _pos=None) -> str:
    """A tick label that stays short for tiny and huge values: 0.00012, 1.2k, 3.4M."""
    a = abs(v)
    if a == 0:
        return "0"
    if a >= 1e6:
        return f"{v / 1e6:.3g}M"
    if a >= 1e4:
        return f"{v / 1e3:.3g}k"
    if a >= 1e3:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def _ticks(ax, axis: str = "both", bins: int = 5) -> None:
    """At most ``bins`` ticks with short labels (:func:`tick_text`) on the given axes."""
    for a in ("x", "y") if axis == "both" else (axis,):
        target = ax.xaxis if a == "x" else ax.yaxis
        target.set_major_locator(MaxNLocator(nbins=bins))
        target.set_major_formatter(FuncFormatter(tick_text))


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained", facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def _colour(i: int) -> str:
    return COLOURS[i % len(COLOURS)]


def save(fig: Figure, stem: Path) -> list[Path]:
    """Write ``stem.png`` (150 dpi) and ``stem.svg``; returns the paths.

    The layout (constrained) is computed once, when the PNG is drawn, and the SVG is drawn
    with the same positions instead of laying the figure out again."""
    from .store import atomic_write

    paths = []
    engine = fig.get_layout_engine()
    try:
        with rc_context({"font.family": fonts.families(), "svg.fonttype": "path"}):
            for ext in ("png", "svg"):
                path = stem.with_suffix(f".{ext}")
                atomic_write(path, lambda p, ext=ext: fig.savefig(p, format=ext, dpi=150))
                paths.append(path)
                fig.set_layout_engine("none")
    finally:
        fig.set_layout_engine(engine)
    return paths


def _axis_label(name: str) -> str:
    unit = fmt.unit_label(name)
    return f"{_label(name)} ({unit})" if unit else _label(name)


def _leading_empty(wides: list[pd.DataFrame]) -> int:
    """Days at the start with no value above zero in any scenario or replication: a rate over no
    closed needs yet, not a result. They are cut from the figure, which says so."""
    first = []
    for wide in wides:
        nonzero = wide.fillna(0).ne(0).any(axis=1)
        first.append(int(wide.index[nonzero.to_numpy().argmax()]) if nonzero.any() else None)
    starts = [f for f in first if f is not None]
    lowest = min(w.index.min() for w in wides) if wides else 0
    return max(min(starts) - lowest, 0) if starts else 0


@_plot
def timeseries(
    daily: pd.DataFrame,
    labels: Mapping[str, str],
    names: Sequence[str] = SERIES,
    smooth: int = 7,
    spinup: int = 0,
) -> Figure:
    """Daily outcomes per scenario (top of each pair) and their difference from the reference
    (below it): mean over replications, band = range across replications.

    Scenarios differ by colour, line style and marker, so lines that lie on top of each other stay
    distinguishable; the difference panel shows what the overlap hides.

    Args:
        daily: columns scenario, rep, day, metric, group, value.
        labels: scenario name -> label; also fixes the order (the first is the reference).
        names: metrics to show (group ``all``).
        smooth: trailing moving-average window in days.
        spinup: days of spin-up before day 0 (for the axis label).
    """
    names = [n for n in names if n in set(daily.metric)]
    cols = 2
    rows = -(-len(names) // cols)
    fig = _figure(11, 4.6 * rows)
    grid = fig.add_gridspec(rows * 2, cols, height_ratios=[2.2, 1] * rows)
    ref = next(iter(labels))
    t = i18n.t
    xlabel = t("plot.day_measured", spinup=spinup) if spinup else t("plot.day")
    for k, name in enumerate(names):
        ax = fig.add_subplot(grid[2 * (k // cols), k % cols])
        dx = fig.add_subplot(grid[2 * (k // cols) + 1, k % cols], sharex=ax)
        sel = daily[(daily.metric == name) & (daily.group == "all")]
        wides = {
            scn: sel[sel.scenario == scn].pivot_table(index="day", columns="rep", values="value")
            for scn in labels
        }
        wides = {k2: w for k2, w in wides.items() if not w.empty}
        cut = _leading_empty(list(wides.values())) if outcome(name).unit == "share" else 0
        means = {}
        for i, (scn, wide) in enumerate(wides.items()):
            wide = wide.iloc[cut:]
            wide = wide.rolling(smooth, min_periods=1).mean().map(lambda v, n=name: fmt.scaled(n, v))
            style = {"color": _colour(i), "ls": LINESTYLES[i % len(LINESTYLES)]}
            every = max(len(wide) // 8, 1)
            ax.plot(
                wide.index, wide.mean(axis=1), lw=1.6, label=labels[scn], marker=MARKERS[i % len(MARKERS)],
                markevery=(i * every // max(len(wides), 1), every), ms=4, **style,
            )  # fmt: skip
            ax.fill_between(
                wide.index, wide.min(axis=1), wide.max(axis=1), color=_colour(i), alpha=0.15, lw=0
            )
            means[scn] = wide
        if ref in means:
            for i, (scn, wide) in enumerate(means.items()):
                if scn == ref:
                    continue
                both = wide.columns.intersection(means[ref].columns)
                d = wide[both] - means[ref][both]
                dx.plot(d.index, d.mean(axis=1), color=_colour(i), ls=LINESTYLES[i % len(LINESTYLES)], lw=1.3)
                dx.fill_between(d.index, d.min(axis=1), d.max(axis=1), color=_colour(i), alpha=0.15, lw=0)
            dx.axhline(0, color="black", lw=0.8)
        ax.set_title(t("plot.mean_of", label=_label(name), smooth=smooth), fontsize=10)
        ax.set_ylabel(_axis_label(name), fontsize=8)
        dx.set_ylabel(t("plot.difference", unit=fmt.diff_unit_label(name)), fontsize=7)
        dx.set_title(
            t("plot.diff_panel", label="", reference=labels.get(ref, ref)).lstrip("：: "), fontsize=8
        )
        dx.set_xlabel(xlabel, fontsize=8)
        ax.tick_params(labelbottom=False, labelsize=7)
        dx.tick_params(labelsize=7)
        for a in (ax, dx):
            a.grid(alpha=0.3)
            _ticks(a, "y", 4)
        if cut:
            ax.text(
                0.01, 0.02, t("plot.no_data_yet") + f" (0-{cut - 1})", transform=ax.transAxes, fontsize=7,
                color="#555",
            )  # fmt: skip
    reps = daily.rep.nunique()
    if names:
        fig.axes[0].legend(fontsize=8, title=t("plot.band", reps=reps), title_fontsize=8)
    return fig


@_plot
def forest(
    diffs: pd.DataFrame, labels: Mapping[str, str], names: Sequence[str] | None = None, note: str = ""
) -> Figure:
    """Paired differences (scenario − reference) with bootstrap intervals, one panel per outcome;
    the grey band is the smallest difference that matters (±), so a point inside it is no
    practical difference even when its interval is clear of zero. With a ``share_better``
    column each point is marked "k/n": the pairs (parameter sets) in which the scenario did
    better. ``note`` is added to the title (what the intervals cover)."""
    names = list(names or [o.name for o in HEADLINE])
    d = diffs[(diffs.group == "all") & diffs.outcome.isin(names)]
    names = [n for n in names if n in set(d.outcome)]
    scns = [s for s in labels if s in set(d.scenario)]
    cols = 3
    rows = -(-len(names) // cols)
    fig = _figure(12, 0.8 + rows * (0.45 * len(scns) + 1.1))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, name in zip(axes, names, strict=False):
        sub = d[d.outcome == name].set_index("scenario")
        m = outcome(name)
        band = 0.0
        for y, scn in enumerate(reversed(scns)):
            if scn not in sub.index:
                continue
            r = sub.loc[scn]
            mid = m.smallest_difference(r.reference_mean)
            band = max(band, fmt.scaled(name, mid))
            c = VERDICT_COLOURS[verdict(r["diff"], r.ci_low, r.ci_high, m, mid)]
            x, lo, hi = (fmt.scaled(name, v) for v in (r["diff"], r.ci_low, r.ci_high))
            ax.errorbar(x, y, xerr=[[x - lo], [hi - x]], fmt="o", color=c, capsize=3, ms=5)
            share = r.get("share_better", float("nan"))
            if share == share and m.better is not None:
                k = round(share * r.n)
                ax.annotate(
                    i18n.t("plot.share_better", k=k, n=int(r.n)), (x, y), xytext=(0, 5),
                    textcoords="offset points", ha="center", fontsize=6, color="#555555",
                )  # fmt: skip
        if band > 0 and m.better is not None:
            ax.axvspan(-band, band, color="#dddddd", alpha=0.6, lw=0)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(range(len(scns)), [labels[s] for s in reversed(scns)], fontsize=8)
        ax.set_ylim(-0.6, len(scns) - 0.4)
        ax.set_title(_label(name), fontsize=10)
        ax.set_xlabel(i18n.t("plot.difference", unit=fmt.diff_unit_label(name)), fontsize=8)
        ax.grid(axis="x", alpha=0.3)
        _ticks(ax, "x", 4)
        ax.tick_params(axis="x", labelsize=7)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    ref = next(iter(labels.values()))
    title = i18n.t("plot.forest_title", reference=ref) + (f" — {note}" if note else "")
    fig.suptitle(_wrap(title, 120), fontsize=9)
    return fig


def _wrap(text: str, width: int) -> str:
    """Break a long title in two near the middle (at a space, or anywhere in CJK text)."""
    if len(text) <= width:
        return text
    mid = len(text) // 2
    cut = text.rfind(" ", 0, mid + 10)
    cut = cut if cut > mid - 30 else mid
    return text[:cut].rstrip() + "\n" + text[cut:].lstrip()


@_plot
def equity(
    diffs: pd.DataFrame, labels: Mapping[str, str], names: Sequence[str] = EQUITY_OUTCOMES, note: str = ""
) -> Figure:
    """Paired differences by group of residents: who gains and who loses (``note``: what the
    intervals cover, added to the title)."""
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
            k = list(labels).index(scn)
            ax.errorbar(
                x, y, xerr=[x - lo, hi - x], fmt=MARKERS[k % len(MARKERS)], color=_colour(k), capsize=2, ms=4,
                label=labels[scn],
            )  # fmt: skip
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(np.arange(len(groups))[::-1], [group_label(g) for g in groups], fontsize=7)
        ax.set_title(_label(name), fontsize=10)
        ax.set_xlabel(i18n.t("plot.difference", unit=fmt.diff_unit_label(name)), fontsize=8)
        ax.grid(axis="x", alpha=0.3)
        _ticks(ax, "x", 4)
        ax.tick_params(axis="x", labelsize=7)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize=7, loc="best")
    ref = next(iter(labels.values()))
    title = i18n.t("plot.equity_title", reference=ref) + (f" — {note}" if note else "")
    fig.suptitle(_wrap(title, 120), fontsize=10)
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
    t = i18n.t
    a, b = pooled_grid(ref), pooled_grid(scn)
    fig = _figure(13, 4.8)
    axes = fig.subplots(1, 3)
    size = (3.2 * 72 / (np.sqrt(len(a)) * 1.25)) ** 2
    vmax = float(np.nanmax([a.rate.max(), b.rate.max(), 1e-9])) * 100
    for ax, g, title in ((axes[0], a, ref_label), (axes[1], b, scn_label)):
        sc = ax.scatter(g.x_m, g.y_m, c=g.rate * 100, s=size, marker="s", cmap="viridis", vmin=0, vmax=vmax)
        ax.set_title(t("plot.map_unmet", label=title), fontsize=10)
    cb = fig.colorbar(sc, ax=axes[:2], label=t("plot.map_colour"), shrink=0.85)
    cb.ax.yaxis.set_major_formatter(FuncFormatter(tick_text))
    delta = (b.rate - a.rate) * 100
    lim = float(np.nanmax(np.abs(delta))) if delta.notna().any() else 1.0
    norm = TwoSlopeNorm(vcenter=0, vmin=-max(lim, 1e-6), vmax=max(lim, 1e-6))
    sc = axes[2].scatter(a.x_m, a.y_m, c=delta, s=size, marker="s", cmap="RdBu_r", norm=norm)
    axes[2].set_title(f"{scn_label} − {ref_label}", fontsize=10)
    cb = fig.colorbar(sc, ax=axes[2], label=t("plot.map_diff"), shrink=0.85)
    cb.ax.yaxis.set_major_locator(MaxNLocator(nbins=5))
    cb.ax.yaxis.set_major_formatter(FuncFormatter(tick_text))
    for ax in axes:
        ax.set_aspect("equal")
        ax.margins(0.12)
        ax.set_xlabel(t("plot.map_x"), fontsize=7)
        ax.set_ylabel(t("plot.map_y"), fontsize=7)
        ax.tick_params(labelsize=7)
        _ticks(ax, "both", 4)
    reps = ref["key"].nunique() if "key" in ref else 1
    fig.suptitle(t("plot.map_title", reps=reps), fontsize=10)
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
            _ticks(ax, "both", 4)
    fig.suptitle(i18n.t("plot.sweep_title"), fontsize=10)
    return fig
