"""GovModel: one or more Tiexi-like communities, stepped one day at a time.

The model keeps the shared state — residents in columnar arrays
(:mod:`sim.population`), their ties (:mod:`sim.network`), the need book
(:mod:`sim.needs`), providers in a table (:mod:`sim.providers`) with Mesa agents
for their monthly decisions (:mod:`sim.agents`), the random streams — and a
tuple of services (:mod:`sim.services`), each owning its own state. The daily
step runs the phases of :attr:`GovModel.phases` in order: the shared ones of
:data:`~sim.schedule.CORE_PHASES` with the services' placed among them.
Outcomes are pure functions of state declared once in :mod:`sim.metrics` and by
the services, collected by Mesa's ``DataCollector``.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Sequence

import mesa
import numpy as np

from . import i18n, metrics
from .agents import CommunityCommittee, PartnerUnit, Resident, Volunteer
from .needs import NeedBook, NeedType, need_rates
from .network import TieKind, build_network, clustering_sample
from .params import MAX_DAYS, MEMORY_LIMIT_SHARE, Params, estimate_memory, plain
from .policies import Policy
from .population import build_population
from .providers import ProviderKind, ProviderTable, initial_volunteers
from .rng import Streams
from .schedule import CORE_PHASES, Phase, assemble
from .services import DEFAULT_SERVICES, Service
from .window import GROUPS, Metric, group_masks


def check_fits_in_memory(params: Params) -> None:
    """Refuse a model that would not fit in this machine's memory (one line, InputError)."""
    residents, need = estimate_memory(params.communities, params.households_per_community)
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return
    if need > MEMORY_LIMIT_SHARE * total:
        raise i18n.error(
            "model_memory",
            communities=params.communities,
            households=params.households_per_community,
            residents=f"{residents:,}",
            need=f"{need / 2**30:.1f}",
            total=f"{total / 2**30:.1f}",
            limit=f"{MEMORY_LIMIT_SHARE:.0%}",
        )


class _Default(int):
    """The default seed, 0, told apart from an explicit ``seed=0`` so that ``rng=`` may replace it."""

    def __repr__(self) -> str:
        return "0"


DEFAULT_SEED = _Default()  # 0
# Seeds handed out to models built with seed=None, per parameter set (derived_seed).
_UNSEEDED: Counter[tuple] = Counter()


def derived_seed(base_seed: int, rep: int) -> int:
    """Seed of replication ``rep`` under ``base_seed``: the first 32-bit word of
    ``SeedSequence(base_seed, spawn_key=(rep,))``, as ``govsim compare`` and ``sweep`` derive
    the seed of each replication from ``--seed``."""
    state = np.random.SeedSequence(base_seed, spawn_key=(rep,)).generate_state(1, dtype=np.uint32)
    return int(state[0])


def resolve_seed(seed: object, rng: object, params: Params, policies: Sequence[Policy] = ()) -> int:
    """The integer run seed from ``seed`` or Mesa's ``rng`` (one of them).

    None for both: the k-th model built so in this process with the same parameters gets
    ``derived_seed(0, k)`` (k = 0, 1, ...), so ``mesa.batch_run(GovModel, ..., iterations=n)``
    in one process gives every parameter combination the seeds of replications 0..n-1 of
    ``govsim compare --seed 0``: reproducible and paired across combinations. With
    ``number_processes > 1`` the order of runs across processes is not fixed: pass the seeds
    (``rng=[...]``) instead.
    """
    if seed is DEFAULT_SEED:
        seed = None if rng is not None else 0
    if seed is not None and rng is not None:
        raise i18n.error("apierr.seed_and_rng", seed=repr(seed), rng=repr(rng))
    value = plain(seed if seed is not None else rng)
    if value is None:
        key = (repr(params), repr(tuple(policies)))
        _UNSEEDED[key] += 1
        return derived_seed(0, _UNSEEDED[key] - 1)
    if isinstance(value, np.random.SeedSequence):
        return int(value.generate_state(1, dtype=np.uint32)[0])
    if isinstance(value, np.random.Generator):
        return int(value.integers(np.iinfo(np.uint32).max))
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise i18n.error("apierr.seed", value=repr(value))
    return value


class GovModel(mesa.Model):
    """A Mesa model of community governance in Tiexi-like communities.

    Args:
        params: model parameters; defaults to :class:`~sim.params.Params()`.
        seed: the run seed (an integer >= 0, default 0); every random stream is derived from it.
            None (what ``mesa.batch_run`` passes for ``iterations=n``) derives one: see
            :func:`derived_seed`.
        rng: Mesa's name for the seed: an integer, a ``numpy.random.SeedSequence`` or a
            seeded ``numpy.random.Generator`` (one integer is taken from it); give ``seed`` or
            ``rng``, not both.
        policies: interventions with start and end days (:mod:`sim.policies`).
        collect: collect the daily series with Mesa's ``DataCollector``.
        services: the service classes to build, in order (:data:`~sim.services.DEFAULT_SERVICES`).
            Each is reachable as an attribute named by its ``name`` (``model.canteens``).
        spin_up: simulate ``params.spinup_days`` before the measured window.
        **overrides: any parameter of :class:`~sim.params.Params` by name, applied to
            ``params`` (``GovModel(partner_units=24, seed=1)``); an unknown name is an
            :class:`~sim.errors.InputError` naming the closest parameter.

    Days and steps: ``model.day`` counts every simulated day from 0, spin-up included.
    Mesa's ``model.steps`` counts the measured days only: it is 0 when the model is built
    (after its spin-up) and ``n`` after ``n`` calls of ``step()``, so the DataCollector
    row of step ``n`` is measured day ``n - 1`` and ``mesa.batch_run(..., max_steps=n)``
    runs ``n`` measured days. ``model.time`` is Mesa's clock and keeps counting the spin-up.
    """

    def __init__(
        self,
        params: Params | None = None,
        seed: int | None = DEFAULT_SEED,
        *,
        rng: object = None,
        policies: Sequence[Policy] = (),
        collect: bool = True,
        services: Sequence[type[Service]] = DEFAULT_SERVICES,
        spin_up: bool = True,
        **overrides: object,
    ) -> None:
        params = params or Params()
        if overrides:
            params = params.replace(**overrides)
        seed = resolve_seed(seed, rng, params, policies)
        super().__init__(rng=seed)
        self.day0 = 0  # the first measured day (model.day of measured day 0)
        self.params = self.base_params = params
        check_fits_in_memory(self.params)
        for policy in policies:
            policy.validate(self.params)
        self.policies: tuple[Policy, ...] = ()  # none during the spin-up
        self.policy_memory: dict[int, object] = {}  # what a running policy must undo later
        self.streams = Streams(seed)
        self.seed = seed
        self.pop = build_population(self.params, self.streams)
        self.net = build_network(self.pop, self.params, self.streams)
        self.needs = NeedBook()
        self.providers = ProviderTable()
        self.provider_of_resident = np.full(self.pop.n, -1, np.int32)
        self.meal_km = np.full(self.pop.n, np.inf)  # km to where a delivered meal is fetched
        self.meals_missed = np.zeros(self.pop.n, np.int16)  # lunches skipped since the care review
        self.daily_means = np.full((400, len(GROUPS), 2), np.nan)  # day x group x (trust, satisfaction)
        self.today: dict[str, np.ndarray] = {}  # hand-offs between the phases of one day
        self._group_masks: dict[str, np.ndarray] | None = None
        self.group_version = 0
        # Base need arrivals always use the residents' day-0 attributes (common random numbers).
        self.care_level0, self.cooks_self0 = self.pop.care_level.copy(), self.pop.cooks_self.copy()
        self.trust0 = self.pop.trust.copy()  # trust drifts back toward it (monthly_drift)
        self._derive()
        self.refresh_need_rates()
        self._build_actors()
        self.services = self._build_services(services)
        self._attach()
        self.refresh_tie_counts()
        self._clustering: tuple[int, float] = (-1, float("nan"))
        self.network_metric_cache: dict = {}
        self.datacollector = None
        if spin_up:
            self.run(self.params.spinup_days)
        self.start_measuring(policies, collect=collect)

    def _attach(self) -> None:
        """The day's phases and the outcome registry, assembled from the services."""
        self.phases: tuple[Phase, ...] = assemble(CORE_PHASES, self.services)
        self.outcomes: tuple[Metric, ...] = metrics.registry(self.services)

    def start_measuring(self, policies: Sequence[Policy] = (), *, collect: bool = True) -> None:
        """End the spin-up: today becomes measured day 0, the policies start counting from
        it, and the daily series is collected from here on."""
        for policy in policies:
            policy.validate(self.params)
        self.policies = tuple(policies)
        self.day0 += self.steps
        self.steps = 0  # Mesa's step counter counts measured days (class docstring)
        self.datacollector = metrics.make_collector(self.outcomes) if collect else None

    @property
    def measured_day(self) -> int:
        """Today counted from the first measured day (after the spin-up); -1 before it."""
        return self.steps - 1

    def summary(self) -> dict[str, float]:
        """Every outcome over the measured window so far (day0 to today)."""
        return metrics.report(self, self.day0, self.day)

    def __getstate__(self) -> dict:
        """Pickled without what is rebuilt from the services (phases hold closures)."""
        state = self.__dict__.copy()
        for name in ("phases", "outcomes", "datacollector"):
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.datacollector = None
        self._attach()

    # --- construction ---------------------------------------------------------------
    def _derive(self) -> None:
        """Arrays computed once from the population (rates, visit weights, row ranges)."""
        p, pop = self.params, self.pop
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
                p.social_worker_hours_month, self.pop, self.streams, 0, motivation=p.staff_motivation,
            )  # fmt: skip
        pr.add_staff(
            ProviderKind.CARE_STAFF, np.repeat(comm, p.care_centre_staff),
            p.care_staff_hours_month, self.pop, self.streams, 0, motivation=p.staff_motivation,
        )  # fmt: skip

    def _build_services(self, classes: Sequence[type[Service]]) -> tuple[Service, ...]:
        """Build each service in order; each is an attribute named by its ``name``."""
        built = []
        for cls in classes:
            if not cls.name or not cls.name.isidentifier() or hasattr(self, cls.name):
                raise i18n.error("apierr.service_name", cls=cls.__name__, name=repr(cls.name))
            self.streams.declare(cls.keyed, cls.name)
            service = cls(self)
            setattr(self, cls.name, service)
            built.append(service)
        return tuple(built)

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
        self.refresh_need_rates()
        for service in self.services:
            service.params_changed()

    def refresh_need_rates(self) -> None:
        """Rates above day 0's, for residents whose state has raised their needs."""
        pop = self.pop
        # Rates depend on the resident's row alone: only rows whose care level or cooking
        # differs from day 0 can differ from day 0's rates.
        rows = np.flatnonzero((pop.care_level != self.care_level0) | (pop.cooks_self != self.cooks_self0))
        excess = np.clip(need_rates(pop, self.params)[rows] - self.rates_day0[rows], 0.0, None)
        raised = excess.sum(axis=1) > 0
        self.excess_rows = rows[raised]
        self.excess_cum = np.cumsum(excess[raised], axis=1)

    def residents_changed(self, *, need_rates: bool) -> None:
        """Residents' care levels, cooking or employment changed: what depends on them follows."""
        if need_rates:
            self.refresh_need_rates()
        for service in self.services:
            service.residents_changed()

    def group_masks_changed(self) -> None:
        """Group membership may have changed (employment): recompute masks when next needed."""
        self._group_masks = None
        self.group_version += 1

    def refresh_tie_counts(self) -> None:
        """Per-resident tie counts (refreshed when ties change)."""
        net, pop = self.net, self.pop
        self.all_ties = np.diff(net.indptr)
        # Household ties are permanent cliques: hh_size - 1 of them per resident.
        household = pop.hh_size[pop.household].astype(np.int64) - 1
        self.neighbour_ties = self.all_ties - household
        kin_edges = np.flatnonzero(net.kind == TieKind.KIN)
        kin = household + net.degree_of_edges(kin_edges)
        # Kin help with home needs; neighbours count for less (informal help capacity).
        self.helpers = kin + self.params.neighbour_help_weight * (self.all_ties - kin)

    # --- running ----------------------------------------------------------------------
    @property
    def day(self) -> int:
        """Today, counted from 0 (the spin-up's days included)."""
        return max(self.day0 + self.steps - 1, 0)

    def step(self) -> None:
        """One day: every phase due today, in :attr:`phases` order, then the day's record
        (group means of trust and satisfaction) and data collection."""
        self.today.clear()
        for phase in self.phases:
            if phase.when(self):
                phase.fn(self)
        self.record_means()
        if self.datacollector is not None:
            self.datacollector.collect(self)

    def run(self, days: int, progress: Callable[[int], None] | None = None) -> None:
        """Run ``days`` days, calling ``progress(measured_day)`` after each one."""
        days = plain(days)
        if not isinstance(days, int) or isinstance(days, bool) or days < 0:
            raise i18n.error("apierr.days", value=repr(days))
        if self.day0 + self.steps + days > MAX_DAYS:
            raise i18n.error("apierr.days_max", value=days, max=f"{MAX_DAYS:,}")
        for _ in range(days):
            self.step()
            if progress is not None:
                progress(self.measured_day)

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

    def record_means(self) -> None:
        """Today's mean trust and satisfaction of each reporting group (window means read them)."""
        if self.day >= len(self.daily_means):  # grown by doubling
            grown = np.full(
                (len(self.daily_means) + len(self.daily_means), *self.daily_means.shape[1:]), np.nan
            )
            grown[: len(self.daily_means)] = self.daily_means
            self.daily_means = grown
        pop = self.pop
        for j, g in enumerate(GROUPS):
            rows = self.group_index[g] if g != "all" else slice(None)
            for k, col in enumerate((pop.trust, pop.satisfaction)):
                values = col[rows]
                self.daily_means[self.day, j, k] = float(values.mean()) if len(values) else np.nan

    def state_items(self) -> dict[str, object]:
        """Every piece of state by the name phases declare it under (``sim.schedule``).

        Caches (anything recomputed from these on demand) are left out.
        """
        items: dict[str, object] = {"params": self.params}
        items |= {f"pop.{k}": v for k, v in vars(self.pop).items() if isinstance(v, np.ndarray)}
        items |= {f"providers.{k}": v for k, v in vars(self.providers).items() if isinstance(v, np.ndarray)}
        items["needs"] = self.needs
        net = self.net
        items["net"] = [v for k, v in vars(net).items() if isinstance(v, np.ndarray)] + [net._pending]
        items["tie_counts"] = (self.all_ties, self.neighbour_ties, self.helpers)
        items["need_rates"] = (self.excess_rows, self.excess_cum)
        items["groups"] = self.group_version
        items["agents"] = sorted(a.unique_id for a in self.agents)
        items["provider_of_resident"] = self.provider_of_resident
        items["meal_km"] = self.meal_km
        items["trust0"] = self.trust0
        items["meals_missed"] = self.meals_missed
        items["daily_means"] = self.daily_means
        items |= {f"today.{k}": v for k, v in self.today.items()}
        for service in self.services:
            items |= {f"{service.name}.{k}": v for k, v in service.state_items().items()}
        return items

    def resident(self, index: int) -> Resident:
        """A view of resident ``index``."""
        return Resident(self, index)
