"""Outcomes of the canteens service: meals, seats, money and skipped lunches."""

from __future__ import annotations

import numpy as np

from ..window import GROUPS, Metric, Window, count

NAN = float("nan")


def _books(w: Window, name: str) -> np.ndarray:
    """Canteen book column summed over canteens for each day of the window."""
    return w.model.canteens.table(name)[max(w.d0, 0) : w.d1 + 1].sum(axis=1)


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else NAN


def _per_day(w: Window, name: str) -> float:
    v = _books(w, name)
    return float(v.sum() / len(v)) if len(v) else NAN


def _meals(w: Window) -> float:
    return float(_books(w, "meals_walkin").sum() + _books(w, "meals_delivered").sum())


def _occupancy(w: Window) -> float:
    c = w.model.canteens
    days = c.book_days[max(w.d0, 0) : w.d1 + 1]
    opened, closed = np.asarray(c.opened, int), np.asarray(c.closed, int)
    # A canteen serves on the day it closes (the books close after lunch).
    is_open = (opened <= days[:, None]) & ((closed < 0) | (closed >= days[:, None]))
    seats = float((is_open * c.capacity()).sum())
    return _ratio(float(_books(w, "meals_walkin").sum()), seats)


def _closures(w: Window) -> float:
    c = w.model.canteens
    closed = np.asarray(c.closed, int)
    return count((closed >= w.d0) & (closed <= w.d1) & np.asarray(c.closed_for_losses, bool))


def _skip_rate(w: Window, g: str) -> float:
    log = w.model.canteens.meal_log[max(w.d0, 0) : w.d1 + 1, GROUPS.index(g)]
    return _ratio(float(log[:, 1].sum()), float(log[:, 0].sum()))


def _recovery(w: Window, subsidy: bool) -> float:
    income = _books(w, "revenue").sum() + (_books(w, "subsidy").sum() if subsidy else 0)
    return _ratio(income, _books(w, "food_cost").sum() + _books(w, "labour_cost").sum())


CANTEEN_OUTCOMES: tuple[Metric, ...] = (
    Metric(
        "meal_skip_rate",
        "share",
        "days a diner who does not cook went without a proper lunch / such diner-days",
        _skip_rate,
        True,
        label="Skipped lunches (non-cooks)",
        direction="lower",
    ),  # fmt: skip
    Metric(
        "canteen_meals_per_day",
        "meals/day",
        "canteen meals (walk-in + delivered), all canteens",
        lambda w, g: _ratio(_meals(w), w.days),
        label="Canteen meals per day",
        direction="higher",
        headline=14,
    ),  # fmt: skip
    Metric(
        "canteen_meals_elderly_alone_per_day",
        "meals/day",
        "canteen meals reaching elderly living alone",
        lambda w, g: _per_day(w, "meals_elderly_alone"),
        label="Canteen meals to elders alone",
        direction="higher",
    ),  # fmt: skip
    Metric(
        "canteen_occupancy",
        "share",
        "walk-in meals / (seats x sittings) on open days",
        lambda w, g: _occupancy(w),
        label="Canteen occupancy",
    ),  # fmt: skip
    Metric(
        "canteen_cost_recovery",
        "ratio",
        "canteen revenue / (food + labour cost)",
        lambda w, g: _recovery(w, False),
        label="Canteen cost recovery",
        direction="higher",
    ),  # fmt: skip
    Metric(
        "canteen_cost_recovery_with_subsidy",
        "ratio",
        "canteen (revenue + subsidy) / (food + labour cost)",
        lambda w, g: _recovery(w, True),
        label="Canteen cost recovery with subsidy",
        direction="higher",
    ),  # fmt: skip
    Metric(
        "canteen_subsidy_per_meal",
        "yuan/meal",
        "subsidy paid / canteen meals",
        lambda w, g: _ratio(_books(w, "subsidy").sum(), _meals(w)),
        label="Subsidy per canteen meal",
    ),  # fmt: skip
    Metric(
        "canteen_share_60plus",
        "share",
        "canteen meals eaten by people aged 60+",
        lambda w, g: _ratio(_books(w, "meals_60plus").sum(), _meals(w)),
        label="Canteen meals to people 60+",
    ),  # fmt: skip
    Metric(
        "canteen_turned_away_per_day",
        "people/day",
        "diners turned away by a full canteen",
        lambda w, g: _per_day(w, "turned_away"),
        label="Turned away by a full canteen",
        direction="lower",
    ),  # fmt: skip
    Metric(
        "canteens_open",
        "canteens",
        "canteens open at the end of the window",
        lambda w, g: count(w.model.canteens.is_open(w.d1)),
        label="Canteens open",
    ),  # fmt: skip
    Metric(
        "canteen_closures",
        "canteens",
        "canteens that closed for losses in the window",
        lambda w, g: _closures(w),
        label="Canteens closed for losses",
        direction="lower",
        flow=True,
    ),  # fmt: skip
)
