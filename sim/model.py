"""GovModel: one or more Tiexi-like communities, stepped one day at a time.

The daily step runs the named phases of :data:`PHASES` in order. Residents
live in columnar arrays (:mod:`sim.population`); providers in a table
(:mod:`sim.providers`) with Mesa agents for their monthly decisions
(:mod:`sim.agents`); outcomes are pure functions of state declared in
:mod:`sim.metrics` and collected by Mesa's ``DataCollector``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import mesa
import numpy as np

from . import loop, metrics
from .agents import CommunityCommittee, PartnerUnit, Resident, Volunteer
from .needs import NeedBook, NeedType, need_rates
from .network import build_network, clustering_sample, weekly_ties
from .params import Params
from .policies import Policy
from .population import build_population
from .providers import ProviderTable, initial_volunteers
from .rng import Streams


@dataclass(frozen=True)
class Phase:
    """One named step of the day: ``fn(model)`` runs on days where (day + 1) % every == 0."""

    name: str
    fn: Callable[[GovModel], None]
    every: int = 1


def _weekly_network(model: GovModel) -> None:
    weekly_ties(model.net, model.pop, model.params, model.streams["ties"], model.day)
    loop.weekly_awareness(model)
    model.refresh_tie_counts()


def _monthly_actors(model: GovModel) -> None:
    model.month_draws = model.streams["volunteers"].random((model.providers.n, 4))
    for kind in (Volunteer, PartnerUnit):
        if kind in model.agents_by_type:
            model.agents_by_type[kind].shuffle_do("monthly_review")
    for committee in model.committees:  # fixed order: they share the recruit stream
        committee.recruit()
    loop.monthly_drift(model)
    pr = model.providers
    for col in (pr.hours_used, pr.services_month, pr.declines_month, pr.notified_month):
        col[:] = 0


def _apply_policies(model: GovModel) -> None:
    for policy in model.policies:
        if policy.start_day == model.day:
            policy.start(model)
        if policy.end_day == model.day:
            policy.end(model)


PHASES: tuple[Phase, ...] = (
    Phase("policies", _apply_policies),
    Phase("arise_needs", loop.arise_needs),
    Phase("informal_help", loop.informal_help),
    Phase("residents_order", loop.residents_order),
    Phase("grid_visits", loop.grid_visits),
    Phase("dispatch", loop.dispatch),
    Phase("serve", loop.serve),
    Phase("expire", loop.expire),
    Phase("weekly_network", _weekly_network, every=7),
    Phase("monthly_actors", _monthly_actors, every=30),
)


class GovModel(mesa.Model):
    """A Mesa model of community governance in Tiexi-like communities.

    Args:
        params: model parameters; defaults to :class:`~sim.params.Params()`.
        seed: the run seed; every random stream is derived from it.
        policies: interventions with start and end days (:mod:`sim.policies`).
        collect: collect the daily series with Mesa's ``DataCollector``.
    """

    def __init__(
        self,
        params: Params | None = None,
        seed: int = 0,
        *,
        policies: Sequence[Policy] = (),
        collect: bool = True,
    ) -> None:
        super().__init__(rng=seed)
        self.params = self.base_params = params or Params()
        self.policies = tuple(policies)
        self.policy_memory: dict[int, object] = {}  # what a running policy must undo later
        for policy in self.policies:
            policy.validate(self.params)
        self.streams = Streams(seed)
        self.seed = seed
        self.pop = build_population(self.params, self.streams["population"])
        self.net = build_network(self.pop, self.params, self.streams["network"])
        self.needs = NeedBook()
        self.providers = ProviderTable()
        self.provider_of_resident = np.full(self.pop.n, -1, np.int32)
        self._derive()
        self._build_actors()
        self.refresh_tie_counts()
        self._group_masks: dict[str, np.ndarray] | None = None
        self._clustering: tuple[int, float] = (-1, float("nan"))
        self.datacollector = metrics.make_collector() if collect else None

    # --- construction ---------------------------------------------------------------
    def _derive(self) -> None:
        """Arrays computed once from the population (rates, visit weights, row ranges)."""
        p, pop = self.params, self.pop
        self.cum_rates = np.cumsum(need_rates(pop, p), axis=1)
        self.hours_by_type = np.array([getattr(p, f"hours_{t.name.lower()}") for t in NeedType])
        self.min_hours = float(self.hours_by_type.min())
        alone_hh = np.bincount(pop.household, pop.lives_alone, len(pop.hh_size)) > 0
        self.household_visit_weight = np.where(alone_hh, p.grid_vulnerable_weight, 1.0)
        self.household_grid = pop.bld_grid[pop.hh_building]
        totals = np.bincount(self.household_grid, self.household_visit_weight)
        self.grid_visit_weight_total = totals
        bounds = np.searchsorted(pop.community, np.arange(p.communities + 1))
        self.community_rows = list(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))

    def _build_actors(self) -> None:
        p, pr = self.params, self.providers
        rng = self.streams["population"]
        who, active = initial_volunteers(self.pop, p, rng)
        self.add_volunteers(who, active=active)
        self.add_units(np.repeat(np.arange(p.communities, dtype=np.int32), p.partner_units))
        self.committees = [CommunityCommittee(self, community=c) for c in range(p.communities)]
        self.month_draws = np.zeros((pr.n, 4))

    def add_volunteers(self, who: np.ndarray, *, active: np.ndarray) -> None:
        """Register residents ``who`` as volunteers and create their agents."""
        ids = self.providers.add_volunteers(
            who, self.pop, self.params, self.streams["recruit"], self.day, active
        )
        self.provider_of_resident[who] = ids
        for pid in ids.tolist():
            Volunteer(self, provider_id=pid)

    def add_units(self, communities: np.ndarray) -> np.ndarray:
        """Bring one partner unit into each entry of ``communities``; returns provider ids."""
        ids = self.providers.add_units(communities, self.pop, self.params, self.streams["units"], self.day)
        for pid in ids.tolist():
            PartnerUnit(self, provider_id=pid)
        return ids

    def retire_units(self, provider_ids: np.ndarray) -> None:
        """The given partner units leave (a structural policy ends)."""
        leaving = set(np.asarray(provider_ids).tolist())
        for agent in list(self.agents_by_type.get(PartnerUnit, [])):
            if agent.provider_id in leaving:
                agent.leave(burnout=False)

    def set_params(self, params: Params) -> None:
        """Swap parameters mid-run (a policy) and recompute what derives from them."""
        self.params = params
        self._derive()

    def refresh_tie_counts(self) -> None:
        """Per-resident tie counts used by daily decisions (refreshed when ties change)."""
        self.strong_ties = self.net.degree()
        self.neighbour_ties = self.net.degree(loop.NEIGHBOUR_KINDS)

    # --- running ----------------------------------------------------------------------
    @property
    def day(self) -> int:
        """Today, counted from 0."""
        return max(self.steps - 1, 0)

    def step(self) -> None:
        """One day: every phase due today, in :data:`PHASES` order, then data collection."""
        day = self.day
        for phase in PHASES:
            if (day + 1) % phase.every == 0:
                phase.fn(self)
        if self.datacollector is not None:
            self.datacollector.collect(self)

    def run(self, days: int, progress: Callable[[int], None] | None = None) -> None:
        """Run ``days`` days, calling ``progress(day)`` after each one."""
        for _ in range(days):
            self.step()
            if progress is not None:
                progress(self.day)

    @property
    def group_masks(self) -> dict[str, np.ndarray]:
        """Resident masks of the reporting groups (attributes are fixed during a run)."""
        if self._group_masks is None:
            self._group_masks = metrics.group_masks(self)
        return self._group_masks

    def clustering(self) -> float:
        """Mean local clustering, recomputed only when the network has changed."""
        if self._clustering[0] != self.net.version:
            self._clustering = (self.net.version, clustering_sample(self.net))
        return self._clustering[1]

    def resident(self, index: int) -> Resident:
        """A view of resident ``index``."""
        return Resident(self, index)
