"""Outcomes, declared once, as pure functions of model state.

Each :class:`Metric` is computed over a window of days ``[d0, d1]``: flows
count events (an order, a service, an expiry) whose day falls in the window;
state metrics (trust, ties) read the current arrays. Metrics marked
``by_group`` are also reported for each group of :data:`GROUPS`. The daily
series uses one-day windows; ``summary.json`` uses the whole run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from .needs import INFORMAL, OWN_MEANS, NeedState
from .network import TieKind
from .providers import ProviderKind, ProviderState
from .service_metrics import SERVICE_METRICS
from .window import GROUP_DOCS, GROUPS, Metric, Window, count, gini, mean_over, pop_mean, quantile, share

__all__ = ["GROUPS", "GROUP_DOCS", "METRICS", "Metric", "make_collector", "metric_names", "report"]

if TYPE_CHECKING:
    from .model import GovModel


def _unmet(w: Window, g: str) -> float:
    def compute() -> float:
        sel = w.closed & w.in_group(g)
        return share(sel & w.unmet, sel)

    return w.memo(("unmet", g), compute)


def _response(w: Window, g: str, q: float) -> float:
    sel = w.by_provider & w.in_group(g)
    return quantile((w.col("day_closed") - w.col("day_ordered"))[sel], q)


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
    subsidy = m.canteens.table("subsidy")[max(w.d0, 0) : w.d1 + 1].sum()
    return float(staff + dispatched * p.dispatch_cost_order + unit_hours * p.unit_hour_value + subsidy)


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


METRICS: tuple[Metric, ...] = (
    # --- the loop's funnel ---
    Metric("needs_arisen", "needs", "needs that arose", _event("day_arisen"), True),
    Metric(
        "orders",
        "needs",
        "needs ordered by the resident (点单)",
        _event("day_ordered", lambda w: ~w.col("found")),
        True,
    ),
    Metric(
        "found_by_grid",
        "needs",
        "hidden needs found by grid workers' visits",
        _event("day_ordered", lambda w: w.col("found")),
        True,
    ),
    Metric(
        "dispatched",
        "needs",
        "needs sent to a provider for the first time (派单)",
        _event("day_dispatched"),
        True,
    ),
    Metric("accepted", "needs", "needs a provider accepted (接单)", _event("day_accepted"), True),
    Metric(
        "served",
        "needs",
        "needs served by a volunteer, unit or paid staff",
        _closed_as(NeedState.DONE, lambda p: p >= 0),
        True,
    ),
    Metric(
        "served_informally",
        "needs",
        "hidden needs met by kin or neighbours",
        _closed_as(NeedState.DONE, lambda p: p == INFORMAL),
        True,
    ),
    Metric(
        "met_by_own_means",
        "needs",
        "meal needs met at the canteen or by takeaway",
        _closed_as(NeedState.DONE, lambda p: p == OWN_MEANS),
        True,
    ),
    Metric(
        "rated",
        "needs",
        "services the resident rated (评单)",
        lambda w, g: count(w.closed & w.in_group(g) & (w.col("rating") > 0)),
        True,
    ),
    Metric("expired", "needs", "orders that expired unserved", _closed_as(NeedState.EXPIRED), True),
    Metric("lapsed", "needs", "hidden needs never reported nor found", _closed_as(NeedState.LAPSED), True),
    # --- loop quality ---
    Metric("unmet_need_rate", "share", "(expired + lapsed) / needs closed in the window", _unmet, True),
    Metric(
        "hidden_need_rate",
        "share",
        "lapsed / needs closed in the window",
        lambda w, g: share(
            w.closed & w.in_group(g) & (w.state == NeedState.LAPSED), w.closed & w.in_group(g)
        ),
        True,
    ),
    Metric(
        "unmet_gap",
        "share",
        "group's unmet-need rate minus everyone's",
        lambda w, g: _unmet(w, g) - _unmet(w, "all"),
        True,
    ),
    Metric(
        "unmet_gini_grid",
        "0-1",
        "Gini across grids of unmet needs per resident",
        lambda w, g: _unmet_gini_grid(w),
    ),
    Metric(
        "response_days_median",
        "days",
        "median order→done time of served needs",
        lambda w, g: _response(w, g, 0.5),
        True,
    ),
    Metric(
        "response_days_p90",
        "days",
        "90th percentile order→done time",
        lambda w, g: _response(w, g, 0.9),
        True,
    ),
    Metric(
        "accept_days_median",
        "days",
        "median order→accept time",
        lambda w, g: quantile(
            (w.col("day_accepted") - w.col("day_ordered"))[w.during("day_accepted") & w.in_group(g)], 0.5
        ),
    ),
    Metric(
        "satisfaction_reported",
        "share",
        "ratings of 4-5 stars / ratings (closed loop only)",
        lambda w, g: share(
            w.closed & w.in_group(g) & (w.col("rating") >= 4),
            w.closed & w.in_group(g) & (w.col("rating") > 0),
        ),
        True,
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
    ),
    Metric(
        "satisfaction_true",
        "0-1",
        "mean true satisfaction of residents",
        lambda w, g: pop_mean(w, g, "satisfaction"),
        True,
    ),
    Metric("trust", "0-1", "mean trust in the committee", lambda w, g: pop_mean(w, g, "trust"), True),
    Metric("awareness", "0-1", "mean awareness of services", lambda w, g: pop_mean(w, g, "awareness"), True),
    # --- social capital ---
    Metric(
        "ties_per_person",
        "ties",
        "ties outside the household per resident",
        lambda w, g: w.network_cached(f"ties.{g}", lambda: mean_over(w, _neighbour_degree(w), g)),
        True,
    ),
    Metric(
        "isolated_share",
        "share",
        "residents with no tie outside their household",
        lambda w, g: w.network_cached(f"isolated.{g}", lambda: mean_over(w, _neighbour_degree(w) == 0, g)),
        True,
    ),
    Metric(
        "clustering",
        "0-1",
        "mean local clustering coefficient (every k-th resident)",
        lambda w, g: w.model.clustering(),
    ),
    Metric(
        "cross_building_share",
        "share",
        "neighbour ties that link two buildings",
        lambda w, g: w.network_cached("cross_building", lambda: _cross_building(w)),
    ),
    # --- volunteers ---
    Metric(
        "volunteers_registered",
        "people",
        "volunteers registered and not dropped out",
        lambda w, g: count(_volunteers(w) & (w.model.providers.state != ProviderState.DROPPED)),
    ),
    Metric(
        "volunteers_active",
        "people",
        "volunteers taking dispatches",
        lambda w, g: count(_volunteers(w) & (w.model.providers.state == ProviderState.ACTIVE)),
    ),
    Metric(
        "volunteer_hours",
        "hours",
        "hours of service given by volunteers",
        lambda w, g: float(_provider_hours(w)[_volunteers(w)].sum()),
    ),
    Metric(
        "volunteer_hours_top10_share",
        "share",
        "share of volunteer hours from the busiest 10 %",
        lambda w, g: _top10_share(w),
    ),
    Metric(
        "volunteer_retention_12m",
        "share",
        "volunteers registered a year before the end (or at start) still registered",
        lambda w, g: _retention(w),
    ),
    Metric("volunteer_dropouts", "people", "volunteers who left", lambda w, g: _left(w, None)),
    Metric("burnout_dropouts", "people", "volunteers who left overloaded", lambda w, g: _left(w, True)),
    Metric(
        "unit_hours",
        "hours",
        "hours of service given by partner units",
        lambda w, g: float(_provider_hours(w)[w.model.providers.kind == ProviderKind.UNIT].sum()),
    ),
    Metric(
        "staff_hours",
        "hours",
        "hours of service given by paid social workers and care-centre staff",
        lambda w, g: float(_provider_hours(w)[w.model.providers.kind >= ProviderKind.SOCIAL_WORKER].sum()),
    ),
    # --- cost ---
    Metric(
        "cost_yuan",
        "yuan",
        "wages of grid workers and staff + dispatch time + unit labour + canteen subsidy",
        lambda w, g: _cost(w),
    ),
    Metric(
        "cost_per_service",
        "yuan/service",
        "cost / needs served by a provider",
        lambda w, g: _cost(w) / max(count(w.by_provider), 1.0),
    ),
    Metric(
        "cost_per_resident_year",
        "yuan/resident/year",
        "cost per resident, scaled to a year",
        lambda w, g: _cost(w) / w.model.pop.n * 365.0 / w.days,
    ),
)


def _cross_building(w: Window) -> float:
    net, pop = w.model.net, w.model.pop
    nb = net.kind != TieKind.HOUSEHOLD
    return share(nb & (pop.building[net.u] != pop.building[net.v]), nb)


METRICS = METRICS + SERVICE_METRICS


def metric_names() -> list[str]:
    """Every reported column: ``name`` and ``name.group`` for grouped metrics."""
    names = []
    for m in METRICS:
        names.append(m.name)
        if m.by_group:
            names += [f"{m.name}.{g}" for g in GROUPS[1:]]
    return names


def report(model: GovModel, d0: int, d1: int) -> dict[str, float]:
    """Every metric over days ``[d0, d1]`` as ``{column: value}``."""
    w = Window(model, d0, d1)
    out: dict[str, float] = {}
    for m in METRICS:
        out[m.name] = m.fn(w, "all")
        if m.by_group:
            for g in GROUPS[1:]:
                out[f"{m.name}.{g}"] = m.fn(w, g)
    return out


def _today(model: GovModel) -> dict[str, float]:
    cached = getattr(model, "_report_cache", None)
    if cached is None or cached[0] != model.day:
        cached = (model.day, report(model, model.day, model.day))
        model._report_cache = cached
    return cached[1]


class DailyCollector(mesa.DataCollector):
    """Mesa's DataCollector with one model reporter per column of :func:`report`.

    ``collect`` computes the day's report once and appends its values to the
    reporters' columns directly: they are plain floats, so the per-value
    ``deepcopy`` and the 165 reporter calls of the generic ``collect`` are not
    needed (a third of a community-year's time). ``get_model_vars_dataframe``
    and the reporters themselves work as usual.
    """

    def collect(self, model: GovModel) -> None:
        self._collection_steps.append(model.time)
        row = _today(model)
        for name, column in self.model_vars.items():
            column.append(row[name])


def make_collector() -> mesa.DataCollector:
    """The daily collector: one model reporter per column of :func:`report`."""
    reporters = {name: (lambda m, n=name: _today(m)[n]) for name in metric_names()}
    return DailyCollector(model_reporters=reporters)
