"""Service providers — volunteers and partner units — as one columnar table.

Volunteers are residents with a volunteer role (docs/ODD.md, entities); partner units are
the 大党委 member units that lend labour hours. The dispatch kernel reads this
table for all providers at once; the Mesa agents in :mod:`sim.agents` are the
providers' discrete monthly decisions (stay, drop out, come back).
"""

from __future__ import annotations

import enum

import numpy as np

from .needs import NeedType
from .params import Params
from .population import ADULT_AGE, Employment, Population


class ProviderKind(enum.IntEnum):
    VOLUNTEER = 0
    UNIT = 1
    SOCIAL_WORKER = 2  # five-society linkage: professional social workers
    CARE_STAFF = 3  # the elderly-care service centre


class ProviderState(enum.IntEnum):
    ACTIVE = 0  # takes dispatches
    INACTIVE = 1  # registered but not taking dispatches
    DROPPED = 2  # left for good


class UnitKind(enum.IntEnum):
    ENTERPRISE = 0
    INSTITUTION = 1
    SCHOOL = 2
    SOCIAL_ORG = 3


# Skill levels (0-2) by kind: structural tables, as in docs/ODD.md (7.34, build_providers).
UNIT_SKILLS = {
    UnitKind.ENTERPRISE: {NeedType.REPAIR: 2, NeedType.MEAL: 1},
    UnitKind.INSTITUTION: {NeedType.DISPUTE: 2, NeedType.CARE: 1},
    UnitKind.SCHOOL: {NeedType.TUTORING: 2},
    UnitKind.SOCIAL_ORG: {NeedType.CARE: 2, NeedType.MEAL: 1, NeedType.DISPUTE: 1},
}
# Skills of paid staff: social workers take complex cases, care staff care and meals.
STAFF_SKILLS = {
    ProviderKind.SOCIAL_WORKER: {NeedType.CARE: 2, NeedType.DISPUTE: 2, NeedType.TUTORING: 1},
    ProviderKind.CARE_STAFF: {NeedType.CARE: 2, NeedType.MEAL: 2},
}
_N_TYPES = len(NeedType)
IDENT_OFFSET = 1 << 40  # identities of units and staff, above every resident row


def yearly_budget(unit_kind: np.ndarray, params: Params) -> np.ndarray:
    """Each unit's yearly money budget in yuan (0 for rows that are not units): an
    enterprise's is ``unit_money_year``, other kinds' that times ``unit_budget_weight_<kind>``."""
    weights = {
        UnitKind.ENTERPRISE: 1.0,
        UnitKind.INSTITUTION: params.unit_budget_weight_institution,
        UnitKind.SCHOOL: params.unit_budget_weight_school,
        UnitKind.SOCIAL_ORG: params.unit_budget_weight_social_org,
    }
    weight = np.zeros(len(unit_kind))
    for kind, w in weights.items():
        weight[np.asarray(unit_kind) == kind] = w
    return params.unit_money_year * weight


class ProviderTable:
    """Columns of every provider ever registered (rows are never removed)."""

    COLUMNS = {
        "kind": np.int8,
        "ident": np.int64,  # keyed draws: resident uid, or 2^40 + (kind << 32) + (community << 16) + ordinal
        "unit_kind": np.int8,
        "resident": np.int32,
        "community": np.int32,
        "x": np.float32,
        "y": np.float32,
        "hours_month": np.float32,  # availability: never exceeded
        "hours_pref": np.float32,
        "hours_used": np.float32,
        "services_month": np.int32,
        "declines_month": np.int32,
        "notified_month": np.int32,
        "motivation": np.float32,
        "state": np.int8,
        "joined_day": np.int32,
        "left_day": np.int32,
        "burnout": np.bool_,
        "rating_sum": np.float32,
        "rating_n": np.int32,
        "budget_left": np.float64,  # units: yuan left of this year's money budget
        "successes": np.int32,  # units: joint projects completed that they pledged to
        "pledged_day": np.int32,  # units: day of their last pledge
    }

    def __init__(self) -> None:
        for name, dtype in self.COLUMNS.items():
            setattr(self, name, np.empty(0, dtype))
        self.skill = np.empty((0, _N_TYPES), np.int8)

    @property
    def n(self) -> int:
        return len(self.kind)

    def _append(self, skill: np.ndarray, comm_id: np.ndarray, **cols: np.ndarray) -> np.ndarray:
        k = len(skill)
        defaults = {"left_day": -1, "unit_kind": -1, "resident": -1, "pledged_day": -1}
        defaults["ident"] = -1
        for name, dtype in self.COLUMNS.items():
            new = cols.get(name, np.full(k, defaults.get(name, 0)))
            setattr(self, name, np.concatenate([getattr(self, name), np.asarray(new, dtype)]))
        self.skill = np.concatenate([self.skill, skill.astype(np.int8)])
        new = np.arange(self.n - k, self.n)
        others = new[self.ident[new] < 0]
        if len(others):
            self._number(others, comm_id)
        return new

    def _number(self, rows: np.ndarray, comm_id: np.ndarray) -> None:
        """Identities of new units and staff: kind, district community and ordinal among the
        providers of that kind in that community (stable when volunteer numbers differ, and
        the same at every scale)."""

        def code(r: np.ndarray) -> np.ndarray:
            return (self.kind[r].astype(np.int64) << 16) | comm_id[self.community[r]]

        older = np.flatnonzero(self.kind[: rows[0]] != ProviderKind.VOLUNTEER)
        old_codes = np.sort(code(older))
        new_codes = code(rows)
        lo = np.searchsorted(old_codes, new_codes, "left")
        before = np.searchsorted(old_codes, new_codes, "right") - lo
        order = np.argsort(new_codes, kind="stable")
        sorted_codes = new_codes[order]
        rank = np.empty(len(rows), np.int64)
        rank[order] = np.arange(len(rows)) - np.searchsorted(sorted_codes, sorted_codes, "left")
        self.ident[rows] = IDENT_OFFSET + (new_codes << 16) + before + rank

    def add_volunteers(self, who, pop: Population, params: Params, streams, day: int, active) -> np.ndarray:
        """Register residents ``who`` as volunteers; returns the new provider ids.

        Their hours, skills and motivation are keyed by resident and day, so the same
        person joining on the same day is the same volunteer in every scenario.
        """
        retiree = pop.employment[who] == Employment.RETIRED
        hours = params.volunteer_hours_month * np.where(retiree, params.retiree_hours_multiplier, 1.0)
        ids = pop.uid[who]
        z_hours = streams.normal("volunteer_hours", "volunteer_hours_angle", ids, day)
        hours = hours * np.exp(params.volunteer_hours_sd * z_hours)
        z = streams.normal("volunteer_motivation", "volunteer_motivation_angle", ids, day)
        motivation = params.volunteer_motivation_mean + params.volunteer_motivation_sd * z
        clip = params.volunteer_motivation_clip
        return self._append(
            _volunteer_skills(
                who, pop, params, streams.uniform("volunteer_skill", ids[:, None], day, np.arange(_N_TYPES))
            ),
            pop.comm_id,
            kind=np.full(len(who), ProviderKind.VOLUNTEER),
            ident=ids,
            resident=who,
            community=pop.community[who],
            x=pop.x[who],
            y=pop.y[who],
            hours_month=hours * params.availability_multiplier,
            hours_pref=hours,
            motivation=np.clip(motivation, clip, 1 - clip),  # ~ beta(6, 4): mean 0.6, sd 0.15
            state=np.where(active, ProviderState.ACTIVE, ProviderState.INACTIVE),
            joined_day=np.full(len(who), day),
        )

    def add_units(
        self, community: np.ndarray, pop: Population, params: Params, streams, day: int
    ) -> np.ndarray:
        """Add one partner unit per entry of ``community``, of a random kind.

        Each community's new units are drawn from that community's ``units`` stream,
        keyed by how many units it has had before, so a unit is the same whichever
        other communities the model holds.
        """
        k = len(community)
        community = np.asarray(community, np.int32)
        rest = [params.unit_institution_weight, params.unit_school_weight, params.unit_social_org_weight]
        mix = np.array([params.unit_enterprise_share, *rest])
        mix[1:] *= (1.0 - params.unit_enterprise_share) / mix[1:].sum()
        kinds = np.empty(k, np.int64)
        anchor = np.empty(k, np.int64)
        had = np.bincount(self.community[self.kind == ProviderKind.UNIT], minlength=len(pop.comm_id))
        for c, at, rng in _by_community(community, pop, streams, "units", lambda c: (int(had[c]),)):
            kinds[at] = rng.choice(list(UnitKind), size=len(at), p=mix)
            anchor[at] = _random_member(pop, c, len(at), rng)  # a random resident's address
        skill = np.zeros((k, _N_TYPES), np.int8)
        for kind, levels in UNIT_SKILLS.items():
            for need, level in levels.items():
                skill[kinds == kind, need] = level
        return self._append(
            skill,
            pop.comm_id,
            kind=np.full(k, ProviderKind.UNIT),
            unit_kind=kinds,
            community=community,
            x=pop.x[anchor],
            y=pop.y[anchor],
            hours_month=np.full(k, params.unit_hours_month),
            hours_pref=np.full(k, params.unit_hours_month),
            motivation=np.full(k, params.unit_initial_motivation),
            state=np.full(k, ProviderState.ACTIVE),
            joined_day=np.full(k, day),
            budget_left=yearly_budget(kinds, params),
        )

    def add_staff(
        self, kind: ProviderKind, community: np.ndarray, hours: float, pop: Population, streams, day: int,
        *, motivation: float,
    ):  # fmt: skip
        """Paid staff (social workers, care-centre staff) of the given communities, each
        community's drawn from its own ``staff`` stream, with a fixed ``motivation``."""
        k = len(community)
        community = np.asarray(community, np.int32)
        skill = np.zeros((k, _N_TYPES), np.int8)
        for need, level in STAFF_SKILLS[kind].items():
            skill[:, need] = level
        anchor = np.empty(k, np.int64)
        for c, at, rng in _by_community(community, pop, streams, "staff", lambda c: (int(kind), day)):
            anchor[at] = _random_member(pop, c, len(at), rng)
        return self._append(
            skill,
            pop.comm_id,
            kind=np.full(k, kind),
            community=community,
            x=pop.x[anchor],
            y=pop.y[anchor],
            hours_month=np.full(k, hours),
            hours_pref=np.full(k, hours),
            motivation=np.full(k, motivation),
            state=np.full(k, ProviderState.ACTIVE),
            joined_day=np.full(k, day),
        )

    def quality_estimate(self, params: Params, rows=slice(None)) -> np.ndarray:
        """The committee's view of providers ``rows`` (all by default): mean stars, with
        ``rating_prior_n`` pseudo-ratings of ``rating_prior_stars`` before any rating."""
        prior = params.rating_prior_stars * params.rating_prior_n
        return (self.rating_sum[rows] + prior) / (self.rating_n[rows] + params.rating_prior_n)


def _volunteer_skills(who, pop: Population, params: Params, u: np.ndarray) -> np.ndarray:
    """Skill level 0-2 per need type; retired skilled workers repair (新工老友)."""
    k = len(who)
    retiree = pop.employment[who] == Employment.RETIRED
    good = pop.skill[who] >= 2
    female = pop.female[who]
    par = params
    p = np.zeros((k, _N_TYPES))
    p[:, NeedType.REPAIR] = (
        par.volunteer_repair_skill_base
        + par.volunteer_repair_skill_retiree * retiree
        + par.volunteer_repair_skill_good * good
    )
    p[:, NeedType.CARE] = par.volunteer_care_skill_base + par.volunteer_care_skill_female * female
    p[:, NeedType.MEAL] = par.volunteer_meal_skill
    p[:, NeedType.TUTORING] = np.where(
        pop.skill[who] >= 1, par.volunteer_tutoring_skill, par.volunteer_tutoring_skill_unskilled
    )
    p[:, NeedType.DISPUTE] = par.volunteer_dispute_skill_base + par.volunteer_dispute_skill_retiree * retiree
    has = u < p  # u: one uniform per volunteer and need type
    level = np.where(good[:, None], 2, 1)
    return np.where(has, level, 0).astype(np.int8)


def _by_community(community: np.ndarray, pop: Population, streams, name: str, event):
    """For each community listed in ``community``: (community, its entries, its ``name``
    stream for the event ids ``event(community)``)."""
    for c in np.unique(community).tolist():
        yield c, np.flatnonzero(community == c), streams.local(name, int(pop.comm_id[c]), *event(c))


def _random_member(pop: Population, community: int, k: int, rng) -> np.ndarray:
    """Rows of ``k`` random residents of ``community`` (rows are stored by community)."""
    lo, hi = np.searchsorted(pop.community, [community, community + 1])
    return lo + (rng.random(k) * (hi - lo)).astype(np.int64)


def initial_volunteers(pop: Population, params: Params, streams) -> tuple[np.ndarray, np.ndarray]:
    """Residents registered at day 0 and whether each is active.

    Retirees register at ``retiree_volunteer_weight`` times the rate of other adults; the share of a
    community's adults registered equals ``volunteer_registration`` in
    expectation. Keyed by resident, so the same people register at every scale.
    """
    adults = pop.age >= ADULT_AGE
    weight = np.where(pop.employment == Employment.RETIRED, params.retiree_volunteer_weight, 1.0) * adults
    n_comm = len(pop.comm_id)
    n_adults = np.maximum(np.bincount(pop.community, adults, n_comm), 1)
    mean = np.bincount(pop.community, weight, n_comm) / n_adults
    p = params.volunteer_registration * weight / np.maximum(mean[pop.community], 1e-12)
    who = np.flatnonzero(streams.uniform("register", pop.uid) < np.minimum(p, 1.0))
    active = streams.uniform("register_active", pop.uid[who]) < params.volunteer_active_share
    return who, active
