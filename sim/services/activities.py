"""Shared activities that build ties: senior-university classes and neighbourhood markets.

Classes (老年大学 / activity rooms) meet weekly; each enrolled elder meets one
other classmate of the community. Markets are held a few times a month; each
attending adult meets one other attendee. A meeting refreshes an existing tie
or, with a small chance, starts a new one (ties form through shared
services, the canteen, markets and friends of friends).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..population import ADULT_AGE
from ..schedule import WEEKLY, Phase
from .base import Service

if TYPE_CHECKING:
    from ..model import GovModel


def market_days(model: GovModel) -> bool:
    """Market days: ``markets_per_month`` evenly spaced days of each 30-day month."""
    n = model.params.markets_per_month
    return n > 0 and model.day % 30 in {i * 30 // n for i in range(n)}


market_days.label = "market days"  # type: ignore[attr-defined]


class Activities(Service):
    """Classes and markets; ``class_members`` are the elders enrolled when the model was built."""

    name = "activities"
    keyed = ("class_enrol", "class_pick", "class_tie", "market_attend", "market_pick", "market_tie")

    def __init__(self, model: GovModel) -> None:
        super().__init__(model)
        pop = model.pop
        u = model.streams.uniform("class_enrol", pop.uid, 0)  # once, when the model is built
        self.class_members = np.flatnonzero(
            pop.elder & (pop.care_level <= 1) & (u < model.params.class_enrolment)
        )

    def phases(self) -> tuple[Phase, ...]:
        return (
            Phase(
                "market_day",
                self.market_day,
                market_days,
                reads=("pop.age", "net", "params"),
                writes=("net",),
                after="expire",
            ),  # fmt: skip
            Phase(
                "weekly_classes",
                self.weekly_classes,
                WEEKLY,
                reads=("activities.class_members", "pop.care_level", "net", "params"),
                writes=("net",),
                before="weekly_ties",
            ),  # fmt: skip
        )

    def weekly_classes(self, model: GovModel) -> None:
        """Senior-university classes: enrolled elders meet classmates (keyed by resident and day)."""
        if not model.params.activity_classes:
            return
        members = self.class_members
        members = members[model.pop.care_level[members] <= 1]  # those who can no longer walk stop coming
        _meet(model, members, model.params.class_tie_prob, "class")

    def market_day(self, model: GovModel) -> None:
        """A neighbourhood market: a share of adults attend and meet one another."""
        p = model.params
        adults = model.pop.age >= ADULT_AGE
        u = model.streams.uniform("market_attend", model.pop.uid, model.day)
        _meet(model, np.flatnonzero(adults & (u < p.market_attendance)), p.market_tie_prob, "market")


def _meet(model: GovModel, who: np.ndarray, tie_prob: float, where: str) -> None:
    """Each of ``who`` meets one random other of ``who`` in the same community."""
    if len(who) < 2:
        return
    comm = model.pop.community[who]
    order = np.argsort(comm, kind="stable")
    who, comm = who[order], comm[order]
    lo = np.searchsorted(comm, comm, "left")
    hi = np.searchsorted(comm, comm, "right")
    s, day, ids = model.streams, model.day, model.pop.uid[who]  # keyed by resident and day
    other = who[lo + (s.uniform(f"{where}_pick", ids, day) * (hi - lo)).astype(np.int64)]
    model.net.touch(who, other, day, s.uniform(f"{where}_tie", ids, day), tie_prob)
