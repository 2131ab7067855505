"""The step order, written down as data: the named phases of one day.

:class:`~sim.model.GovModel` runs every phase of :data:`PHASES` whose
``when`` holds today, in the order listed. Day 0 is 1 January. Daily phases
come first (needs, meals, the loop, canteen books), then the calendar
(joint meetings, winter, training), then weekly and monthly processes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import activities, canteen, care, jobs, loop, projects
from .agents import PartnerUnit, Volunteer, review_volunteers
from .needs import NeedType
from .network import weekly_ties

if TYPE_CHECKING:
    from .model import GovModel


def daily(model: GovModel) -> bool:
    return True


def every(days: int) -> Callable[[GovModel], bool]:
    """True on the last day of each period of ``days`` days."""

    def when(model: GovModel) -> bool:
        return (model.day + 1) % days == 0

    when.__name__ = f"every_{days}_days"
    return when


def on_day_of_year(days: Callable[[GovModel], set[int]]) -> Callable[[GovModel], bool]:
    def when(model: GovModel) -> bool:
        return model.day % 365 in days(model)

    return when


@dataclass(frozen=True)
class Phase:
    """One named step: ``fn(model)`` runs on the days where ``when(model)`` holds."""

    name: str
    fn: Callable[[GovModel], None]
    when: Callable[[GovModel], bool] = daily


def _apply_policies(model: GovModel) -> None:
    for policy in model.policies:
        if policy.start_day == model.day:
            policy.start(model)
        if policy.end_day == model.day:
            policy.end(model)


def _canteen_books(model: GovModel) -> None:
    served = model.served_today
    meals = served[model.needs.type[served] == NeedType.MEAL]
    canteen.close_books(model, model.needs.resident[meals])


def _new_project_needs(model: GovModel) -> None:
    projects.new_project_needs(model, model.params.project_needs_per_grid_year / 4.0)


def _weekly_network(model: GovModel) -> None:
    activities.weekly_classes(model)
    weekly_ties(model.net, model.pop, model.params, model.streams, model.day)
    model.refresh_tie_counts()
    loop.weekly_awareness(model)


def _monthly_actors(model: GovModel) -> None:
    ident = model.providers.ident
    model.month_draws = np.stack(
        [model.streams.uniform("month", ident, model.day, j) for j in range(4)], axis=1
    )
    if Volunteer in model.agents_by_type:  # all at once: each review touches only its own row
        review_volunteers(model, list(model.agents_by_type[Volunteer]))
    if PartnerUnit in model.agents_by_type:
        model.agents_by_type[PartnerUnit].shuffle_do("monthly_review")
    for committee in model.committees:
        committee.recruit()
    loop.monthly_drift(model)
    pr = model.providers
    for col in (pr.hours_used, pr.services_month, pr.declines_month, pr.notified_month):
        col[:] = 0


def _meeting_days(model: GovModel) -> set[int]:
    n = model.params.joint_meetings_per_year
    return {int(14 + i * 365 / n) for i in range(n)}


def _training_days(model: GovModel) -> set[int]:
    return jobs.training_days(model.params)


PHASES: tuple[Phase, ...] = (
    Phase("policies", _apply_policies),
    Phase("new_year_budgets", projects.new_year_budgets, on_day_of_year(lambda m: {0})),
    Phase("arise_needs", loop.arise_needs),
    Phase("choose_lunch", canteen.choose_lunch),
    Phase("meals_by_own_means", loop.meals_by_own_means),
    Phase("informal_help", loop.informal_help),
    Phase("residents_order", loop.residents_order),
    Phase("grid_visits", loop.grid_visits),
    Phase("dispatch", loop.dispatch),
    Phase("serve", loop.serve),
    Phase("canteen_books", _canteen_books),
    Phase("expire", loop.expire),
    Phase("projects_progress", projects.daily_projects),
    Phase("market_day", activities.market_day),
    Phase("joint_meeting", projects.joint_meeting, on_day_of_year(_meeting_days)),
    Phase("winter_needs", projects.winter_needs, on_day_of_year(lambda m: {projects.WINTER_START})),
    Phase("new_project_needs", _new_project_needs, every(91)),
    Phase("start_training", jobs.start_training, on_day_of_year(_training_days)),
    Phase("weekly_network", _weekly_network, every(7)),
    Phase("monthly_actors", _monthly_actors, every(30)),
    Phase("monthly_care", care.monthly_care, every(30)),
    Phase("monthly_jobs", jobs.monthly_jobs, every(30)),
)
