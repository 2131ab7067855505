"""Elderly care: care needs that worsen with age and with unmet needs.

Care levels (0 none, 1 some help, 2 semi-disabled, 3 disabled) rise monthly
with a chance that grows with age and, by ``care_unmet_multiplier``, with the
care and meal needs that went unmet in the past month (unmet need feeds back
on health). A higher level means more care needs and, from level 2,
no cooking and no walking to the canteen.

Need arrivals keep common random numbers: the ``needs`` stream draws with the
rates of day 0 in every scenario; the extra needs of residents whose care
level has since risen use uniforms keyed by resident and day, and the monthly
progression draws from ``care``, one number per resident whatever the policy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .needs import UNMET, NeedType, need_rates

if TYPE_CHECKING:
    from .model import GovModel


def monthly_care(model: GovModel) -> None:
    """Care levels rise; the excess need rates they imply are refreshed."""
    p, pop, b = model.params, model.pop, model.needs
    u = model.streams.uniform("care_month", pop.uid, model.day)  # keyed by resident and day
    longest = p.hidden_lapse_days + p.order_wait_days + p.repair_lag_days + 2
    recent = b.recent(model.day - 30 - longest)  # needs that could have closed in the past 30 days
    unmet = recent[
        np.isin(b.state[recent], UNMET)
        & np.isin(b.type[recent], (NeedType.CARE, NeedType.MEAL))
        & (b.day_closed[recent] > model.day - 30)
    ]
    missed = np.bincount(b.resident[unmet], minlength=pop.n)
    hazard = p.care_progression_year / 12.0 * np.exp(0.08 * (pop.age - 75.0))
    hazard *= 1.0 + p.care_unmet_multiplier * np.minimum(missed, 5)
    up = pop.elder & (pop.care_level < 3) & (u < hazard)
    if up.any():
        pop.care_level[up] += 1
        pop.cooks_self[up & (pop.care_level >= 2)] = False
        model.worsened[up] += 1
        refresh_excess_rates(model)
        model.refresh_diners()


def refresh_excess_rates(model: GovModel) -> None:
    """Rates above day 0's, for residents whose state has raised their needs."""
    pop = model.pop
    # Rates depend on the resident's row alone: only rows whose care level or cooking
    # differs from day 0 can differ from day 0's rates.
    rows = np.flatnonzero((pop.care_level != model.care_level0) | (pop.cooks_self != model.cooks_self0))
    excess = np.clip(need_rates(pop, model.params)[rows] - model.rates_day0[rows], 0.0, None)
    raised = excess.sum(axis=1) > 0
    model.excess_rows = rows[raised]
    model.excess_cum = np.cumsum(excess[raised], axis=1)


def excess_arrivals(model: GovModel) -> tuple[np.ndarray, np.ndarray]:
    """Today's extra needs of residents with raised rates (keyed by resident and day)."""
    who, cum = model.excess_rows, model.excess_cum
    if len(who) == 0:
        return who, np.empty(0, np.int8)
    u = model.streams.uniform("care_need", model.pop.uid[who], model.day)
    hit = np.flatnonzero(u < cum[:, -1])
    kind = (u[hit, None] >= cum[hit]).sum(axis=1)
    return who[hit], kind.astype(np.int8)
