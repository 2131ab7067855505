"""The brief's cost model: named cost items per run, and what a scenario adds to each.

Every item is priced by a parameter of :class:`~sim.params.Params` (``eq = cost``;
``govsim params`` shows unit, range and tag) and read from a run's summary:

- ``staff``: grid workers' and paid staff's wages and the staff time of dispatching
  (the model's ``cost_yuan`` without the two items below);
- ``subsidy``: the canteen meal subsidy paid (subsidy per meal x meals);
- ``unit_labour``: partner units' donated hours at ``unit_hour_value``;
- ``volunteer_time``: volunteer hours at the shadow wage ``volunteer_shadow_wage``;
- ``fitout``: one-off fit-out of each canteen a scenario opens (``canteen_fitout_yuan``),
  counted from its policies and its ``canteens_per_community``;
- ``operator_losses``: the canteens' running costs not covered by diners and the subsidy,
  net over the canteens (running costs x (1 - cost recovery with subsidy), never below 0);
- ``running`` (not in the total): the canteens' food and staff costs; diners, the subsidy and
  the operator pay them, so counting them again would count the same yuan twice.

The total is the sum of the items it counts (:data:`TOTAL_ITEMS`), so the table adds up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..params import Params
from .scenario import Scenario
from .stats import BOOT_SEED, LEVEL, N_BOOT, _ratio, _rng, percentile_intervals

ITEMS = ("staff", "subsidy", "unit_labour", "volunteer_time", "fitout", "operator_losses", "running")
TOTAL_ITEMS = ITEMS[:-1]
"""Items in the total; ``running`` is shown for information only."""


def new_canteens(scenario: Scenario, days: int) -> int:
    """Canteens a scenario opens beyond today's (its policies and ``canteens_per_community``)."""
    params, _ = scenario.build()
    extra = max(params.canteens_per_community - Params().canteens_per_community, 0) * params.communities
    for p in scenario.policies:
        if p.get("kind") == "add_canteen" and p.get("start_day", 0) < days:
            where = p.get("communities")
            extra += int(p.get("count", 1)) * (len(where) if where else params.communities)
    return extra


def _col(row: pd.Series, name: str) -> float:
    v = row.get(name, 0.0)
    return 0.0 if v is None or v != v else float(v)


def run_items(row: pd.Series, params: Params, days: int, canteens_opened: int) -> dict[str, float]:
    """The cost items of one run (a row of the summaries table), in yuan over the run."""
    meals = _col(row, "canteen_meals_per_day") * days
    subsidy = _col(row, "canteen_subsidy_per_meal") * meals
    unit = _col(row, "unit_hours") * params.unit_hour_value
    rec, rec_sub = _col(row, "canteen_cost_recovery"), _col(row, "canteen_cost_recovery_with_subsidy")
    if subsidy > 0 and rec_sub > rec:
        running = subsidy / (rec_sub - rec)  # (revenue + subsidy) / C - revenue / C = subsidy / C
    else:
        running = (
            meals * params.canteen_food_cost + _col(row, "canteens_open") * params.canteen_labour_day * days
        )
    return {
        "staff": _col(row, "cost_yuan") - subsidy - unit,
        "subsidy": subsidy,
        "unit_labour": unit,
        "volunteer_time": _col(row, "volunteer_hours") * params.volunteer_shadow_wage,
        "fitout": canteens_opened * params.canteen_fitout_yuan,
        "operator_losses": running * max(1.0 - rec_sub, 0.0) if running else 0.0,
        "running": running,
    }


def items_table(
    table: pd.DataFrame, scenarios: Sequence[Scenario], days: int, bases: Mapping[int, dict] | None = None
) -> pd.DataFrame:
    """One row per run: scenario, rep, every item, ``total`` and ``unmet_needs`` (expired + lapsed).

    ``bases`` gives each replication's parameter set (posterior draws); prices such as the
    shadow wage are read from the run's own parameters."""
    by_name = {s.name: s for s in scenarios}
    bases = bases or {}
    rows = []
    for _, r in table.iterrows():
        s = by_name[r.scenario]
        items = run_items(r, s.build(bases.get(r.rep))[0], days, new_canteens(s, days))
        total = sum(items[k] for k in TOTAL_ITEMS)
        rows.append(
            {
                "scenario": r.scenario,
                "rep": r.rep,
                **items,
                "total": total,
                "residents_served": _col(r, "residents_served"),
                "unmet_needs": _col(r, "expired") + _col(r, "lapsed"),
            }
        )
    return pd.DataFrame(rows)


def extra_costs(
    items: pd.DataFrame, reference: str, *, n_boot: int = N_BOOT, level: float = LEVEL, seed: int = BOOT_SEED
) -> pd.DataFrame:
    """Per scenario and item: mean paired extra yuan over the reference with its interval, and
    the extra total per extra resident served and per unmet need avoided (ratio intervals)."""
    rows = []
    ref = items[items.scenario == reference].set_index("rep")
    for scenario in [s for s in items.scenario.unique() if s != reference]:
        scn = items[items.scenario == scenario].set_index("rep")
        cols = [*ITEMS, "total", "residents_served", "unmet_needs"]
        d = (scn[cols] - ref[cols]).dropna()
        row: dict = {"scenario": scenario, "n": len(d)}
        items_here = [*ITEMS, "total"]
        intervals = percentile_intervals(
            [d[c].to_numpy() for c in items_here],
            [_rng(seed, scenario, f"cost.{c}") for c in items_here],
            n_boot,
            level,
        )  # bootstrap_ci of each item, in one pass
        for c, (lo, hi) in zip(items_here, intervals, strict=True):
            row[c], row[f"{c}_low"], row[f"{c}_high"] = (d[c].mean() if len(d) else np.nan), lo, hi
            row[f"{c}_reference"] = ref[c].mean()
        row["extra_residents_served"] = d.residents_served.mean() if len(d) else np.nan
        row["unmet_avoided"] = -d.unmet_needs.mean() if len(d) else np.nan
        total = d.total.to_numpy()
        row["per_resident"], row["per_resident_low"], row["per_resident_high"] = _ratio(
            total, d.residents_served.to_numpy(), _rng(seed, scenario, "cost.per_resident"), n_boot, level
        )
        row["per_unmet"], row["per_unmet_low"], row["per_unmet_high"] = _ratio(
            total, -d.unmet_needs.to_numpy(), _rng(seed, scenario, "cost.per_unmet"), n_boot, level
        )
        rows.append(row)
    return pd.DataFrame(rows)


def moved(row: pd.Series, share: float = 0.01) -> list[str]:
    """The items of a scenario's :func:`extra_costs` row that moved: interval clear of zero and at
    least ``share`` of the reference's total; largest first."""
    floor = share * abs(row.get("total_reference", 0.0))
    out = [
        k
        for k in TOTAL_ITEMS
        if (row[f"{k}_low"] > 0 or row[f"{k}_high"] < 0 or (k == "fitout" and row[k] != 0))
        and abs(row[k]) >= floor
    ]
    return sorted(out, key=lambda k: -abs(row[k]))
