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
from ..window import Metric, count, pop_mean
from .base import Service

if TYPE_CHECKING:
    from ..model import GovModel


class Care(Service):
    """Care levels that rise with age and unmet need; ``worsened`` counts each resident's rises."""

    name = "care"
    keyed = ("care_month",)
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
            "residents whose care level rose during the run",
            lambda w, g: count((w.model.care.worsened > 0) & w.masks[g]),
            True,
            label="Care need worsened",
            direction="lower",
            headline=13,
        ),  # fmt: skip
    )

    def __init__(self, model: GovModel) -> None:
        super().__init__(model)
        self.worsened = np.zeros(model.pop.n, np.int16)

    def phases(self) -> tuple[Phase, ...]:
        return (
            Phase(
                "monthly_care",
                self.monthly_care,
                MONTHLY,
                reads=("pop", "needs", "params"),
                writes=(
                    "pop.care_level",
                    "pop.cooks_self",
                    "care.worsened",
                    "need_rates",
                    "residents_changed",
                ),
                after="month_reset",
            ),  # fmt: skip
        )

    def monthly_care(self, model: GovModel) -> None:
        """Care levels rise; the need rates and the lunch choice follow."""
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
        missed = np.bincount(b.resident[unmet], minlength=pop.n)
        hazard = p.care_progression_year / 12.0 * np.exp(p.care_age_slope * (pop.age - p.care_reference_age))
        hazard *= 1.0 + p.care_unmet_multiplier * np.minimum(missed, p.care_unmet_cap)
        up = pop.elder & (pop.care_level < 3) & (u < hazard)
        if up.any():
            pop.care_level[up] += 1
            pop.cooks_self[up & (pop.care_level >= 2)] = False
            self.worsened[up] += 1
            model.residents_changed(need_rates=True)
