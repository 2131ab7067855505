"""The "three lists" (三张清单) of a community, read off the model's state.

Each community keeps a needs list (what residents need: open service needs by
type and the compound projects waiting for money), a resources list (what its
volunteers, partner units and staff can offer: hours by skill, units' money)
and a projects list (what has been funded, is under way or is done). The
daily dispatch matches the needs list to the resources list; the joint
meeting matches waiting projects to pledged money. This module only reports
them — a pure function of state, for the CLI, notebooks and the dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .needs import NeedState, NeedType
from .providers import ProviderKind, ProviderState
from .services.projects import ProjectState, ProjectType

if TYPE_CHECKING:
    from .model import GovModel


@dataclass(frozen=True)
class ThreeLists:
    """One community's lists on one day.

    Attributes:
        needs: open service needs by type (hidden + ordered + accepted) and
            ``projects_waiting`` by project type.
        resources: spare provider hours this month by skill, active providers by
            kind, and units' money left this year (yuan).
        projects: counts of funded (under way) and completed projects by type.
    """

    community: int
    day: int
    needs: dict[str, int]
    resources: dict[str, float]
    projects: dict[str, int]


def three_lists(model: GovModel, community: int) -> ThreeLists:
    """The needs, resources and projects lists of ``community`` today."""
    b, pr, book = model.needs, model.providers, model.projects
    act = b.active
    mine = act[model.pop.community[b.resident[act]] == community]
    needs = {f"open_{t.name.lower()}": int((b.type[mine] == t).sum()) for t in NeedType}
    needs["hidden"] = int((b.state[mine] == NeedState.HIDDEN).sum())
    kinds = book.arrays("kind")
    states = book.arrays("state")
    here = book.arrays("community") == community if len(kinds) else np.zeros(0, bool)
    for t in ProjectType:
        needs[f"project_{t.name.lower()}"] = int(
            (here & (kinds == t) & (states == ProjectState.WAITING)).sum()
        )

    active = (pr.community == community) & (pr.state == ProviderState.ACTIVE)
    spare = np.maximum(pr.hours_month - pr.hours_used, 0.0)
    resources: dict[str, float] = {}
    for t in NeedType:
        resources[f"hours_{t.name.lower()}"] = float(spare[active & (pr.skill[:, t] > 0)].sum())
    for k in ProviderKind:
        resources[f"active_{k.name.lower()}"] = float((active & (pr.kind == k)).sum())
    resources["unit_money_left"] = float(pr.budget_left[active & (pr.kind == ProviderKind.UNIT)].sum())
    resources["pooled_money"] = float(book.pool.get(community, 0.0))

    projects: dict[str, int] = {}
    for t in ProjectType:
        name = t.name.lower()
        projects[f"under_way_{name}"] = int((here & (kinds == t) & (states == ProjectState.FUNDED)).sum())
        projects[f"done_{name}"] = int((here & (kinds == t) & (states == ProjectState.DONE)).sum())
    return ThreeLists(community, model.day, needs, resources, projects)
