"""Outcomes of the services: canteens, unmet need by type, care, jobs, joint projects.

Declared like the loop's outcomes in :mod:`sim.metrics` and reported with them.
"""

from __future__ import annotations

import numpy as np

from .canteen import Canteens
from .needs import NeedType
from .population import Employment
from .projects import ProjectState
from .window import GROUPS, Metric, Window, count, pop_mean, share

NAN = float("nan")


def _books(w: Window, name: str) -> np.ndarray:
    """Canteen book column summed over canteens for each day of the window."""
    c: Canteens = w.model.canteens
    return c.table(name)[max(w.d0, 0) : w.d1 + 1].sum(axis=1)


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


def _residents_served(w: Window, g: str) -> float:
    def served_anyone() -> np.ndarray:
        served = np.zeros(w.model.pop.n, bool)
        served[w.col("resident")[w.by_provider]] = True
        last = w.model.last_canteen_day
        return served | ((last >= w.d0) & (last <= w.d1))

    served = w.memo("residents_served", served_anyone)
    return count(served) if g == "all" else count(served[w.model.group_index[g]])


def _closures(w: Window) -> float:
    c = w.model.canteens
    closed = np.asarray(c.closed, int)
    return count((closed >= w.d0) & (closed <= w.d1) & np.asarray(c.closed_for_losses, bool))


def _skip_rate(w: Window, g: str) -> float:
    log = w.model.meal_log[max(w.d0, 0) : w.d1 + 1, GROUPS.index(g)]
    return _ratio(float(log[:, 1].sum()), float(log[:, 0].sum()))


def _unmet_type(kind: NeedType):
    def fn(w: Window, g: str) -> float:
        sel = w.closed & w.in_group(g) & (w.col("type") == kind)
        return share(sel & w.unmet, sel)

    return fn


def _placements(w: Window, via: int | None) -> float:
    log = w.model.placements
    sel = (log["day"] >= w.d0) & (log["day"] <= w.d1)
    if via is not None:
        sel &= log["via"] == via
    return count(sel)


def _unemployment(w: Window, mask: np.ndarray | None = None) -> float:
    emp = w.model.pop.employment
    force = (emp == Employment.EMPLOYED) | (emp == Employment.UNEMPLOYED)
    if mask is not None:
        force &= mask
    return share(force & (emp == Employment.UNEMPLOYED), force)


def _projects(w: Window, column: str) -> float:
    b = w.model.projects
    day = b.arrays(column)
    return count((day >= w.d0) & (day <= w.d1)) if len(day) else 0.0


def _trainees(w: Window) -> float:
    day = w.model.trainings["day"]
    return count((day >= w.d0) & (day <= w.d1))


SERVICE_METRICS: tuple[Metric, ...] = (
    *(
        Metric(
            f"unmet_rate_{t.name.lower()}",
            "share",
            f"unmet share of {t.name.lower()} needs closed",
            _unmet_type(t),
            True,
        )
        for t in NeedType
    ),
    Metric(
        "residents_served",
        "residents",
        "distinct residents served by a provider or fed by a canteen (last meal in the window)",
        lambda w, g: _residents_served(w, g),
        True,
    ),
    Metric(
        "meal_skip_rate",
        "share",
        "days a diner who does not cook went without a proper lunch / such diner-days",
        lambda w, g: _skip_rate(w, g),
        True,
    ),
    # --- canteens ---
    Metric(
        "canteen_meals_per_day",
        "meals/day",
        "canteen meals (walk-in + delivered), all canteens",
        lambda w, g: _ratio(_meals(w), w.days),
    ),
    Metric(
        "canteen_meals_elderly_alone_per_day",
        "meals/day",
        "canteen meals reaching elderly living alone",
        lambda w, g: _per_day(w, "meals_elderly_alone"),
    ),
    Metric(
        "canteen_occupancy",
        "share",
        "walk-in meals / (seats x sittings) on open days",
        lambda w, g: _occupancy(w),
    ),
    Metric(
        "canteen_cost_recovery",
        "ratio",
        "canteen revenue / (food + labour cost)",
        lambda w, g: _ratio(
            _books(w, "revenue").sum(), _books(w, "food_cost").sum() + _books(w, "labour_cost").sum()
        ),
    ),
    Metric(
        "canteen_cost_recovery_with_subsidy",
        "ratio",
        "canteen (revenue + subsidy) / (food + labour cost)",
        lambda w, g: _ratio(
            _books(w, "revenue").sum() + _books(w, "subsidy").sum(),
            _books(w, "food_cost").sum() + _books(w, "labour_cost").sum(),
        ),
    ),
    Metric(
        "canteen_subsidy_per_meal",
        "yuan/meal",
        "subsidy paid / canteen meals",
        lambda w, g: _ratio(_books(w, "subsidy").sum(), _meals(w)),
    ),
    Metric(
        "canteen_share_60plus",
        "share",
        "canteen meals eaten by people aged 60+",
        lambda w, g: _ratio(_books(w, "meals_60plus").sum(), _meals(w)),
    ),
    Metric(
        "canteen_turned_away_per_day",
        "people/day",
        "diners turned away by a full canteen",
        lambda w, g: _per_day(w, "turned_away"),
    ),
    Metric(
        "canteens_open",
        "canteens",
        "canteens open at the end of the window",
        lambda w, g: count(w.model.canteens.is_open(w.d1)),
    ),
    Metric(
        "canteen_closures",
        "canteens",
        "canteens that closed for losses in the window",
        lambda w, g: _closures(w),
    ),
    # --- elderly care ---
    Metric(
        "care_level_mean", "level 0-3", "mean care level", lambda w, g: pop_mean(w, g, "care_level"), True
    ),
    Metric(
        "care_worsened",
        "people",
        "residents whose care level rose during the run",
        lambda w, g: count((w.model.worsened > 0) & w.masks[g]),
        True,
    ),
    # --- employment ---
    Metric(
        "placements_platform",
        "people",
        "job-seekers placed through the community platform",
        lambda w, g: _placements(w, 1),
    ),
    Metric(
        "placements_market",
        "people",
        "job-seekers who found work on the wider market",
        lambda w, g: _placements(w, 0),
    ),
    Metric("trainees", "people", "job-seekers enrolled in training projects", lambda w, g: _trainees(w)),
    Metric("unemployment_rate", "share", "unemployed / labour force", lambda w, g: _unemployment(w)),
    Metric(
        "unemployment_rate_migrant",
        "share",
        "unemployed / labour force, migrants",
        lambda w, g: _unemployment(w, w.model.pop.migrant),
    ),
    # --- 大党委 joint meetings ---
    Metric(
        "projects_funded",
        "projects",
        "needs-list projects funded at joint meetings",
        lambda w, g: _projects(w, "funded"),
    ),
    Metric("projects_completed", "projects", "projects completed", lambda w, g: _projects(w, "done")),
    Metric(
        "projects_waiting",
        "projects",
        "projects on the needs list, not funded",
        lambda w, g: count(w.model.projects.arrays("state") == ProjectState.WAITING),
    ),
    Metric(
        "money_pledged",
        "yuan",
        "money units pledged at joint meetings",
        lambda w, g: w.model.projects.pledged(w.d0, w.d1),
    ),
    Metric(
        "money_spent",
        "yuan",
        "money spent on completed projects",
        lambda w, g: w.model.projects.spent(w.d0, w.d1),
    ),
    Metric(
        "money_held",
        "yuan",
        "pledged money not yet spent (pools + projects under way)",
        lambda w, g: w.model.projects.held(),
    ),
)
