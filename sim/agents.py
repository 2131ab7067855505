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

from .population import ADULT_AGE
from .providers import ProviderKind, ProviderState

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
        """Drop out for good (the row stays, for retention figures). A volunteer who leaves
        may be recruited again later, as a new registration (a new row)."""
        pr, i = self.model.providers, self.provider_id
        pr.state[i] = ProviderState.DROPPED
        pr.left_day[i] = self.model.day
        pr.burnout[i] = burnout
        if pr.kind[i] == ProviderKind.VOLUNTEER:
            self.model.provider_of_resident[pr.resident[i]] = -1
        self.remove()


class Volunteer(_ProviderAgent):
    """A resident with a volunteer role (docs/ODD.md, entities); reviewed monthly by
    :func:`review_volunteers`."""


def review_volunteers(model: GovModel, agents: list[Volunteer]) -> None:
    """Each volunteer's monthly review, for many volunteers at once, as columns: update
    motivation from the month's work, then stay, rest, return or leave.

    Motivation rises with recognised services and falls with overload and
    with declined dispatches. Load above ``burnout_load`` risks a burnout
    dropout; otherwise a background hazard (~1/3 a year, docs/sources.md)
    scaled by low motivation applies.

    Each review reads and writes only its own provider row and its own keyed draws,
    so reviewing them together gives what reviewing them one by one, in any order, gives.
    """
    if not agents:
        return
    p, pr = model.params, model.providers
    i = np.fromiter((a.provider_id for a in agents), np.int64, len(agents))
    u = model.today["month_draws"][i].T  # keyed by the provider's identity and the day
    load = pr.hours_used[i].astype(float) / np.maximum(pr.hours_pref[i].astype(float), 1e-6)
    served = np.minimum(pr.services_month[i], p.motivation_services_full) / p.motivation_services_full
    recognised = p.motivation_recognition_step * p.recognition * served
    change = recognised - p.motivation_overload_step * np.maximum(0.0, load - 1.0)
    change += -p.motivation_decline_step * pr.declines_month[i] + p.motivation_noise_step * (u[3] - 0.5)
    old = pr.motivation[i].astype(float)
    active = pr.state[i] == ProviderState.ACTIVE
    # Active volunteers' motivation erodes unless recognised; resting ones recover toward the mean.
    change += np.where(
        active,
        -p.motivation_decay_month * old,
        p.motivation_rest_recovery_month * (p.volunteer_motivation_mean - old),
    )
    motivation = np.minimum(1.0, np.maximum(0.0, old + change))
    pr.motivation[i] = motivation
    hazard = 1.0 - (1.0 - p.volunteer_dropout_year) ** (1.0 / 12.0)
    hazard = hazard * (p.dropout_motivation_factor * (1.0 - motivation))
    burnout = active & (load > p.burnout_load) & (u[0] < p.burnout_prob)
    leave = burnout | (u[1] < hazard)
    rest = active & ~leave & (u[2] < p.deactivation_month * p.rest_motivation_factor * (1.0 - motivation))
    back = ~active & ~leave & (u[2] < p.activation_month * (p.activation_base + p.recognition))
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
        quality = (pr.quality_estimate(p, i) - p.unit_rating_reference) / p.unit_rating_scale
        change = (
            p.unit_use_step * (used - p.unit_use_reference)
            + p.unit_recognition_step * p.recognition * quality
            + p.unit_noise_step * (m.today["month_draws"][i, 3] - 0.5)
        )
        pr.motivation[i] = np.clip(pr.motivation[i] + change, 0.0, 1.0)
        pr.hours_month[i] = pr.hours_pref[i] = p.unit_hours_month * (p.unit_hours_base + pr.motivation[i])


class CommunityCommittee(mesa.Agent):
    """The community's residents' committee: recruits volunteers each month."""

    def __init__(self, model: GovModel, *, community: int) -> None:
        super().__init__(model)
        self.community = community

    def recruit(
        self, share: float | None = None, active_share: float | None = None, decision: str = "recruit"
    ) -> None:
        """Register new volunteers among adults who are not volunteers yet.

        Args:
            share: chance each such adult registers; ``recruitment_month`` if None.
            active_share: chance a new recruit starts active; ``recruit_active_share`` if None.
            decision: name of the keyed draw ("recruit" monthly, "drive" for a drive).
        """
        m, pop = self.model, self.model.pop
        share = m.params.recruitment_month if share is None else share
        active_share = m.params.recruit_active_share if active_share is None else active_share
        lo, hi = m.community_rows[self.community]  # residents are stored by community
        free = (pop.age[lo:hi] >= ADULT_AGE) & (m.provider_of_resident[lo:hi] < 0)
        pool = lo + np.flatnonzero(free)
        if len(pool) == 0:
            return
        # Retirees volunteer more (docs/sources.md).
        weight = np.where(pop.elder[pool], m.params.retiree_volunteer_weight, 1.0)
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
