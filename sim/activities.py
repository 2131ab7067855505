"""Shared activities that build ties: senior-university classes and neighbourhood markets.

Classes (老年大学 / activity rooms) meet weekly; each enrolled elder meets one
other classmate of the community. Markets are held a few times a month; each
attending adult meets one other attendee. A meeting refreshes an existing tie
or, with a small chance, starts a new one (DESIGN §3: "ties form by shared
services, canteen, markets, friend-of-friend").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .model import GovModel


def _meet(model: GovModel, who: np.ndarray, tie_prob: float, rng) -> None:
    """Each of ``who`` meets one random other of ``who`` in the same community."""
    if len(who) < 2:
        return
    comm = model.pop.community[who]
    order = np.argsort(comm, kind="stable")
    who, comm = who[order], comm[order]
    lo = np.searchsorted(comm, comm, "left")
    hi = np.searchsorted(comm, comm, "right")
    other = who[lo + (rng.random(len(who)) * (hi - lo)).astype(np.int64)]
    model.net.touch(who, other, model.day, rng.random(len(who)), tie_prob)


def weekly_classes(model: GovModel) -> None:
    """Senior-university classes: enrolled elders meet classmates (stream ``activities``)."""
    if not model.params.activity_classes:
        return
    _meet(model, model.class_members, model.params.class_tie_prob, model.streams["activities"])


def enrol_classes(model: GovModel) -> None:
    """Able elders enrol with probability ``class_enrolment`` (at start and when it changes)."""
    pop = model.pop
    u = model.streams["activities"].random(pop.n)
    model.class_members = np.flatnonzero(
        pop.elder & (pop.care_level <= 1) & (u < model.params.class_enrolment)
    )


def market_day(model: GovModel) -> None:
    """A neighbourhood market: a share of adults attend and meet one another."""
    p = model.params
    if p.markets_per_month == 0 or (model.day % 30) % max(1, 30 // p.markets_per_month) != 0:
        return
    rng = model.streams["activities"]
    adults = model.pop.age >= 18
    who = np.flatnonzero(adults & (rng.random(model.pop.n) < p.market_attendance))
    _meet(model, who, p.market_tie_prob, rng)
