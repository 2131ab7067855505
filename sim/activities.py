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

if TYPE_CHECKING:
    from .model import GovModel


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


def weekly_classes(model: GovModel) -> None:
    """Senior-university classes: enrolled elders meet classmates (keyed by resident and day)."""
    if not model.params.activity_classes:
        return
    members = model.class_members
    members = members[model.pop.care_level[members] <= 1]  # those who can no longer walk stop coming
    _meet(model, members, model.params.class_tie_prob, "class")


def enrol_classes(model: GovModel) -> None:
    """Able elders enrol with probability ``class_enrolment`` (once, when the model is built)."""
    pop = model.pop
    u = model.streams.uniform("class_enrol", pop.uid, 0)
    model.class_members = np.flatnonzero(
        pop.elder & (pop.care_level <= 1) & (u < model.params.class_enrolment)
    )


def market_day(model: GovModel) -> None:
    """A neighbourhood market: a share of adults attend and meet one another."""
    p = model.params
    if p.markets_per_month == 0 or (model.day % 30) % max(1, 30 // p.markets_per_month) != 0:
        return
    adults = model.pop.age >= 18
    u = model.streams.uniform("market_attend", model.pop.uid, model.day)
    _meet(model, np.flatnonzero(adults & (u < p.market_attendance)), p.market_tie_prob, "market")
