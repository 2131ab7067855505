"""The 大党委 joint meeting: partner units pool money into projects from the needs list.

Each community's committee absorbs member units and holds joint meetings
(about quarterly [S]) that pool money into projects on the needs list: road
paving, sewer pipes, parking bays, basic property management, renovation, and
winter snow removal (docs/sources.md [A]). At each meeting a unit pledges a share of
its remaining yearly budget, more if past joint projects succeeded
(reciprocity); the pooled money funds projects in priority order; a funded
project takes its duration and then raises satisfaction and trust in the
compound (grid) it serves. Ledgers keep pledged = spent + held.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

import numpy as np

from ..params import Params
from ..providers import ProviderKind, ProviderState, yearly_budget
from ..rng import poisson_from_uniform
from ..schedule import Phase, every, on_day_of_year
from ..window import Metric, Window, count
from .base import Service

if TYPE_CHECKING:
    from ..model import GovModel


class ProjectType(enum.IntEnum):
    PAVING = 0
    SEWER = 1
    PARKING = 2
    PROPERTY_MANAGEMENT = 3
    RENOVATION = 4
    SNOW_REMOVAL = 5


class ProjectState(enum.IntEnum):
    WAITING = 0
    FUNDED = 1
    DONE = 2
    DROPPED = 3  # a winter job not funded by the end of winter


WINTER_START, WINTER_END = 334, 59  # 1 December to 28 February
WHOLE_COMMUNITY = -1  # ``grid`` of a project that serves the whole community
QUARTERS = 4  # new needs are listed every 91 days, a quarter of the yearly rate each time


def project_cost(params: Params, kind: ProjectType) -> float:
    """Yuan a project of ``kind`` costs (``project_cost_<kind>`` x ``project_cost_scale``)."""
    return getattr(params, f"project_cost_{kind.name.lower()}") * params.project_cost_scale


def _projects(w: Window, column: str) -> float:
    day = w.model.projects.arrays(column)
    return count((day >= w.d0) & (day <= w.d1)) if len(day) else 0.0


class JointProjects(Service):
    """The needs list and projects of every community (one row per project) and the pools.

    Columns: ``community``, ``grid`` (:data:`WHOLE_COMMUNITY` for the whole community),
    ``kind``, ``cost``, ``state``, ``listed``, ``funded``, ``done`` (days, -1 before);
    ``pledges`` (day, unit, community, yuan) and ``pool`` (community -> uncommitted yuan).
    """

    name = "projects"
    keyed = ("project_count", "project_kind")
    outcomes = (
        Metric(
            "projects_funded",
            "projects",
            "needs-list projects funded at joint meetings",
            lambda w, g: _projects(w, "funded"),
            label="Projects funded",
            direction="higher",
            flow=True,
        ),  # fmt: skip
        Metric(
            "projects_completed",
            "projects",
            "projects completed",
            lambda w, g: _projects(w, "done"),
            label="Projects completed",
            direction="higher",
            headline=17,
            flow=True,
        ),  # fmt: skip
        Metric(
            "projects_waiting",
            "projects",
            "projects on the needs list, not funded",
            lambda w, g: count(w.model.projects.arrays("state") == ProjectState.WAITING),
            label="Projects waiting",
            direction="lower",
        ),  # fmt: skip
        Metric(
            "money_pledged",
            "yuan",
            "money units pledged at joint meetings",
            lambda w, g: w.model.projects.pledged(w.d0, w.d1),
            label="Money pledged",
            flow=True,
        ),  # fmt: skip
        Metric(
            "money_spent",
            "yuan",
            "money spent on completed projects",
            lambda w, g: w.model.projects.spent(w.d0, w.d1),
            label="Money spent",
            flow=True,
        ),  # fmt: skip
        Metric(
            "money_held",
            "yuan",
            "pledged money not yet spent (pools + projects under way)",
            lambda w, g: w.model.projects.held(),
            label="Money held",
        ),  # fmt: skip
    )

    def __init__(self, model: GovModel) -> None:
        super().__init__(model)
        self.community: list[int] = []
        self.grid: list[int] = []
        self.kind: list[int] = []
        self.cost: list[float] = []
        self.state: list[int] = []
        self.listed: list[int] = []
        self.funded: list[int] = []
        self.done: list[int] = []
        self.pledges: list[tuple[int, int, int, float]] = []  # day, unit, community, yuan
        self.pool: dict[int, float] = {}  # community -> uncommitted yuan
        self.new_project_needs(model, model.params.project_needs_per_grid)

    def phases(self) -> tuple[Phase, ...]:
        book = "projects"
        return (
            Phase(
                "new_year_budgets",
                self.new_year_budgets,
                on_day_of_year(lambda m: {0}, "1 January"),
                reads=("params",),
                writes=("providers",),
                after="policies",
            ),  # fmt: skip
            Phase(
                "projects_progress",
                self.daily_projects,
                reads=(book, "providers", "pop"),
                writes=(book, "pop.satisfaction", "pop.trust", "providers"),
                after="expire",
            ),  # fmt: skip
            Phase(
                "joint_meeting",
                self.joint_meeting,
                on_day_of_year(_meeting_days, "meeting days"),
                reads=(book, "providers", "params"),
                writes=(book, "providers"),
                after="expire",
            ),  # fmt: skip
            Phase(
                "winter_needs",
                self.winter_needs,
                on_day_of_year(lambda m: {WINTER_START}, "1 December"),
                reads=(book, "params"),
                writes=(book,),
                after="expire",
            ),  # fmt: skip
            Phase(
                "new_project_needs",
                self.quarterly_needs,
                every(91),
                reads=("params",),
                writes=(book,),
                after="expire",
            ),  # fmt: skip
        )

    # --- the book ---------------------------------------------------------------------
    def add(self, community: int, grid: int, kind: ProjectType, cost: float, day: int) -> None:
        self.community.append(community)
        self.grid.append(grid)
        self.kind.append(int(kind))
        self.cost.append(cost)
        self.state.append(ProjectState.WAITING)
        self.listed.append(day)
        self.funded.append(-1)
        self.done.append(-1)

    def arrays(self, name: str) -> np.ndarray:
        return np.asarray(getattr(self, name))

    def pledged(self, d0: int = 0, d1: int | None = None) -> float:
        """Yuan pledged at meetings held on days ``[d0, d1]``."""
        if not self.pledges:
            return 0.0
        rows = np.asarray(self.pledges, float)
        day = rows[:, 0]
        sel = (day >= d0) & (day <= (np.inf if d1 is None else d1))
        return float(rows[sel, 3].sum())

    def spent(self, d0: int = 0, d1: int | None = None) -> float:
        done = self.arrays("done")
        if len(done) == 0:
            return 0.0
        sel = (done >= d0) & (self.arrays("state") == ProjectState.DONE)
        if d1 is not None:
            sel &= done <= d1
        return float(self.arrays("cost")[sel].sum())

    def held(self) -> float:
        """Uncommitted pools plus money committed to projects under way."""
        st = self.arrays("state")
        committed = float(self.arrays("cost")[st == ProjectState.FUNDED].sum()) if len(st) else 0.0
        return sum(self.pool.values()) + committed

    # --- phases -----------------------------------------------------------------------
    def new_project_needs(self, model: GovModel, mean_per_grid: float) -> None:
        """Compounds put projects on the needs list (keyed by grid and day)."""
        p, pop = model.params, model.pop
        n_grids = len(pop.grid_community)
        grid_ids = np.arange(n_grids)
        draws = model.streams.uniform("project_count", pop.grid_uid, model.day)
        counts = poisson_from_uniform(mean_per_grid, draws)
        grids = np.repeat(grid_ids, counts)
        nth = np.arange(len(grids)) - np.repeat(np.cumsum(counts) - counts, counts)
        u = model.streams.uniform("project_kind", pop.grid_uid[grids], nth, model.day)
        kinds = (u * ProjectType.SNOW_REMOVAL).astype(np.int64)  # any type but snow removal
        for g, k in zip(grids.tolist(), kinds.tolist(), strict=True):
            cost = project_cost(p, ProjectType(k))
            self.add(int(pop.grid_community[g]), g, ProjectType(k), cost, model.day)

    def quarterly_needs(self, model: GovModel) -> None:
        """New needs listed every quarter (``project_needs_per_grid_year`` / 4 a grid)."""
        self.new_project_needs(model, model.params.project_needs_per_grid_year / QUARTERS)

    def winter_needs(self, model: GovModel) -> None:
        """Each community lists snow removal for the winter (it serves every grid: ``grid`` -1)
        and funds it at once from its pool if the pool holds enough (winter work cannot wait
        for the next joint meeting); otherwise it waits for one held before the end of winter."""
        p = model.params
        for c in range(p.communities):
            cost = project_cost(p, ProjectType.SNOW_REMOVAL)
            self.add(c, WHOLE_COMMUNITY, ProjectType.SNOW_REMOVAL, cost, model.day)
            if self.pool.get(c, 0.0) >= cost:
                self.pool[c] -= cost
                self.state[-1] = ProjectState.FUNDED
                self.funded[-1] = model.day

    def joint_meeting(self, model: GovModel) -> None:
        """Units pledge; pooled money funds waiting projects, oldest and largest compound first."""
        p, pr = model.params, model.providers
        units = np.flatnonzero((pr.kind == ProviderKind.UNIT) & (pr.state == ProviderState.ACTIVE))
        share = np.minimum(
            1.0,
            p.pledge_share
            * (1.0 + p.reciprocity_weight * np.minimum(pr.successes[units], p.reciprocity_cap)),
        )
        pledge = pr.budget_left[units] * share
        pr.budget_left[units] -= pledge
        for u, y in zip(units.tolist(), pledge.tolist(), strict=True):
            if y > 0:
                c = int(pr.community[u])
                self.pledges.append((model.day, u, c, y))
                self.pool[c] = self.pool.get(c, 0.0) + y
                pr.pledged_day[u] = model.day
        self._fund(model)

    def _fund(self, model: GovModel) -> None:
        day = model.day
        st = self.arrays("state")
        waiting = np.flatnonzero(st == ProjectState.WAITING)
        if len(waiting) == 0:
            return
        size = np.bincount(model.pop.grid, minlength=len(model.pop.grid_community))
        size = np.append(size, model.pop.n)  # index -1: a whole-community project comes first
        grid = self.arrays("grid")[waiting]
        order = waiting[np.lexsort((-size[grid], self.arrays("listed")[waiting]))]
        for i in order.tolist():
            c = self.community[i]
            if self.kind[i] == ProjectType.SNOW_REMOVAL and not _winter(day):
                continue
            if self.pool.get(c, 0.0) >= self.cost[i]:
                self.pool[c] -= self.cost[i]
                self.state[i] = ProjectState.FUNDED
                self.funded[i] = day

    def daily_projects(self, model: GovModel) -> None:
        """Funded projects finish after their duration and improve their compound."""
        p, pop, pr, day = model.params, model.pop, model.providers, model.day
        if not self.state:
            return
        st, kind = self.arrays("state"), self.arrays("kind")
        days = np.array([getattr(p, f"project_days_{t.name.lower()}") for t in ProjectType])
        due = self.arrays("funded") + days[kind]
        for i in np.flatnonzero((st == ProjectState.FUNDED) & (due <= day)).tolist():
            self.state[i] = ProjectState.DONE
            self.done[i] = day
            lo, hi = model.community_rows[self.community[i]]
            if self.grid[i] == WHOLE_COMMUNITY:
                served = np.arange(lo, hi)
            else:
                served = lo + np.flatnonzero(pop.grid[lo:hi] == self.grid[i])
            # The effect scales with the yuan it delivers to each resident it serves (a paving
            # of one grid reaches its residents fully, snow removal spread over a community
            # barely), and fades as satisfaction and trust drift back (monthly_drift).
            reach = min(1.0, self.cost[i] / max(len(served), 1) / p.project_full_effect_yuan)
            pop.satisfaction[served] = np.minimum(
                1.0, pop.satisfaction[served] + reach * p.project_satisfaction_gain
            )
            pop.trust[served] = np.minimum(1.0, pop.trust[served] + reach * p.project_trust_gain)
            partners = (pr.kind == ProviderKind.UNIT) & (pr.community == self.community[i])
            partners &= pr.pledged_day == self.funded[i]  # pledged at the meeting that funded it
            pr.successes[partners] += 1
        if day % 365 == WINTER_END + 1:
            for i in np.flatnonzero(
                (st == ProjectState.WAITING) & (kind == ProjectType.SNOW_REMOVAL)
            ).tolist():
                self.state[i] = ProjectState.DROPPED

    def new_year_budgets(self, model: GovModel) -> None:
        """Units receive their yearly money budget (1 January)."""
        pr = model.providers
        pr.budget_left[:] = yearly_budget(pr.unit_kind, model.params)


def _winter(day: int) -> bool:
    d = day % 365
    return d >= WINTER_START or d <= WINTER_END


def _meeting_days(model: GovModel) -> set[int]:
    p = model.params
    n = p.joint_meetings_per_year
    return {int(p.first_meeting_day + i * 365 / n) % 365 for i in range(n)}
