"""Live charts of the closed loop and of the equity gaps, from the model's DataCollector table.

Each function takes the wide table of ``model.datacollector.get_model_vars_dataframe()``
(one row per simulated day, columns named as in :func:`sim.metrics.metric_names`)
and returns a :class:`matplotlib.figure.Figure` (no pyplot state).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..metrics import GROUPS

FUNNEL = (
    ("needs_arisen", "needs arisen"),
    ("reported", "ordered or found"),
    ("dispatched", "dispatched"),
    ("accepted", "accepted"),
    ("served", "served"),
    ("rated", "rated"),
)
GROUP_LABELS = {
    "all": "everyone",
    "elderly_alone": "elderly living alone",
    "migrant_children": "migrant children",
    "job_seekers": "job seekers",
}
GROUP_COLOURS = {
    "all": "#333333",
    "elderly_alone": "#d62728",
    "migrant_children": "#1f77b4",
    "job_seekers": "#ff7f0e",
}
_CLOSED = ("served", "served_informally", "met_by_own_means", "expired", "lapsed")


def _col(df: pd.DataFrame, name: str, group: str = "all") -> pd.Series:
    return df[name if group == "all" else f"{name}.{group}"]


def funnel_totals(df: pd.DataFrame) -> pd.Series:
    """Totals so far of each stage of the loop (``reported`` = orders + found by grid workers)."""
    totals = {name: float(df[name].sum()) for name, _ in FUNNEL if name in df}
    totals["reported"] = float(df["orders"].sum() + df["found_by_grid"].sum())
    return pd.Series({name: totals[name] for name, _ in FUNNEL})


def unmet_so_far(df: pd.DataFrame, group: str = "all") -> pd.Series:
    """Unmet-need rate of all needs closed up to each day: cumulative (expired + lapsed) / closed."""
    unmet = (_col(df, "expired", group) + _col(df, "lapsed", group)).cumsum()
    closed = sum(_col(df, c, group) for c in _CLOSED).cumsum()
    return unmet / closed.where(closed > 0)


def _empty(ax, text: str = "press Step to run the model") -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#777777")
    ax.set_xticks([])
    ax.set_yticks([])


def _two_panels(title: str, df: pd.DataFrame, **grid) -> tuple[Figure, tuple, bool]:
    """A figure with two side-by-side axes; the bool says whether there is data to draw
    (if not, both axes already say so)."""
    fig = Figure(figsize=(6.4, 3.9), layout="constrained")
    axes = tuple(fig.subplots(1, 2, **grid))
    fig.suptitle(title, fontsize=10)
    if df.empty:
        for ax in axes:
            _empty(ax)
    return fig, axes, not df.empty


def loop_figure(df: pd.DataFrame) -> Figure:
    """The loop's funnel so far (bars) and its stages accumulating day by day (lines)."""
    title = "The closed loop: order, dispatch, accept, serve, rate"
    fig, (bars, lines), has_data = _two_panels(title, df, width_ratios=(1, 1.2))
    if not has_data:
        return fig
    totals = funnel_totals(df)
    labels = [label for _, label in FUNNEL]
    y = np.arange(len(labels))[::-1]
    bars.barh(y, totals.to_numpy(), color="#1f77b4")
    bars.set_yticks(y, [label for label in labels], fontsize=7)
    for yi, v in zip(y, totals.to_numpy(), strict=True):
        bars.text(v, yi, f" {v:,.0f}", va="center", fontsize=7)
    bars.set_xlabel("needs so far", fontsize=8)
    bars.margins(x=0.35)
    days = np.arange(1, len(df) + 1)
    for name, label in FUNNEL:
        series = df["orders"] + df["found_by_grid"] if name == "reported" else df[name]
        lines.plot(days, series.cumsum(), label=label, lw=1.2)
    lines.set_xlabel("day", fontsize=8)
    lines.legend(fontsize=6, frameon=False)
    lines.tick_params(labelsize=7)
    bars.tick_params(labelsize=7)
    return fig


def equity_figure(df: pd.DataFrame) -> Figure:
    """Unmet-need rate so far by group, and each group's gap to everyone (percentage points)."""
    fig, (level, gap), has_data = _two_panels("Unmet need and equity gaps (needs closed so far)", df)
    if not has_data:
        return fig
    days = np.arange(1, len(df) + 1)
    everyone = unmet_so_far(df, "all")
    for g in GROUPS:
        rate = unmet_so_far(df, g)
        level.plot(
            days, 100 * rate, color=GROUP_COLOURS[g], label=GROUP_LABELS[g], lw=1.4 if g == "all" else 1
        )
        if g != "all":
            gap.plot(days, 100 * (rate - everyone), color=GROUP_COLOURS[g], label=GROUP_LABELS[g])
    gap.axhline(0, color="#333333", lw=0.8)
    level.set_ylabel("unmet need (% of needs closed)", fontsize=8)
    gap.set_ylabel("gap to everyone (percentage points)", fontsize=8)
    for ax in (level, gap):
        ax.set_xlabel("day", fontsize=8)
        ax.tick_params(labelsize=7)
    level.legend(fontsize=6, frameon=False)
    return fig


def trust_figure(df: pd.DataFrame) -> Figure:
    """Trust in the committee by group, and true satisfaction against the reported ratings."""
    fig, (trust, sat), has_data = _two_panels("Trust and satisfaction", df)
    if not has_data:
        return fig
    days = np.arange(1, len(df) + 1)
    for g in GROUPS:
        trust.plot(days, _col(df, "trust", g), color=GROUP_COLOURS[g], label=GROUP_LABELS[g], lw=1)
    trust.set_ylabel("mean trust (0-1)", fontsize=8)
    trust.legend(fontsize=6, frameon=False)
    sat.plot(days, df["satisfaction_true"], color="#2a9d4b", label="true satisfaction (mean, 0-1)")
    reported = df["satisfaction_reported"].rolling(14, min_periods=1).mean()
    sat.plot(days, reported, color="#7f7f7f", label="rated satisfied (share, 14-day mean)")
    sat.set_ylim(0, 1.05)
    sat.legend(fontsize=6, frameon=False)
    for ax in (trust, sat):
        ax.set_xlabel("day", fontsize=8)
        ax.tick_params(labelsize=7)
    return fig
