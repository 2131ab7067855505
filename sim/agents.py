"""Mesa agents for the actors that make discrete decisions.

Volunteers and partner units are views over rows of the provider table; each
month they decide whether to stay, drop out or come back. A community
committee recruits volunteers. Monthly decisions read uniforms keyed by each
provider's identity and the day (drawn for all providers at once), so the
outcome does not depend on the order Mesa visits the agents in. :class:`Resident` is a
lightweight view of one row of the population (not a registered agent).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from .providers import ProviderState

if TYPE_CHECKING:
    from .model import GovModel


class _ProviderAgent(mesa.Agent):
    """A provider row seen as a Mesa agent."""

    def __init__(self, model: GovModel, *, provider_id: int) -> None:
        super().__init__(model)
        self.provider_id = provider_id

    @property
    def state(self) -> ProviderState:
        return ProviderState(int(self.model.providers.state[self.provider_id]))

    @property
    def motivation(self) -> float:
        return float(self.model.providers.motivation[self.provider_id])

    def leave(self, burnout: bool) -> None:
        """Drop out for good (the row stays, for retention figures)."""
        pr, i = self.model.providers, self.provider_id
        pr.state[i] = ProviderState.DROPPED
        pr.left_day[i] = self.model.day
        pr.burnout[i] = burnout
        self.remove()


class Volunteer(_ProviderAgent):
    """A resident with a volunteer role (docs/ODD.md, entities)."""

    def monthly_review(self) -> None:
        """Update motivation from the month's work, then stay, rest, return or leave.

        Motivation rises with recognised services and falls with overload and
        with declined dispatches. Load above ``burnout_load`` risks a burnout
        dropout; otherwise a background hazard (~1/3 a year, docs/sources.md)
        scaled by low motivation applies.
        """
        review_volunteers(self.model, [self])


def review_volunteers(model: GovModel, agents: list[Volunteer]) -> None:
    """:meth:`Volunteer.monthly_review` for many volunteers at once, as columns.

    Each review reads and writes only its own provider row and its own keyed draws,
    so reviewing them together gives what reviewing them one by one, in any order, gives.
    """
    if not agents:
        return
    p, pr = model.params, model.providers
    i = np.fromiter((a.provider_id for a in agents), np.int64, len(agents))
    u = model.month_draws[i].T  # keyed by the provider's identity and the day
    load = pr.hours_used[i].astype(float) / np.maximum(pr.hours_pref[i].astype(float), 1e-6)
    served = np.minimum(pr.services_month[i], 4) / 4.0
    change = 0.08 * p.recognition * served - 0.15 * np.maximum(0.0, load - 1.0)
    change += -0.01 * pr.declines_month[i] + 0.05 * (u[3] - 0.5)
    motivation = np.minimum(1.0, np.maximum(0.0, pr.motivation[i].astype(float) + change))
    pr.motivation[i] = motivation
    hazard = 1.0 - (1.0 - p.volunteer_dropout_year) ** (1.0 / 12.0)
    hazard = hazard * (2.0 * (1.0 - motivation))
    active = pr.state[i] == ProviderState.ACTIVE
    burnout = active & (load > p.burnout_load) & (u[0] < p.burnout_prob)
    leave = burnout | (u[1] < hazard)
    rest = active & ~leave & (u[2] < p.deactivation_month * 2.0 * (1.0 - motivation))
    back = ~active & ~leave & (u[2] < p.activation_month * (0.5 + p.recognition))
    pr.state[i[rest]] = ProviderState.INACTIVE
    pr.state[i[back]] = ProviderState.ACTIVE
    for k in np.flatnonzero(leave).tolist():
        agents[k].leave(burnout=bool(burnout[k]))


class PartnerUnit(_ProviderAgent):
    """A 大党委 member unit lending labour hours to the community."""

    def monthly_review(self) -> None:
        """Reciprocity: a unit whose help was used and rated well offers more hours."""
        m, p, pr, i = self.model, self.model.params, self.model.providers, self.provider_id
        used = pr.hours_used[i] / max(float(pr.hours_month[i]), 1e-6)
        quality = (pr.quality_estimate(p, i) - 3.0) / 2.0
        change = 0.05 * (used - 0.5) + 0.05 * p.recognition * quality + 0.02 * (m.month_draws[i, 3] - 0.5)
        pr.motivation[i] = np.clip(pr.motivation[i] + change, 0.0, 1.0)
        pr.hours_month[i] = pr.hours_pref[i] = p.unit_hours_month * (0.5 + pr.motivation[i])


class CommunityCommittee(mesa.Agent):
    """The community's residents' committee: recruits volunteers each month."""

    def __init__(self, model: GovModel, *, community: int) -> None:
        super().__init__(model)
        self.community = community

    def recruit(
        self, share: float | None = None, active_share: float = 0.6, decision: str = "recruit"
    ) -> None:
        """Register new volunteers among adults who are not volunteers yet.

        Args:
            share: chance each such adult registers; ``recruitment_month`` if None.
            active_share: chance a new recruit starts active.
            decision: name of the keyed draw ("recruit" monthly, "drive" for a drive).
        """
        m, pop = self.model, self.model.pop
        share = m.params.recruitment_month if share is None else share
        lo, hi = m.community_rows[self.community]  # residents are stored by community
        free = (pop.age[lo:hi] >= 18) & (m.provider_of_resident[lo:hi] < 0)
        pool = lo + np.flatnonzero(free)
        if len(pool) == 0:
            return
        weight = np.where(pop.elder[pool], 2.0, 1.0)  # retirees volunteer more (docs/sources.md)
        chance = np.minimum(1.0, share * weight / weight.mean())
        # Keyed by resident and day: whether someone joins never depends on other communities.
        who = pool[m.streams.uniform(decision, pop.uid[pool], m.day) < chance]
        if len(who):
            joins = m.streams.uniform("recruit_active", pop.uid[who], m.day) < active_share
            m.add_volunteers(who, active=joins)


class Resident:
    """A view of one resident's row: attribute reads and writes go to the arrays.

    Args:
        model: the model whose population holds the row.
        index: the resident's row.
    """

    __slots__ = ("_model", "index")

    def __init__(self, model: GovModel, index: int) -> None:
        object.__setattr__(self, "_model", model)
        object.__setattr__(self, "index", index)

    def __getattr__(self, name: str):
        col = getattr(self._model.pop, name)
        return col[self.index].item()

    def __setattr__(self, name: str, value) -> None:
        getattr(self._model.pop, name)[self.index] = value

    def ties(self) -> np.ndarray:
        """Row indices of this resident's ties."""
        net = self._model.net
        return net.indices[net.indptr[self.index] : net.indptr[self.index + 1]]
