"""The outcome registry: every outcome declared once, as a pure function of model state.

Each :class:`Metric` is computed over a window of days ``[d0, d1]``: flows
count events (an order, a service, an expiry) whose day falls in the window;
state metrics (trust, ties) read the current arrays. Metrics marked
``by_group`` are also reported for each group of :data:`GROUPS`. The daily
series uses one-day windows; ``summary.json`` uses the whole run.

The shared outcomes of the loop, the network, the providers and the cost are
declared here; each service declares its own (``Service.outcomes``).
:func:`registry` puts them together for a model; :data:`METRICS` is the
registry of the default services. The headline table of comparisons, the
sweep outcomes, labels, units and directions are all read from it.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

import mesa
import numpy as np
import pandas as pd

from .needs import INFORMAL, OWN_MEANS, NeedState, NeedType
from .network import TieKind
from .providers import ProviderKind, ProviderState
from .services import DEFAULT_SERVICES
from .window import (
    GROUP_DOCS,
    GROUPS,
    Metric,
    Window,
    count,
    gini,
    mean_over,
    pop_mean,
    quantile,
    quantiles,
    share,
    window_mean,
)

__all__ = [
    "GROUPS",
    "GROUP_DOCS",
    "METRICS",
    "Metric",
    "collector_columns",
    "day_values",
    "headline",
    "make_collector",
    "metric_names",
    "registry",
    "report",
]

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .model import GovModel
    from .services.base import Service


def _unmet(w: Window, g: str) -> float:
    def compute() -> float:
        sel = w.closed & w.in_group(g)
        return share(sel & w.unmet, sel)

    return w.memo(("unmet", g), compute)


def _response(w: Window, g: str, q: float) -> float:
    sel = w.by_provider & w.in_group(g)
    return quantile((w.col("day_closed") - w.col("day_ordered"))[sel], q)


def _accept(w: Window, g: str, q: float) -> float:
    sel = w.during("day_accepted") & w.in_group(g)
    return quantile((w.col("day_accepted") - w.col("day_ordered"))[sel], q)


def _waited(w: Window, g: str, q: float) -> float:
    sel = w.by_provider & w.in_group(g)
    return quantile((w.col("day_closed") - w.col("day_arisen"))[sel], q)


def _unmet_hours(w: Window, g: str) -> float:
    sel = w.closed & w.in_group(g)
    hours = w.model.hours_by_type[w.col("type")]
    total = float(hours[sel].sum())
    return float(hours[sel & w.unmet].sum()) / total if total else float("nan")


def _utilisation(w: Window, kinds: tuple[ProviderKind, ...]) -> float:
    """Hours served in the window / hours the active providers of ``kinds`` offer over it."""
    pr = w.model.providers
    mine = pr.kind == kinds[0]  # np.isin(pr.kind, kinds), without its set-up
    for kind in kinds[1:]:
        mine = mine | (pr.kind == kind)
    offered = float(pr.hours_month[mine & (pr.state == ProviderState.ACTIVE)].sum()) * w.days / 30.0
    return float(_provider_hours(w)[mine].sum()) / offered if offered else float("nan")


def _neighbour_degree(w: Window) -> np.ndarray:
    return w.model.neighbour_ties


def _volunteers(w: Window) -> np.ndarray:
    return w.model.providers.kind == ProviderKind.VOLUNTEER


def _provider_hours(w: Window) -> np.ndarray:
    """Hours per provider from services done in the window."""

    def compute() -> np.ndarray:
        sel = w.by_provider
        hours = w.model.hours_by_type[w.col("type")[sel]]
        return np.bincount(w.col("provider")[sel], hours, minlength=w.model.providers.n)

    return w.memo("provider_hours", compute)


def _top10_share(w: Window) -> float:
    hours = np.sort(_provider_hours(w)[_volunteers(w)])[::-1]
    total = hours.sum()
    top = max(1, int(np.ceil(0.1 * len(hours))))
    return float(hours[:top].sum() / total) if total > 0 else float("nan")


def _retention(w: Window) -> float:
    pr = w.model.providers
    start = max(0, w.d1 - 365)
    # Registered a year before the window's end (or at the start of a shorter run) ...
    cohort = _volunteers(w) & (pr.joined_day <= start) & ((pr.left_day < 0) | (pr.left_day > start))
    stayed = cohort & ((pr.left_day < 0) | (pr.left_day > w.d1))  # ... and still registered
    return share(stayed, cohort)


def _left(w: Window, burnout: bool | None) -> float:
    pr = w.model.providers
    sel = _volunteers(w) & (pr.left_day >= w.d0) & (pr.left_day <= w.d1)
    if burnout is not None:
        sel &= pr.burnout == burnout
    return count(sel)


def _cost(w: Window) -> float:
    """Grid workers' and paid staff's wages, dispatch staff time, donated unit labour
    and canteen subsidy, in yuan."""
    return w.memo("cost", lambda: _compute_cost(w))


def _compute_cost(w: Window) -> float:
    m, p = w.model, w.model.params
    grids = len(m.pop.grid_community)
    staff = grids * p.grid_workers_per_grid * p.grid_worker_cost_day * w.days
    pr = m.providers
    paid = (pr.kind == ProviderKind.SOCIAL_WORKER) | (pr.kind == ProviderKind.CARE_STAFF)
    paid &= pr.state != ProviderState.DROPPED
    staff += count(paid) * p.staff_cost_day * w.days
    dispatched = count(w.during("day_dispatched")) if p.dispatch_rule != "none" else 0.0
    unit_hours = _provider_hours(w)[pr.kind == ProviderKind.UNIT].sum()
    services = sum(s.cost_yuan(w) for s in m.services)  # e.g. the canteen subsidy
    return float(staff + dispatched * p.dispatch_cost_order + unit_hours * p.unit_hour_value + services)


def _unmet_gini_grid(w: Window) -> float:
    pop = w.model.pop
    sel = w.closed & w.unmet
    per_grid = np.bincount(pop.grid[w.col("resident")[sel]], minlength=len(pop.grid_community))
    return gini(per_grid / np.maximum(w.model.grid_residents, 1))


def _event(name: str, extra=None):
    def fn(w: Window, g: str) -> float:
        sel = w.during(name) & w.in_group(g)
        return count(sel if extra is None else sel & extra(w))

    return fn


def _closed_as(state: NeedState, provider=None):
    """Needs closed in ``state``; ``provider`` is a predicate on the provider column."""

    def fn(w: Window, g: str) -> float:
        sel = w.closed & w.in_group(g) & (w.state == state)
        if provider is not None:
            sel &= provider(w.col("provider"))
        return count(sel)

    return fn


CORE_METRICS: tuple[Metric, ...] = (
    # --- the loop's funnel ---
    Metric(
        "needs_arisen",
        "needs",
        "needs that arose",
        _event("day_arisen"),
        True,
        label="Needs arisen",
        flow=True,
    ),
    Metric(
        "orders",
        "needs",
        "needs ordered by the resident (点单)",
        _event("day_ordered", lambda w: ~w.col("found")),
        True,
        label="Orders (点单)",
        flow=True,
    ),
    Metric(
        "found_by_grid",
        "needs",
        "hidden needs found by grid workers' visits",
        _event("day_ordered", lambda w: w.col("found")),
        True,
        label="Found by grid workers",
        flow=True,
    ),
    Metric(
        "dispatched",
        "needs",
        "needs sent to a provider for the first time (派单)",
        _event("day_dispatched"),
        True,
        label="Dispatched (派单)",
        flow=True,
    ),
    Metric(
        "accepted",
        "needs",
        "needs a provider accepted (接单)",
        _event("day_accepted"),
        True,
        label="Accepted (接单)",
        flow=True,
    ),
    Metric(
        "served",
        "needs",
        "needs served by a volunteer, unit or paid staff",
        _closed_as(NeedState.DONE, lambda p: p >= 0),
        True,
        label="Needs served",
        direction="higher",
        headline=11,
        flow=True,
    ),
    Metric(
        "served_informally",
        "needs",
        "hidden needs met by kin or neighbours",
        _closed_as(NeedState.DONE, lambda p: p == INFORMAL),
        True,
        label="Met by kin or neighbours",
        flow=True,
    ),
    Metric(
        "met_by_own_means",
        "needs",
        "meal needs met at the canteen or by takeaway",
        _closed_as(NeedState.DONE, lambda p: p == OWN_MEANS),
        True,
        label="Meals by own means",
        flow=True,
    ),
    Metric(
        "rated",
        "needs",
        "services the resident rated (评单)",
        lambda w, g: count(w.closed & w.in_group(g) & (w.col("rating") > 0)),
        True,
        label="Rated (评单)",
        flow=True,
    ),
    Metric(
        "expired",
        "needs",
        "orders that expired unserved",
        _closed_as(NeedState.EXPIRED),
        True,
        label="Orders expired",
        direction="lower",
        flow=True,
    ),
    Metric(
        "lapsed",
        "needs",
        "hidden needs never reported nor found",
        _closed_as(NeedState.LAPSED),
        True,
        label="Needs lapsed unreported",
        direction="lower",
        flow=True,
    ),
    # --- loop quality ---
    Metric(
        "unmet_need_rate",
        "share",
        "(expired + lapsed) / needs closed in the window",
        _unmet,
        True,
        label="Unmet need",
        direction="lower",
        headline=1,
        run_table=True,
        sweep=True,
    ),
    Metric(
        "hidden_need_rate",
        "share",
        "lapsed / needs closed in the window",
        lambda w, g: share(
            w.closed & w.in_group(g) & (w.state == NeedState.LAPSED), w.closed & w.in_group(g)
        ),
        True,
        label="Hidden unmet need",
        direction="lower",
        headline=2,
        run_table=True,
        sweep=True,
    ),
    Metric(
        "unmet_gap",
        "share",
        "group's unmet-need rate minus everyone's",
        lambda w, g: _unmet(w, g) - _unmet(w, "all"),
        True,
        label="Unmet-need gap to everyone",
        direction="lower",
    ),
    Metric(
        "unmet_gini_grid",
        "0-1",
        "Gini across grids of unmet needs per resident",
        lambda w, g: _unmet_gini_grid(w),
        label="Unmet need across grids (Gini)",
        direction="lower",
    ),
    Metric(
        "response_days_median",
        "days",
        "median order→done time of served needs",
        lambda w, g: _response(w, g, 0.5),
        True,
        label="Response time, median",
        direction="lower",
        headline=3,
        run_table=True,
    ),
    Metric(
        "response_days_p90",
        "days",
        "90th percentile order→done time",
        lambda w, g: _response(w, g, 0.9),
        True,
        label="Response time, p90",
        direction="lower",
        run_table=True,
    ),
    Metric(
        "accept_days_median",
        "days",
        "median order→accept time of needs accepted in the window",
        lambda w, g: _accept(w, g, 0.5),
        True,
        label="Time to acceptance, median",
        direction="lower",
    ),  # fmt: skip
    Metric(
        "accept_days_p90",
        "days",
        "90th percentile order→accept time",
        lambda w, g: _accept(w, g, 0.9),
        True,
        label="Time to acceptance, p90",
        direction="lower",
    ),  # fmt: skip
    Metric(
        "wait_days_median",
        "days",
        "median time from a need arising to its service (served needs)",
        lambda w, g: _waited(w, g, 0.5),
        True,
        label="Wait from need to service, median",
        direction="lower",
    ),  # fmt: skip
    Metric(
        "wait_days_p90",
        "days",
        "90th percentile time from a need arising to its service",
        lambda w, g: _waited(w, g, 0.9),
        True,
        label="Wait from need to service, p90",
        direction="lower",
    ),  # fmt: skip
    Metric(
        "unmet_hours_rate",
        "share",
        "hours of needs closed unmet / hours of all needs closed (each need weighted by its service time)",
        _unmet_hours,
        True,
        label="Unmet need, by hours",
        direction="lower",
    ),  # fmt: skip
    Metric(
        "satisfaction_reported",
        "share",
        "ratings of 4-5 stars / ratings (closed loop only)",
        lambda w, g: share(
            w.closed & w.in_group(g) & (w.col("rating") >= 4),
            w.closed & w.in_group(g) & (w.col("rating") > 0),
        ),
        True,
        label="Reported satisfied (ratings)",
        direction="higher",
        headline=5,
        run_table=True,
    ),
    Metric(
        "service_quality_true",
        "0-1",
        "mean true quality of services done",
        lambda w, g: (
            float(np.nanmean(w.col("quality")[w.by_provider & w.in_group(g)]))
            if (w.by_provider & w.in_group(g)).any()
            else float("nan")
        ),
        True,
        label="True service quality",
        direction="higher",
    ),
    Metric(
        "satisfaction_true",
        "0-1",
        "true satisfaction of residents, mean over the window's days",
        lambda w, g: window_mean(w, g, "satisfaction"),
        True,
        label="True satisfaction",
        direction="higher",
        headline=4,
        run_table=True,
        sweep=True,
    ),
    Metric(
        "trust",
        "0-1",
        "trust in the committee, mean over the window's days",
        lambda w, g: window_mean(w, g, "trust"),
        True,
        label="Trust in committee",
        direction="higher",
        headline=6,
        run_table=True,
        sweep=True,
    ),
    Metric(
        "awareness",
        "0-1",
        "mean awareness of services",
        lambda w, g: pop_mean(w, g, "awareness"),
        True,
        label="Awareness of services",
        direction="higher",
    ),
    # --- social capital ---
    Metric(
        "ties_per_person",
        "ties",
        "ties outside the household per resident",
        lambda w, g: w.network_cached(f"ties.{g}", lambda: mean_over(w, _neighbour_degree(w), g)),
        True,
        label="Neighbour ties per person",
        direction="higher",
        headline=7,
        run_table=True,
    ),
    Metric(
        "isolated_share",
        "share",
        "residents with no tie outside their household",
        lambda w, g: w.network_cached(f"isolated.{g}", lambda: mean_over(w, _neighbour_degree(w) == 0, g)),
        True,
        label="Isolated residents",
        direction="lower",
        headline=8,
        run_table=True,
    ),
    Metric(
        "clustering",
        "0-1",
        "mean local clustering coefficient (every k-th resident)",
        lambda w, g: w.model.clustering(),
        label="Clustering",
    ),
    Metric(
        "cross_building_share",
        "share",
        "neighbour ties that link two buildings",
        lambda w, g: w.network_cached("cross_building", lambda: _cross_building(w)),
        label="Ties across buildings",
    ),
    # --- volunteers ---
    Metric(
        "volunteers_registered",
        "people",
        "volunteers registered and not dropped out",
        lambda w, g: count(_volunteers(w) & (w.model.providers.state != ProviderState.DROPPED)),
        label="Registered volunteers",
        direction="higher",
    ),
    Metric(
        "volunteers_active",
        "people",
        "volunteers taking dispatches",
        lambda w, g: count(_volunteers(w) & (w.model.providers.state == ProviderState.ACTIVE)),
        label="Active volunteers",
        direction="higher",
        headline=9,
        sweep=True,
    ),
    Metric(
        "volunteer_hours",
        "hours",
        "hours of service given by volunteers",
        lambda w, g: float(_provider_hours(w)[_volunteers(w)].sum()),
        label="Volunteer hours",
        headline=10,
        flow=True,
    ),
    Metric(
        "volunteer_hours_top10_share",
        "share",
        "share of volunteer hours from the busiest 10 %",
        lambda w, g: _top10_share(w),
        label="Hours from the busiest 10 %",
    ),
    Metric(
        "volunteer_retention_12m",
        "share",
        "volunteers registered a year before the end (or at start) still registered",
        lambda w, g: _retention(w),
        label="Volunteer retention, 12 months",
        direction="higher",
    ),
    Metric(
        "volunteer_dropouts",
        "people",
        "volunteers who left",
        lambda w, g: _left(w, None),
        label="Volunteer dropouts",
        direction="lower",
        flow=True,
    ),
    Metric(
        "burnout_dropouts",
        "people",
        "volunteers who left overloaded",
        lambda w, g: _left(w, True),
        label="Burnout dropouts",
        direction="lower",
        flow=True,
    ),
    Metric(
        "utilisation_volunteers",
        "share",
        "volunteer hours served / hours active volunteers offer",
        lambda w, g: _utilisation(w, (ProviderKind.VOLUNTEER,)),
        label="Volunteers' hours used",
    ),  # fmt: skip
    Metric(
        "utilisation_units",
        "share",
        "partner-unit hours served / hours active units offer",
        lambda w, g: _utilisation(w, (ProviderKind.UNIT,)),
        label="Partner units' hours used",
    ),  # fmt: skip
    Metric(
        "utilisation_staff",
        "share",
        "paid staff hours served / hours they offer",
        lambda w, g: _utilisation(w, (ProviderKind.SOCIAL_WORKER, ProviderKind.CARE_STAFF)),
        label="Paid staff hours used",
    ),  # fmt: skip
    Metric(
        "unit_hours",
        "hours",
        "hours of service given by partner units",
        lambda w, g: float(_provider_hours(w)[w.model.providers.kind == ProviderKind.UNIT].sum()),
        label="Partner-unit hours",
        flow=True,
    ),
    Metric(
        "staff_hours",
        "hours",
        "hours of service given by paid social workers and care-centre staff",
        lambda w, g: float(_provider_hours(w)[w.model.providers.kind >= ProviderKind.SOCIAL_WORKER].sum()),
        label="Paid staff hours",
        flow=True,
    ),
    # --- cost ---
    Metric(
        "cost_yuan",
        "yuan",
        "wages of grid workers and staff + dispatch time + unit labour + canteen subsidy",
        lambda w, g: _cost(w),
        label="Cost",
        headline=18,
        sweep=True,
        flow=True,
    ),
    Metric(
        "cost_per_service",
        "yuan/service",
        "cost / needs served by a provider",
        lambda w, g: _cost(w) / max(count(w.by_provider), 1.0),
        label="Cost per service",
        direction="lower",
        headline=19,
    ),
    Metric(
        "cost_per_resident_year",
        "yuan/resident/year",
        "cost per resident, scaled to a year",
        lambda w, g: _cost(w) / w.model.pop.n * 365.0 / w.days,
        label="Cost per resident-year",
        direction="lower",
    ),
)


def _cross_building(w: Window) -> float:
    net, pop = w.model.net, w.model.pop
    nb = net.kind != TieKind.HOUSEHOLD
    return share(nb & (pop.building[net.u] != pop.building[net.v]), nb)


def _unmet_type(kind: NeedType):
    def fn(w: Window, g: str) -> float:
        sel = w.closed & w.in_group(g) & (w.col("type") == kind)
        return share(sel & w.unmet, sel)

    return fn


def _residents(w: Window, g: str, which: str) -> float:
    """Distinct residents served (by a provider, or reached by a service) or with an unmet need."""

    def compute() -> np.ndarray:
        mask = np.zeros(w.model.pop.n, bool)
        if which == "served":
            mask[w.col("resident")[w.by_provider]] = True
            for service in w.model.services:
                reached = service.reached(w)
                if reached is not None:
                    mask |= reached
        else:
            mask[w.col("resident")[w.closed & w.unmet]] = True
        return mask

    mask = w.memo(("residents", which), compute)
    return count(mask) if g == "all" else count(mask[w.model.group_index[g]])


CORE_METRICS += (
    *(
        Metric(
            f"unmet_rate_{t.name.lower()}",
            "share",
            f"unmet share of {t.name.lower()} needs closed",
            _unmet_type(t),
            True,
            label=f"Unmet need, {t.name.lower()}",
            direction="lower",
        )  # fmt: skip
        for t in NeedType
    ),
    Metric(
        "residents_served",
        "residents",
        "distinct residents served by a provider or reached by a service (e.g. a canteen meal) in the window",
        lambda w, g: _residents(w, g, "served"),
        True,
        label="Residents served",
        direction="higher",
        headline=12,
    ),  # fmt: skip
    Metric(
        "residents_unmet",
        "residents",
        "distinct residents with a need closed unmet in the window",
        lambda w, g: _residents(w, g, "unmet"),
        True,
        label="Residents with unmet need",
        direction="lower",
    ),  # fmt: skip
)


# The smallest difference that matters (mid: absolute, in the metric's unit; mid_rel: a share of the
# reference level; the larger applies): comparisons and briefs call a difference better or worse
# only when its interval is clear of zero and it is at least this large (docs/experiments.md).
SMALLEST_DIFFERENCE: dict[str, tuple[float, float, str]] = {
    "served": (0.0, 0.01, "1 % more needs served: less is within what a committee's own records vary by"),
    "unmet_need_rate": (0.01, 0.0, "one need in a hundred; smaller changes are not visible to a committee"),
    "hidden_need_rate": (0.01, 0.0, "one need in a hundred never reported; as for unmet need"),
    "response_days_median": (0.5, 0.0, "half a day: residents and committees count waiting in days"),
    "satisfaction_reported": (0.02, 0.0, "2 points in 100: the resolution of a satisfaction survey"),
    "satisfaction_true": (0.02, 0.0, "2 points on a 0-100 scale, the resolution of a satisfaction survey"),
    "trust": (0.02, 0.0, "2 points on a 0-100 scale, the resolution of a trust survey"),
    "ties_per_person": (0.1, 0.0, "one more neighbour tie for one resident in ten"),
    "isolated_share": (0.01, 0.0, "one resident in a hundred more or less isolated"),
    "volunteers_active": (1.0, 0.02, "2 % of the active volunteers, at least one person"),
    "volunteer_hours": (1.0, 0.02, "2 % of the hours given: below a duty roster's slack"),
    "residents_served": (1.0, 0.01, "1 % of the residents served, at least one person"),
    "care_worsened": (1.0, 0.05, "5 % of the elders whose care need worsens, at least one person"),
    "canteen_meals_per_day": (1.0, 0.05, "5 % of the meals, about a table per sitting"),
    "canteen_meals_elderly_alone_per_day": (1.0, 0.05, "5 % of these meals, at least one a day"),
    "canteen_cost_recovery": (0.05, 0.0, "5 % of costs: an operator's margin on a meal"),
    "canteen_cost_recovery_with_subsidy": (0.05, 0.0, "5 % of costs: an operator's margin on a meal"),
    "canteen_turned_away_per_day": (1.0, 0.05, "one diner a day turned away"),
    "canteen_closures": (0.25, 0.0, "a closure in one replication of four"),
    "meal_skip_rate": (0.01, 0.0, "one lunch in a hundred skipped"),
    "placements_platform": (1.0, 0.05, "5 % of the placements, at least one person"),
    "unemployment_rate": (0.005, 0.0, "half a percentage point, the resolution of labour statistics"),
    "projects_completed": (1.0, 0.0, "one project"),
    "cost_yuan": (0.0, 0.01, "1 % of the cost: within a budget line's rounding"),
    "cost_per_service": (1.0, 0.01, "one yuan per service"),
}


def _with_mid(m: Metric) -> Metric:
    if m.name not in SMALLEST_DIFFERENCE or m.mid or m.mid_rel:
        return m
    mid, rel, why = SMALLEST_DIFFERENCE[m.name]
    return replace(m, mid=mid, mid_rel=rel, mid_why=why)


def registry(services: Iterable[Service | type[Service]] = DEFAULT_SERVICES) -> tuple[Metric, ...]:
    """The outcomes of a model with these services: the shared ones, then each service's."""
    metrics = tuple(_with_mid(m) for m in CORE_METRICS + tuple(m for s in services for m in s.outcomes))
    names = [m.name for m in metrics]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"outcomes declared twice: {', '.join(twice)}")
    return metrics


METRICS = registry()


def headline(metrics: Iterable[Metric] = METRICS) -> tuple[Metric, ...]:
    """The headline outcomes in their rank order."""
    return tuple(sorted((m for m in metrics if m.headline), key=lambda m: m.headline))


def metric_names(metrics: Iterable[Metric] = METRICS) -> list[str]:
    """Every reported column: ``name`` and ``name.group`` for grouped metrics."""
    names = []
    for m in metrics:
        names.append(m.name)
        if m.by_group:
            names += [f"{m.name}.{g}" for g in GROUPS[1:]]
    return names


def report(model: GovModel, d0: int, d1: int) -> dict[str, float]:
    """Every outcome of the model's registry over days ``[d0, d1]`` as ``{column: value}``."""
    w = Window(model, d0, d1)
    out: dict[str, float] = {}
    for m in model.outcomes:
        out[m.name] = m.fn(w, "all")
        if m.by_group:
            for g in GROUPS[1:]:
                out[f"{m.name}.{g}"] = m.fn(w, g)
    return out


# Counted per group by _need_values: (column, event); the events are the rows of _need_events.
_COUNTED = (
    "needs_arisen",
    "orders",
    "found_by_grid",
    "dispatched",
    "accepted",
    "served",
    "served_informally",
    "met_by_own_means",
    "rated",
    "expired",
    "lapsed",
)
_QUANTILED = {
    "response_days": "response",
    "accept_days": "accept",
    "wait_days": "wait",
}
_SHARED = (
    "unmet_need_rate",
    "hidden_need_rate",
    "unmet_gap",
    "satisfaction_reported",
    "unmet_hours_rate",
    "service_quality_true",
    *(f"unmet_rate_{t.name.lower()}" for t in NeedType),
)
# Which count is the size of each quantile's selection (served by a provider, accepted).
_SIZE = {
    "response": _COUNTED.index("served"),
    "accept": _COUNTED.index("accepted"),
    "wait": _COUNTED.index("served"),
}
# The outcomes _need_values computes, with the functions of CORE_METRICS it stands in for.
FAST: dict[str, object] = {
    m.name: m.fn
    for m in CORE_METRICS
    if m.name in _COUNTED or m.name in _SHARED or m.name.rsplit("_", 1)[0] in _QUANTILED
}
_MEANS = {"trust": "trust", "satisfaction_true": "satisfaction"}  # window_mean's columns
FAST.update({m.name: m.fn for m in CORE_METRICS if m.name in _MEANS})


def _day_means(w: Window, out: dict[str, float]) -> None:
    """trust and satisfaction_true of every group: :func:`window_mean`, which over a one-day
    window with a recorded day is that day's mean (the mean of one value is the value)."""
    for name, col in _MEANS.items():
        k = ("trust", "satisfaction").index(col)
        day = (
            w.model.daily_means[w.d0, :, k] if w.d0 == w.d1 and 0 <= w.d0 < len(w.model.daily_means) else None
        )
        for gi, g in enumerate(GROUPS):
            key = name if g == "all" else f"{name}.{g}"
            value = float(day[gi]) if day is not None else float("nan")
            out[key] = value if value == value else window_mean(w, g, col)


def _need_events(w: Window) -> np.ndarray:
    """The window's candidate needs x events, as 0/1: the counted outcomes of :data:`_COUNTED`
    in that order, then closed, closed unmet, rated 4-5 and closed (unmet) of each need type."""
    state, closed, prov, rating, kind = w.state, w.closed, w.col("provider"), w.col("rating"), w.col("type")
    done = closed & (state == NeedState.DONE)
    unmet = closed & w.unmet
    found = w.col("found")
    ordered = w.during("day_ordered")
    events = [
        w.during("day_arisen"),
        ordered & ~found,
        ordered & found,
        w.during("day_dispatched"),
        w.during("day_accepted"),
        w.by_provider,
        done & (prov == INFORMAL),
        done & (prov == OWN_MEANS),
        closed & (rating > 0),
        closed & (state == NeedState.EXPIRED),
        closed & (state == NeedState.LAPSED),
        closed,
        unmet,
        closed & (rating >= 4),
        *(closed & (kind == t) for t in NeedType),
        *(unmet & (kind == t) for t in NeedType),
    ]
    return np.stack(events, axis=1).astype(np.int64)


def _ratio(num: int, den: int) -> float:
    """:func:`share` from the two counts."""
    return float(num / den) if den else float("nan")


def _need_values(w: Window) -> dict[str, float]:
    """The outcomes of :data:`FAST` for every group, with few array operations: every count is
    one entry of a (groups x events) product of 0/1 matrices, so exactly the integer that
    ``count``/``share`` of the same masks gives; the quantiles, means and hour sums use the
    same expressions as the metric functions on the same selections (same values, same order)."""
    groups = np.stack([w.in_group(g) for g in GROUPS])
    counts = (groups.astype(np.int64) @ _need_events(w)).tolist()  # exact integers
    n = len(_COUNTED)
    closed_at, unmet_at, good_at = n, n + 1, n + 2
    types = n + 3
    ntypes = len(NeedType)
    waits = {
        "response": (w.by_provider, w.col("day_closed") - w.col("day_ordered")),
        "accept": (w.during("day_accepted"), w.col("day_accepted") - w.col("day_ordered")),
        "wait": (w.by_provider, w.col("day_closed") - w.col("day_arisen")),
    }
    hours = w.model.hours_by_type[w.col("type")]
    quality = w.col("quality")
    nan = float("nan")
    out: dict[str, float] = {}
    unmet_all = _ratio(counts[0][unmet_at], counts[0][closed_at])
    for gi, g in enumerate(GROUPS):
        c = counts[gi]
        sfx = "" if g == "all" else f".{g}"
        in_g = groups[gi]
        for i, name in enumerate(_COUNTED):
            out[name + sfx] = float(c[i])
        unmet = _ratio(c[unmet_at], c[closed_at])
        out["unmet_need_rate" + sfx] = unmet
        out["hidden_need_rate" + sfx] = _ratio(c[_COUNTED.index("lapsed")], c[closed_at])
        out["unmet_gap" + sfx] = unmet - unmet_all
        out["satisfaction_reported" + sfx] = _ratio(c[good_at], c[_COUNTED.index("rated")])
        # An empty selection (known from the counts) gives NaN, as the metric functions do.
        for name, key in _QUANTILED.items():
            sel, values = waits[key]
            median, p90 = quantiles(values[sel & in_g], (0.5, 0.9)) if c[_SIZE[key]] else (nan, nan)
            out[f"{name}_median{sfx}"] = median
            out[f"{name}_p90{sfx}"] = p90
        if c[closed_at]:
            sel = w.closed & in_g
            total = float(hours[sel].sum())
            out["unmet_hours_rate" + sfx] = float(hours[sel & w.unmet].sum()) / total if total else nan
        else:
            out["unmet_hours_rate" + sfx] = nan
        served = c[_SIZE["response"]]
        sel = w.by_provider & in_g if served else None
        out["service_quality_true" + sfx] = float(np.nanmean(quality[sel])) if served else nan
        for ti, t in enumerate(NeedType):
            out[f"unmet_rate_{t.name.lower()}{sfx}"] = _ratio(c[types + ntypes + ti], c[types + ti])
    _day_means(w, out)
    return out


def day_report(model: GovModel, d0: int, d1: int) -> dict[str, float]:
    """:func:`report`, value for value, computed faster: the outcomes of :data:`FAST` (the
    needs' counts, rates and quantiles of every group) by :func:`_need_values`, the others by
    their functions as in :func:`report`. The daily collector's path; :func:`report` stays
    the reference (tests/test_registry.py checks they agree)."""
    w = Window(model, d0, d1)
    fast = None
    out: dict[str, float] = {}
    for m in model.outcomes:
        if FAST.get(m.name) is m.fn:
            if fast is None:
                fast = _need_values(w)
            out[m.name] = fast[m.name]
            if m.by_group:
                for g in GROUPS[1:]:
                    key = f"{m.name}.{g}"
                    out[key] = fast[key]
            continue
        out[m.name] = m.fn(w, "all")
        if m.by_group:
            for g in GROUPS[1:]:
                out[f"{m.name}.{g}"] = m.fn(w, g)
    return out


DAY, TOTAL = "_day", "_total"  # suffixes of the DataCollector's columns


def collector_columns(metrics: Iterable[Metric] = METRICS) -> list[str]:
    """The DataCollector's columns: ``seed``, then ``<column>_day`` for every column of
    :func:`report` (its value over that one day) and ``<column>_total`` for every column of
    a ``flow`` metric (its running total over the measured days so far, which on the last
    day equals the run's summary)."""
    names = ["seed"]
    for m in metrics:
        keys = metric_names([m])
        names += [k + DAY for k in keys]
        if m.flow:
            names += [k + TOTAL for k in keys]
    return names


def day_values(table: pd.DataFrame) -> pd.DataFrame:
    """The ``_day`` columns of a DataCollector table renamed to the outcome's column
    (``served.elderly_alone_day`` -> ``served.elderly_alone``): one row per measured day."""
    days = [c for c in table.columns if c.endswith(DAY)]
    return table[days].rename(columns=lambda c: c.removesuffix(DAY))


class DailyCollector(mesa.DataCollector):
    """Mesa's DataCollector with one model reporter per column of :func:`collector_columns`.

    ``collect`` computes the day's report once and appends its values, and the running
    totals of the flows, to the reporters' columns directly: they are plain floats, so the
    per-value ``deepcopy`` and the reporter calls of the generic ``collect`` are not needed
    (a third of a community-year's time). ``get_model_vars_dataframe`` and the reporters
    themselves work as usual. Each collection is recorded under ``model.steps`` (the
    measured day + 1), which is the ``Step`` column of ``mesa.batch_run``.

    Args:
        metrics: the outcomes to collect (a model's registry).
    """

    def __init__(self, metrics: Iterable[Metric] = METRICS) -> None:
        self._last: tuple[int, dict[str, float]] = (-1, {})
        metrics = tuple(metrics)
        self._flows = [k for m in metrics if m.flow for k in metric_names([m])]
        self._totals = dict.fromkeys(self._flows, 0.0)
        reporters = {name: partial(self._value, name) for name in collector_columns(metrics)}
        super().__init__(model_reporters=reporters)
        # (column, where its value comes from, key) in column order, for collect()
        self._plan = [
            (column, 2, "") if name == "seed"
            else (column, 1, name.removesuffix(TOTAL)) if name.endswith(TOTAL)
            else (column, 0, name.removesuffix(DAY))
            for name, column in self.model_vars.items()
        ]  # fmt: skip

    def today(self, model: GovModel) -> dict[str, float]:
        """The report of the model's current day (computed once per step)."""
        if self._last[0] != model.steps:
            self._last = (model.steps, day_report(model, model.day, model.day))
        return self._last[1]

    def _value(self, name: str, model: GovModel) -> float:
        if name == "seed":
            return model.seed
        if name.endswith(TOTAL):
            return self._totals[name.removesuffix(TOTAL)]
        return self.today(model)[name.removesuffix(DAY)]

    def collect(self, model: GovModel) -> None:
        self._collection_steps.append(model.steps)
        row = self.today(model)
        totals = self._totals
        for key in self._flows:
            totals[key] += row[key]
        for column, source, key in self._plan:
            column.append(row[key] if source == 0 else totals[key] if source == 1 else model.seed)


def make_collector(metrics: Iterable[Metric] = METRICS) -> mesa.DataCollector:
    """The daily collector: the columns of :func:`collector_columns`."""
    return DailyCollector(metrics)
