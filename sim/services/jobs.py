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

from ..population import Employment
from ..providers import ProviderKind, ProviderState, UnitKind
from ..rng import poisson_from_uniform
from ..schedule import MONTHLY, Phase, on_day_of_year
from ..window import Metric, Window, count, share
from .base import EventLog, Service

if TYPE_CHECKING:
    from ..model import GovModel


class Via(enum.IntEnum):
    MARKET = 0
    PLATFORM = 1


def _placements(w: Window, via: int | None) -> float:
    log = w.model.jobs.placements
    sel = (log["day"] >= w.d0) & (log["day"] <= w.d1)
    if via is not None:
        sel &= log["via"] == via
    return count(sel)


def _unemployment(w: Window, mask: np.ndarray | None = None) -> float:
    emp = w.model.pop.employment
    force = (emp == Employment.EMPLOYED) | (emp == Employment.UNEMPLOYED)
    if mask is not None:
        force &= mask
    return share(force & (emp == Employment.UNEMPLOYED), force)


def _trainees(w: Window) -> float:
    day = w.model.jobs.trainings["day"]
    return count((day >= w.d0) & (day <= w.d1))


class Jobs(Service):
    """Placements on the market and through the platform, and training projects.

    State: ``trained_until`` (last day each resident's training helps, -1 if never),
    ``placements`` (day, resident, via) and ``trainings`` (day, resident) logs.
    """

    name = "jobs"
    keyed = ("market_find", "platform_reach", "platform_rank", "job_loss", "vacancies", "training")
    outcomes = (
        Metric(
            "placements_platform",
            "people",
            "job-seekers placed through the community platform",
            lambda w, g: _placements(w, Via.PLATFORM),
            label="Job placements (platform)",
            direction="higher",
            headline=15,
            flow=True,
        ),  # fmt: skip
        Metric(
            "placements_market",
            "people",
            "job-seekers who found work on the wider market",
            lambda w, g: _placements(w, Via.MARKET),
            label="Job placements (market)",
            direction="higher",
            flow=True,
        ),  # fmt: skip
        Metric(
            "trainees",
            "people",
            "job-seekers enrolled in training projects",
            lambda w, g: _trainees(w),
            label="Trainees",
            flow=True,
        ),  # fmt: skip
        Metric(
            "unemployment_rate",
            "share",
            "unemployed / labour force",
            lambda w, g: _unemployment(w),
            label="Unemployment rate",
            direction="lower",
            headline=16,
        ),  # fmt: skip
        Metric(
            "unemployment_rate_migrant",
            "share",
            "unemployed / labour force, migrants",
            lambda w, g: _unemployment(w, w.model.pop.migrant),
            label="Unemployment rate, migrants",
            direction="lower",
        ),  # fmt: skip
    )

    def __init__(self, model: GovModel) -> None:
        super().__init__(model)
        self.trained_until = np.full(model.pop.n, -1, np.int32)
        self.placements = EventLog("day", "resident", "via")
        self.trainings = EventLog("day", "resident")

    def phases(self) -> tuple[Phase, ...]:
        return (
            Phase(
                "start_training",
                self.start_training,
                on_day_of_year(lambda m: training_days(m.params), "training days"),
                reads=("pop.employment", "params"),
                writes=("jobs.trained_until", "jobs.trainings"),
                after="expire",
            ),  # fmt: skip
            Phase(
                "monthly_jobs",
                self.monthly_jobs,
                MONTHLY,
                reads=("pop", "providers", "jobs.trained_until", "params"),
                writes=("pop.employment", "jobs.placements", "groups", "residents_changed"),
                after="month_reset",
            ),  # fmt: skip
        )

    def monthly_jobs(self, model: GovModel) -> None:
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
        trained = self.trained_until >= model.day
        boost = 1.0 + p.training_effect * trained
        skill = p.job_skill_base + p.job_skill_weight * pop.skill
        found = seeker & (u[0] < p.market_find_month * skill * boost)
        self._place(np.flatnonzero(found), Via.MARKET)
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
                self._place(cand[np.argsort(score, kind="stable")[:vacancies]], Via.PLATFORM)
        lost = employed_before & (u[3] < p.job_loss_month)  # not those placed this month
        pop.employment[lost] = Employment.UNEMPLOYED
        model.group_masks_changed()
        model.residents_changed(need_rates=False)

    def _place(self, who: np.ndarray, via: Via) -> None:
        self.model.pop.employment[who] = Employment.EMPLOYED
        day = self.model.day
        self.placements.add(day=np.full(len(who), day), resident=who, via=np.full(len(who), int(via)))

    def start_training(self, model: GovModel) -> None:
        """A seasonal training project per community enrols job-seekers (a keyed random pick)."""
        p, pop = model.params, model.pop
        for c in range(p.communities):
            lo, hi = model.community_rows[c]
            pool = lo + np.flatnonzero(pop.employment[lo:hi] == Employment.UNEMPLOYED)
            rank = np.argsort(model.streams.uniform("training", pop.uid[pool], model.day), kind="stable")
            take = pool[rank[: p.training_size]]
            self.trained_until[take] = model.day + p.training_effect_days
            self.trainings.add(day=np.full(len(take), model.day), resident=take)


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


def training_days(params) -> set[int]:
    """Days of the year (0 = 1 January) on which training projects start; winter first."""
    n = params.training_projects_year
    if n == 0:
        return set()
    # Spread over the year from training_start_day (early November: winter training).
    return {int(params.training_start_day + i * 365 / n) % 365 for i in range(n)}
