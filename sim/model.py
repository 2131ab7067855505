"""GovModel: one or more Tiexi-like communities, stepped one day at a time.

The daily step runs the named phases of :data:`~sim.schedule.PHASES` in order. Residents
live in columnar arrays (:mod:`sim.population`); providers in a table
(:mod:`sim.providers`) with Mesa agents for their monthly decisions
(:mod:`sim.agents`); outcomes are pure functions of state declared in
:mod:`sim.metrics` and collected by Mesa's ``DataCollector``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import mesa
import numpy as np

from . import activities, canteen, care, jobs, metrics, projects
from .agents import CommunityCommittee, PartnerUnit, Resident, Volunteer
from .canteen import Canteens, Meal
from .errors import InputError
from .needs import NeedBook, NeedType, need_rates
from .network import TieKind, build_network, clustering_sample
from .params import MAX_DAYS, Params, estimate_memory
from .policies import Policy
from .population import build_population
from .providers import ProviderKind, ProviderTable, initial_volunteers
from .rng import Streams
from .schedule import PHASES
from .window import group_masks


def check_fits_in_memory(params: Params) -> None:
    """Refuse a model that would not fit in this machine's memory (one line, InputError)."""
    residents, need = estimate_memory(params.communities, params.households_per_community)
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return
    if need > 0.8 * total:
        raise InputError(
            f"communities={params.communities} x households_per_community={params.households_per_community} "
            f"is ~{residents:,} residents needing ~{need / 2**30:.1f} GiB; this machine has "
            f"{total / 2**30:.1f} GiB (limit 80 %)"
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
        check_fits_in_memory(self.params)
        self.policies = tuple(policies)
        self.policy_memory: dict[int, object] = {}  # what a running policy must undo later
        for policy in self.policies:
            policy.validate(self.params)
        self.streams = Streams(seed)
        self.seed = seed
        self.pop = build_population(self.params, self.streams)
        self.net = build_network(self.pop, self.params, self.streams)
        self.needs = NeedBook()
        self.providers = ProviderTable()
        self.provider_of_resident = np.full(self.pop.n, -1, np.int32)
        self._group_masks: dict[str, np.ndarray] | None = None
        self._derive()
        self._build_actors()
        self._build_services()
        self.refresh_tie_counts()
        self._clustering: tuple[int, float] = (-1, float("nan"))
        self.network_metric_cache: dict = {}
        self.group_version = 0
        self.datacollector = metrics.make_collector() if collect else None

    # --- construction ---------------------------------------------------------------
    def _derive(self) -> None:
        """Arrays computed once from the population (rates, visit weights, row ranges)."""
        p, pop = self.params, self.pop
        if not hasattr(self, "care_level0"):
            self.care_level0, self.cooks_self0 = pop.care_level.copy(), pop.cooks_self.copy()
        # Base arrivals always use day-0 attributes (common random numbers; keyed ``arrival``).
        self.rates_day0 = need_rates(pop, p, self.care_level0, self.cooks_self0)
        self.cum_rates = np.asfortranarray(np.cumsum(self.rates_day0, axis=1))  # total read daily
        self.hours_by_type = np.array([getattr(p, f"hours_{t.name.lower()}") for t in NeedType])
        self.min_hours = float(self.hours_by_type.min())
        alone_hh = np.bincount(pop.household, pop.lives_alone, len(pop.hh_size)) > 0
        # A grid's visits a day shared among its households by weight (elders alone first).
        weight = np.where(alone_hh, p.grid_vulnerable_weight, 1.0)
        grid = pop.bld_grid[pop.hh_building]
        share = p.grid_workers_per_grid * p.grid_visits_per_worker_day / np.bincount(grid, weight)[grid]
        self.household_visit_prob = np.minimum(1.0, weight * share)
        self.grid_residents = np.bincount(pop.grid, minlength=len(pop.grid_community))
        bounds = np.searchsorted(pop.community, np.arange(p.communities + 1))
        self.community_rows = list(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))

    def _build_actors(self) -> None:
        p, pr = self.params, self.providers
        who, active = initial_volunteers(self.pop, p, self.streams)
        self.add_volunteers(who, active=active)
        self.add_units(np.repeat(np.arange(p.communities, dtype=np.int32), p.partner_units))
        self.committees = [CommunityCommittee(self, community=c) for c in range(p.communities)]
        comm = np.arange(p.communities, dtype=np.int32)
        if p.five_society_linkage:
            pr.add_staff(
                ProviderKind.SOCIAL_WORKER, np.repeat(comm, p.social_workers),
                p.social_worker_hours_month, self.pop, self.streams, 0,
            )  # fmt: skip
        pr.add_staff(
            ProviderKind.CARE_STAFF, np.repeat(comm, p.care_centre_staff),
            p.care_staff_hours_month, self.pop, self.streams, 0,
        )  # fmt: skip
        self.month_draws = np.zeros((pr.n, 4))

    def _build_services(self) -> None:
        """Canteens, care, jobs, projects and classes at day 0."""
        n = self.pop.n
        self.served_today = np.empty(0, np.int64)
        self.meal_choice = np.full(n, Meal.NONE, np.int8)
        self.canteen_peer_share = np.zeros(n)
        self.canteens = Canteens()
        self.canteen_today: dict[str, np.ndarray] = {}
        self.last_canteen_day = np.full(n, -1, np.int32)
        self.meal_log = np.zeros((400, 4, 2), np.int64)  # day x group x (diners not cooking, skipped)
        canteen.open_default_canteens(self)
        self.worsened = np.zeros(n, np.int16)
        self.excess_rows = np.empty(0, np.int64)
        self.excess_cum = np.zeros((0, len(NeedType)))
        self.trained_until = np.full(n, -1, np.int32)
        self.placements = jobs.EventLog("day", "resident", "via")
        self.trainings = jobs.EventLog("day", "resident")
        self.projects = projects.ProjectBook()
        projects.new_project_needs(self, self.params.project_needs_per_grid)
        activities.enrol_classes(self)

    def add_volunteers(self, who: np.ndarray, *, active: np.ndarray) -> None:
        """Register residents ``who`` as volunteers and create their agents."""
        ids = self.providers.add_volunteers(who, self.pop, self.params, self.streams, self.day, active)
        self.provider_of_resident[who] = ids
        for pid in ids.tolist():
            Volunteer(self, provider_id=pid)

    def add_units(self, communities: np.ndarray) -> np.ndarray:
        """Bring one partner unit into each entry of ``communities``; returns provider ids."""
        ids = self.providers.add_units(communities, self.pop, self.params, self.streams, self.day)
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
        care.refresh_excess_rates(self)
        self.refresh_diners()

    def refresh_diners(self) -> None:
        """Who takes part in the lunch choice, and their nearest canteen.

        Residents who leave the choice (a job, a care level of 2+) have no lunch
        on record, so it neither counts for their ties nor meets their meal needs.
        """
        self.diner_rows = canteen.diners(self)
        left = np.ones(self.pop.n, bool)
        left[self.diner_rows] = False
        self.meal_choice[left] = Meal.NONE
        if hasattr(self, "canteen_of"):  # every resident's nearest canteen is already known
            self.diner_canteen = self.canteen_of[self.diner_rows]
            self.diner_distance = self.canteen_km[self.diner_rows]
        else:
            self.refresh_meal_geography()

    def refresh_meal_geography(self) -> None:
        """Nearest open canteen of every resident (after a canteen opens or closes)."""
        if not hasattr(self, "diner_rows"):
            self.diner_rows = canteen.diners(self)
        everyone = np.arange(self.pop.n)
        self.canteen_of, self.canteen_km = canteen.nearest_canteen(self, everyone)
        self.diner_canteen = self.canteen_of[self.diner_rows]
        self.diner_distance = self.canteen_km[self.diner_rows]

    def group_masks_changed(self) -> None:
        """Group membership may have changed (employment): recompute masks when next needed."""
        self._group_masks = None
        self.group_version += 1

    def refresh_tie_counts(self) -> None:
        """Per-resident tie counts and canteen peer shares (refreshed when ties change)."""
        net, pop = self.net, self.pop
        self.all_ties = np.diff(net.indptr)
        # Household ties are permanent cliques: hh_size - 1 of them per resident.
        household = pop.hh_size[pop.household].astype(np.int64) - 1
        self.neighbour_ties = self.all_ties - household
        kin_edges = np.flatnonzero(net.kind == TieKind.KIN)
        kin = household + net.degree_of_edges(kin_edges)
        # Kin help with home needs; neighbours count for less (informal help capacity).
        self.helpers = kin + self.params.neighbour_help_weight * (self.all_ties - kin)
        eats = self.meal_choice == Meal.CANTEEN
        peers = np.bincount(net.u[eats[net.v]], minlength=net.n)
        peers += np.bincount(net.v[eats[net.u]], minlength=net.n)
        self.canteen_peer_share = peers / np.maximum(self.all_ties, 1)

    # --- running ----------------------------------------------------------------------
    @property
    def day(self) -> int:
        """Today, counted from 0."""
        return max(self.steps - 1, 0)

    def step(self) -> None:
        """One day: every phase due today, in :data:`PHASES` order, then data collection."""
        for phase in PHASES:
            if phase.when(self):
                phase.fn(self)
        if self.datacollector is not None:
            self.datacollector.collect(self)

    def run(self, days: int, progress: Callable[[int], None] | None = None) -> None:
        """Run ``days`` days, calling ``progress(day)`` after each one."""
        if self.steps + days > MAX_DAYS:
            raise InputError(f"days = {days}: a model runs at most {MAX_DAYS:,} days in all")
        for _ in range(days):
            self.step()
            if progress is not None:
                progress(self.day)

    @property
    def group_masks(self) -> dict[str, np.ndarray]:
        """Resident masks of the reporting groups (recomputed after employment changes)."""
        if self._group_masks is None:
            self._group_masks = group_masks(self)
            self._group_index = {g: np.flatnonzero(m) for g, m in self._group_masks.items()}
        return self._group_masks

    @property
    def group_index(self) -> dict[str, np.ndarray]:
        """Resident rows of each reporting group."""
        self.group_masks  # noqa: B018 - builds the index with the masks
        return self._group_index

    def clustering(self) -> float:
        """Mean local clustering, recomputed only when the network has changed."""
        if self._clustering[0] != self.net.version:
            self._clustering = (self.net.version, clustering_sample(self.net))
        return self._clustering[1]

    def resident(self, index: int) -> Resident:
        """A view of resident ``index``."""
        return Resident(self, index)
