"""Employment: job loss, the wider market, the community job platform and training.

Five-society linkage runs a doorstep job platform (kiosk, live-stream job
room, career advisers, partner training schools, a talent market) that placed
30 residents in a year and ran 6 seasonal training projects (docs/sources.md [A]).
Monthly: some employed residents lose their job; job-seekers find work on the
wider market with a chance set by skill; the platform matches the job-seekers
who use it that month (``platform_reach``) to the vacancies partner units and the market post through it;
training projects raise their trainees' chances for a period.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

import numpy as np

from .population import Employment
from .providers import ProviderKind, ProviderState, UnitKind
from .rng import poisson_from_uniform

if TYPE_CHECKING:
    from .model import GovModel


class EventLog:
    """Append-only columns of events (one row per person per event), read as arrays.

    Args:
        names: the column names.
    """

    def __init__(self, *names: str) -> None:
        self._parts: dict[str, list[np.ndarray]] = {n: [] for n in names}
        self._arrays: dict[str, np.ndarray] = {}

    def add(self, **columns: np.ndarray) -> None:
        for name, values in columns.items():
            self._parts[name].append(np.asarray(values, np.int64))
        self._arrays.clear()

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._arrays:
            parts = self._parts[name]
            self._arrays[name] = np.concatenate(parts) if parts else np.empty(0, np.int64)
        return self._arrays[name]


class Via(enum.IntEnum):
    MARKET = 0
    PLATFORM = 1


def monthly_jobs(model: GovModel) -> None:
    """Job loss, market and platform placements for the month.

    Draws are keyed by resident (or community) and day, so one community's jobs
    never depend on what happened in another.
    """
    p, pop, s, day = model.params, model.pop, model.streams, model.day
    u = [
        s.uniform(name, pop.uid, day)
        for name in ("market_find", "platform_reach", "platform_rank", "job_loss")
    ]
    employed_before = pop.employment == Employment.EMPLOYED
    seeker = pop.employment == Employment.UNEMPLOYED
    trained = model.trained_until >= model.day
    boost = 1.0 + p.training_effect * trained
    skill = 0.6 + 0.4 * pop.skill
    found = seeker & (u[0] < p.market_find_month * skill * boost)
    _place(model, np.flatnonzero(found), Via.MARKET)
    if p.job_platform:
        seeker &= ~found
        enterprises = _enterprises(model)
        for c in range(p.communities):
            lo, hi = model.community_rows[c]
            cand = lo + np.flatnonzero(seeker[lo:hi] & (u[1][lo:hi] < p.platform_reach))
            vacancies = _vacancies(model, c, int(enterprises[c]))
            if len(cand) == 0 or vacancies == 0:
                continue
            score = u[2][cand] / (skill[cand] * boost[cand])  # lower is better
            _place(model, cand[np.argsort(score, kind="stable")[:vacancies]], Via.PLATFORM)
    lost = employed_before & (u[3] < p.job_loss_month)  # not those placed this month
    pop.employment[lost] = Employment.UNEMPLOYED
    model.group_masks_changed()
    model.refresh_diners()


def _enterprises(model: GovModel) -> np.ndarray:
    """Active enterprise units per community."""
    pr = model.providers
    units = (
        (pr.kind == ProviderKind.UNIT)
        & (pr.state == ProviderState.ACTIVE)
        & (pr.unit_kind == UnitKind.ENTERPRISE)
    )
    return np.bincount(pr.community[units], minlength=model.params.communities)


def _vacancies(model: GovModel, community: int, enterprises: int) -> int:
    """Vacancies posted through the platform this month by partner units and the market."""
    p = model.params
    mean = p.unit_vacancies_month * enterprises + p.platform_market_vacancies_month
    u = model.streams.uniform("vacancies", int(model.pop.comm_id[community]), model.day)
    return int(poisson_from_uniform(mean, u))


def _place(model: GovModel, who: np.ndarray, via: Via) -> None:
    model.pop.employment[who] = Employment.EMPLOYED
    model.placements.add(day=np.full(len(who), model.day), resident=who, via=np.full(len(who), int(via)))


def start_training(model: GovModel) -> None:
    """A seasonal training project per community enrols job-seekers (a keyed random pick)."""
    p, pop = model.params, model.pop
    for c in range(p.communities):
        lo, hi = model.community_rows[c]
        pool = lo + np.flatnonzero(pop.employment[lo:hi] == Employment.UNEMPLOYED)
        rank = np.argsort(model.streams.uniform("training", pop.uid[pool], model.day), kind="stable")
        take = pool[rank[: p.training_size]]
        model.trained_until[take] = model.day + p.training_effect_days
        model.trainings.add(day=np.full(len(take), model.day), resident=take)


def training_days(params) -> set[int]:
    """Days of the year (0 = 1 January) on which training projects start; winter first."""
    n = params.training_projects_year
    if n == 0:
        return set()
    # Spread over the year starting in early November (winter training, docs/ODD.md).
    return {int(305 + i * 365 / n) % 365 for i in range(n)}
