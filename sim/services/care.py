"""Elderly care: care needs that worsen with age and with unmet needs.

Care levels (0 none, 1 some help, 2 semi-disabled, 3 disabled) rise monthly
with a chance that grows with age and, by ``care_unmet_multiplier``, with the
care and meal needs that went unmet in the past month (unmet need feeds back
on health). A higher level means more care needs and, from level 2, no cooking
and no walking to the canteen; the raised need rates are the model's
(:meth:`~sim.model.GovModel.refresh_need_rates`).

The monthly progression draws one keyed uniform per resident and day, whatever the policy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..needs import NeedType, is_unmet, longest_open_days
from ..schedule import MONTHLY, Phase
from ..window import Metric, Window, count, pop_mean
from .base import EventLog, Service

if TYPE_CHECKING:
    from ..model import GovModel


def _risen(w: Window, g: str) -> float:
    log = w.model.care.rises
    who = log["resident"][(log["day"] >= w.d0) & (log["day"] <= w.d1)]
    return count(np.bincount(who, minlength=w.model.pop.n).astype(bool) & w.masks[g])


class Care(Service):
    """Care levels that rise with age and unmet need; ``worsened`` counts each resident's rises."""

    name = "care"
    keyed = ("care_month", "care_renewal")
    outcomes = (
        Metric(
            "care_level_mean",
            "level 0-3",
            "mean care level",
            lambda w, g: pop_mean(w, g, "care_level"),
            True,
            label="Care level, mean",
            direction="lower",
        ),  # fmt: skip
        Metric(
            "care_worsened",
            "people",
            "residents whose care level rose in the window",
            lambda w, g: _risen(w, g),
            True,
            label="Care need worsened",
            direction="lower",
            headline=13,
        ),  # fmt: skip
    )

    def __init__(self, model: GovModel) -> None:
        super().__init__(model)
        self.worsened = np.zeros(model.pop.n, np.int16)
        self.rises = EventLog("day", "resident")

    def phases(self) -> tuple[Phase, ...]:
        return (
            Phase(
                "monthly_care",
                self.monthly_care,
                MONTHLY,
                reads=("pop", "needs", "params", "meals_missed"),
                writes=(
                    "pop.care_level",
                    "pop.cooks_self",
                    "care.worsened",
                    "care.rises",
                    "need_rates",
                    "meals_missed",
                    "residents_changed",
                ),
                after="month_reset",
            ),  # fmt: skip
        )

    def monthly_care(self, model: GovModel) -> None:
        """Care levels rise with age and unmet need, and some raised ones renew; the need
        rates and the lunch choice follow."""
        p, pop, b = model.params, model.pop, model.needs
        u = model.streams.uniform("care_month", pop.uid, model.day)  # keyed by resident and day
        recent = b.recent(
            model.day - 30 - longest_open_days(p)
        )  # needs that could have closed in the past 30 days
        unmet = recent[
            is_unmet(b.state[recent])
            & np.isin(b.type[recent], (NeedType.CARE, NeedType.MEAL))
            & (b.day_closed[recent] > model.day - 30)
        ]
        # Unmet care and meal needs, and lunches skipped by those who do not cook (as a share of
        # an unmet need each), since the last review.
        missed = np.bincount(b.resident[unmet], minlength=pop.n) + p.care_skip_weight * model.meals_missed
        model.meals_missed[:] = 0
        hazard = p.care_progression_year / 12.0 * np.exp(p.care_age_slope * (pop.age - p.care_reference_age))
        hazard *= 1.0 + p.care_unmet_multiplier * np.minimum(missed, p.care_unmet_cap)
        up = pop.elder & (pop.care_level < 3) & (u < hazard)
        # Renewal keeps the elderly population's care levels stationary: a row whose level
        # rose returns to its day-0 state with a small monthly chance (its own keyed draw).
        raised = np.flatnonzero(~up & (pop.care_level > model.care_level0))
        renew = raised[
            model.streams.uniform("care_renewal", pop.uid[raised], model.day) < p.care_renewal_year / 12.0
        ]
        if up.any() or len(renew):
            pop.care_level[up] += 1
            pop.cooks_self[up & (pop.care_level >= 2)] = False
            self.worsened[up] += 1
            self.rises.add(day=np.full(int(up.sum()), model.day), resident=np.flatnonzero(up))
            pop.care_level[renew] = model.care_level0[renew]
            pop.cooks_self[renew] = model.cooks_self0[renew]
            model.residents_changed(need_rates=True)
