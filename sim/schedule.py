"""The step order, written down as data: the named phases of one day.

:class:`~sim.model.GovModel` runs every phase whose ``when`` holds today, in the
order of its assembled table (:func:`assemble`): the shared phases below — the
closed loop, the network, the providers' monthly reviews — with each service's
phases placed where they declare (``after`` or ``before`` a named phase). Day 0
is 1 January. Each phase declares the state it reads and writes, by name:

* ``pop.<column>`` a population column, ``providers`` the provider table (any
  column), ``needs`` the need book, ``net`` the ties, ``tie_counts`` the
  per-resident tie counts, ``need_rates`` the raised need rates, ``groups`` the
  reporting groups, ``agents`` the registered Mesa agents,
  ``provider_of_resident``, ``meal_km``, ``params``;
* ``<service>.<attribute>`` a service's state (``canteens.meal_choice``);
* ``today.<name>`` a hand-off between phases of one day (cleared at the start of
  each day), e.g. ``today.served``, the needs served today.

``tests/test_schedule.py`` checks that every phase reads only what was built or
written earlier on every day it runs, and that a phase changes only what it
declares it writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from . import loop
from .agents import PartnerUnit, Volunteer, review_volunteers
from .errors import InputError
from .network import weekly_ties

if TYPE_CHECKING:
    from .model import GovModel
    from .services.base import Service

Cadence = Callable[["GovModel"], bool]


def daily(model: GovModel) -> bool:
    return True


daily.label = "daily"  # type: ignore[attr-defined]


def every(days: int) -> Cadence:
    """True on the last day of each period of ``days`` days."""

    def when(model: GovModel) -> bool:
        return (model.day + 1) % days == 0

    when.__name__ = f"every_{days}_days"
    when.label = f"every {days} days"  # type: ignore[attr-defined]
    return when


def on_day_of_year(days: Callable[[GovModel], set[int]], label: str) -> Cadence:
    """True on the days of the year (0 = 1 January) that ``days(model)`` lists; ``label`` says which."""

    def when(model: GovModel) -> bool:
        return model.day % 365 in days(model)

    when.label = label  # type: ignore[attr-defined]
    return when


@dataclass(frozen=True)
class Phase:
    """One named step: ``fn(model)`` runs on the days where ``when(model)`` holds.

    Attributes:
        name: unique within the model.
        fn: the step.
        when: its cadence.
        reads, writes: the state it reads and writes (names as in the module docstring;
            ``*`` for anything, as a policy may change anything).
        after, before: where a service's phase goes: right after (or before) the named phase.
        service: the service that declared it ("" for the shared phases).
    """

    name: str
    fn: Callable[[GovModel], None]
    when: Cadence = daily
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    after: str = ""
    before: str = ""
    service: str = ""


def _apply_policies(model: GovModel) -> None:
    """Policies starting or ending today (counted from the first measured day) start or end."""
    day = model.measured_day  # policies count days from the end of the spin-up
    for policy in model.policies:
        if policy.start_day == day:
            policy.start(model)
        if policy.end_day == day:
            policy.end(model)


def _weekly_ties(model: GovModel) -> None:
    """Ties are used, decay, form and close triads; the week's changes are consolidated."""
    weekly_ties(model.net, model.pop, model.params, model.streams, model.day)


def _tie_counts(model: GovModel) -> None:
    """Tie counts, kin and informal helpers per resident, from this week's ties."""
    model.refresh_tie_counts()


def _month_draws(model: GovModel) -> None:
    """Four keyed uniforms per provider for the month's reviews (keyed by identity and day)."""
    ident = model.providers.ident
    model.today["month_draws"] = np.stack(
        [model.streams.uniform("month", ident, model.day, j) for j in range(4)], axis=1
    )


def _volunteer_reviews(model: GovModel) -> None:
    """Volunteers' motivation moves; they rest, return or drop out (all at once, as columns)."""
    if Volunteer in model.agents_by_type:
        review_volunteers(model, list(model.agents_by_type[Volunteer]))


def _unit_reviews(model: GovModel) -> None:
    """Partner units' motivation and the hours they offer follow their use and ratings."""
    if PartnerUnit in model.agents_by_type:
        model.agents_by_type[PartnerUnit].shuffle_do("monthly_review")


def _recruitment(model: GovModel) -> None:
    """Committees recruit volunteers among adults who are not yet volunteers."""
    for committee in model.committees:
        committee.recruit()


def _month_reset(model: GovModel) -> None:
    """Providers' monthly counters start again (hours used, services, declines, notifications)."""
    pr = model.providers
    for col in (pr.hours_used, pr.services_month, pr.declines_month, pr.notified_month):
        col[:] = 0


MONTHLY = every(30)
WEEKLY = every(7)
_PR = ("providers",)

CORE_PHASES: tuple[Phase, ...] = (
    Phase("policies", _apply_policies, reads=("*",), writes=("*",)),
    Phase("arise_needs", loop.arise_needs, reads=("pop", "need_rates"), writes=("needs",)),
    Phase("informal_help", loop.informal_help, reads=("needs", "tie_counts", "params"), writes=("needs",)),
    Phase(
        "residents_order",
        loop.residents_order,
        reads=("needs", "pop.trust", "pop.awareness", "tie_counts"),
        writes=("needs",),
    ),  # fmt: skip
    Phase("grid_visits", loop.grid_visits, reads=("needs", "pop"), writes=("needs", "pop.awareness")),
    Phase(
        "dispatch",
        loop.dispatch,
        reads=("needs", "providers", "net", "provider_of_resident", "meal_km", "pop.care_level"),
        writes=("needs", "providers"),
    ),  # fmt: skip
    Phase(
        "serve",
        loop.serve,
        reads=("needs", "providers"),
        writes=(
            "needs",
            "providers",
            "pop.trust",
            "pop.awareness",
            "pop.satisfaction",
            "net",
            "today.served",
        ),
    ),  # fmt: skip
    Phase("expire", loop.expire, reads=("needs",), writes=("needs", "pop.trust", "pop.satisfaction")),
    Phase("weekly_ties", _weekly_ties, WEEKLY, reads=("net", "pop"), writes=("net",)),
    Phase("tie_counts", _tie_counts, WEEKLY, reads=("net",), writes=("tie_counts",)),
    Phase(
        "weekly_awareness",
        loop.weekly_awareness,
        WEEKLY,
        reads=("net", "tie_counts", "pop.awareness"),
        writes=("pop.awareness",),
    ),  # fmt: skip
    Phase("month_draws", _month_draws, MONTHLY, reads=_PR, writes=("today.month_draws",)),
    Phase(
        "volunteer_reviews",
        _volunteer_reviews,
        MONTHLY,
        reads=("providers", "today.month_draws"),
        writes=("providers", "agents", "provider_of_resident"),
    ),  # fmt: skip
    Phase("unit_reviews", _unit_reviews, MONTHLY, reads=("providers", "today.month_draws"), writes=_PR),
    Phase(
        "recruitment",
        _recruitment,
        MONTHLY,
        reads=("pop", "provider_of_resident"),
        writes=("providers", "provider_of_resident", "agents"),
    ),  # fmt: skip
    Phase(
        "monthly_drift",
        loop.monthly_drift,
        MONTHLY,
        reads=("tie_counts", "pop.satisfaction", "pop.awareness", "pop.trust", "trust0"),
        writes=("pop.satisfaction", "pop.awareness", "pop.trust"),
    ),  # fmt: skip
    Phase("month_reset", _month_reset, MONTHLY, reads=(), writes=_PR),
)


def assemble(core: Iterable[Phase], services: Iterable[Service]) -> tuple[Phase, ...]:
    """The day's phases: ``core`` in order, each service's phases placed where they say.

    Services are taken in order, and each one's phases in the order it declares them;
    several phases placed after (or before) the same phase keep that order.
    """
    table: list[Phase] = list(core)
    for service in services:
        for phase in service.phases():
            phase = replace(phase, service=service.name)
            names = [p.name for p in table]
            if phase.name in names:
                raise InputError(f"service '{service.name}': phase '{phase.name}' is declared twice")
            anchor = phase.after or phase.before
            if bool(phase.after) == bool(phase.before) or anchor not in names:
                raise InputError(
                    f"service '{service.name}': phase '{phase.name}' must name exactly one existing "
                    f"phase in after= or before= (got after={phase.after!r}, before={phase.before!r})"
                )
            at = names.index(anchor)
            if phase.after:  # past the phases already placed after the anchor, and theirs
                placed = {anchor}
                at += 1
                while at < len(table) and table[at].service and table[at].after in placed:
                    placed.add(table[at].name)
                    at += 1
            table.insert(at, phase)
    return tuple(table)
