"""Live charts of the closed loop and of the equity gaps, from the model's DataCollector table.

Each function takes the wide table of ``model.datacollector.get_model_vars_dataframe()``
(one row per simulated day, columns named as in :func:`sim.metrics.metric_names`)
and returns a :class:`matplotlib.figure.Figure` (no pyplot state).
"""

from __future__ import annotations

from functools import wraps

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.figure import Figure

from .. import fonts, i18n
from ..metrics import GROUPS

FUNNEL = ("needs_arisen", "reported", "dispatched", "accepted", "served", "rated")
"""Stages of the loop; their labels are the catalogue's ``chart.<stage>``."""


def group_label(group: str, lang: str = "en") -> str:
    key = "chart.migrant_children" if group == "migrant_children" else f"group.{group}"
    return i18n.t(key, lang)


def _fonts(fn):
    """Build the figure with the CJK-capable family list, kept by every text object (sim.fonts)."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        with rc_context({"font.family": fonts.families()}):
            return fn(*args, **kwargs)

    return wrapper


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
    totals = {name: float(df[name].sum()) for name in FUNNEL if name in df}
    totals["reported"] = float(df["orders"].sum() + df["found_by_grid"].sum())
    return pd.Series({name: totals[name] for name in FUNNEL})


def unmet_so_far(df: pd.DataFrame, group: str = "all") -> pd.Series:
    """Unmet-need rate of all needs closed up to each day: cumulative (expired + lapsed) / closed."""
    unmet = (_col(df, "expired", group) + _col(df, "lapsed", group)).cumsum()
    closed = sum(_col(df, c, group) for c in _CLOSED).cumsum()
    return unmet / closed.where(closed > 0)


def _empty(ax, lang: str = "en") -> None:
    ax.text(
        0.5,
        0.5,
        i18n.t("chart.press_step", lang),
        ha="center",
        va="center",
        transform=ax.transAxes,
        color="#777777",
    )
    ax.set_xticks([])
    ax.set_yticks([])


def _two_panels(title: str, df: pd.DataFrame, lang: str = "en", **grid) -> tuple[Figure, tuple, bool]:
    """A figure with two side-by-side axes; the bool says whether there is data to draw
    (if not, both axes already say so)."""
    fig = Figure(figsize=(6.4, 3.9), layout="constrained")
    axes = tuple(fig.subplots(1, 2, **grid))
    fig.suptitle(title, fontsize=10)
    if df.empty:
        for ax in axes:
            _empty(ax, lang)
    return fig, axes, not df.empty


@_fonts
def loop_figure(df: pd.DataFrame, lang: str = "en") -> Figure:
    """The loop's funnel so far (bars) and its stages accumulating day by day (lines)."""
    t = lambda key: i18n.t(key, lang)  # noqa: E731
    fig, (bars, lines), has_data = _two_panels(t("chart.loop_title"), df, lang, width_ratios=(1, 1.2))
    if not has_data:
        return fig
    totals = funnel_totals(df)
    labels = [t(f"chart.{name}") for name in FUNNEL]
    y = np.arange(len(labels))[::-1]
    bars.barh(y, totals.to_numpy(), color="#1f77b4")
    bars.set_yticks(y, [label for label in labels], fontsize=7)
    for yi, v in zip(y, totals.to_numpy(), strict=True):
        bars.text(v, yi, f" {v:,.0f}", va="center", fontsize=7)
    bars.set_xlabel(t("chart.needs_so_far"), fontsize=8)
    bars.margins(x=0.35)
    days = np.arange(1, len(df) + 1)
    for name, label in zip(FUNNEL, labels, strict=True):
        series = df["orders"] + df["found_by_grid"] if name == "reported" else df[name]
        lines.plot(days, series.cumsum(), label=label, lw=1.2)
    lines.set_xlabel(t("chart.day"), fontsize=8)
    lines.legend(fontsize=6, frameon=False)
    lines.tick_params(labelsize=7)
    bars.tick_params(labelsize=7)
    return fig


@_fonts
def equity_figure(df: pd.DataFrame, lang: str = "en") -> Figure:
    """Unmet-need rate so far by group, and each group's gap to everyone (percentage points)."""
    t = lambda key: i18n.t(key, lang)  # noqa: E731
    fig, (level, gap), has_data = _two_panels(t("chart.equity_title"), df, lang)
    if not has_data:
        return fig
    days = np.arange(1, len(df) + 1)
    everyone = unmet_so_far(df, "all")
    for g in GROUPS:
        rate = unmet_so_far(df, g)
        level.plot(
            days, 100 * rate, color=GROUP_COLOURS[g], label=group_label(g, lang), lw=1.4 if g == "all" else 1
        )
        if g != "all":
            gap.plot(days, 100 * (rate - everyone), color=GROUP_COLOURS[g], label=group_label(g, lang))
    gap.axhline(0, color="#333333", lw=0.8)
    level.set_ylabel(t("chart.unmet"), fontsize=8)
    gap.set_ylabel(t("chart.gap"), fontsize=8)
    for ax in (level, gap):
        ax.set_xlabel(t("chart.day"), fontsize=8)
        ax.tick_params(labelsize=7)
    level.legend(fontsize=6, frameon=False)
    return fig


@_fonts
def trust_figure(df: pd.DataFrame, lang: str = "en") -> Figure:
    """Trust in the committee by group, and true satisfaction against the reported ratings."""
    t = lambda key: i18n.t(key, lang)  # noqa: E731
    fig, (trust, sat), has_data = _two_panels(t("chart.trust_title"), df, lang)
    if not has_data:
        return fig
    days = np.arange(1, len(df) + 1)
    for g in GROUPS:
        trust.plot(days, _col(df, "trust", g), color=GROUP_COLOURS[g], label=group_label(g, lang), lw=1)
    trust.set_ylabel(t("chart.trust"), fontsize=8)
    trust.legend(fontsize=6, frameon=False)
    sat.plot(days, df["satisfaction_true"], color="#2a9d4b", label=t("chart.true_sat"))
    reported = df["satisfaction_reported"].rolling(14, min_periods=1).mean()
    sat.plot(days, reported, color="#7f7f7f", label=t("chart.rated_sat"))
    sat.set_ylim(0, 1.05)
    sat.legend(fontsize=6, frameon=False)
    for ax in (trust, sat):
        ax.set_xlabel(t("chart.day"), fontsize=8)
        ax.tick_params(labelsize=7)
    return fig
