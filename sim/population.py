"""Synthetic population, columnar: households → buildings → grids → communities.

One numpy array per attribute is the only source of truth for residents
(docs/design.md). Household composition follows the census-style mix in
:class:`~sim.params.Params` (``hh_*``): with the defaults ~2.2 persons per
household, ~25 % aged 60+, ~50 % of elderly empty-nest, ~13 % of elderly living
alone and ~26 % migrants (docs/sources.md; checked in ``tests/test_population.py``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from .params import DISTRICT_COMMUNITIES, HOUSEHOLD_TYPES, Params


class Employment(enum.IntEnum):
    """Employment status of a resident."""

    CHILD = 0
    EMPLOYED = 1
    UNEMPLOYED = 2  # a job-seeker
    RETIRED = 3
    INACTIVE = 4


# Roles: E = aged 60+, A = adult 18-59, C = child 0-17. The second elder of
# "elder + adult child" and "three generation" households is present half the time.
_TEMPLATES = {
    "hh_elder_alone": ("E",),
    "hh_elder_couple": ("E", "E"),
    "hh_elder_adult_child": ("E", "e", "A"),
    "hh_three_generation": ("E", "e", "A", "A", "C"),
    "hh_single_adult": ("A",),
    "hh_couple": ("A", "A"),
    "hh_couple_child": ("A", "A", "C"),
    "hh_single_parent": ("A", "C"),
}
_WORKING_AGE_TYPES = {"hh_single_adult", "hh_couple", "hh_couple_child", "hh_single_parent"}
# Age groups by definition (the roles above): children 0-17, adults 18-59, elders 60+.
ADULT_AGE = 18
ELDER_AGE = 60


@dataclass
class Population:
    """Residents and the places they live in, as parallel arrays.

    Resident arrays are indexed by resident row; ``hh_*`` by household,
    ``bld_*`` by building, ``grid_*`` by grid and ``comm_*`` by community (the
    model's communities, 0 to ``communities`` - 1; ``comm_id`` is each one's
    index in the district). ``uid``, ``hh_uid`` and ``grid_uid`` are district-wide
    ids (:func:`uid`) that key the random draws, so they do not depend on which
    other communities the model holds.
    """

    household: np.ndarray
    building: np.ndarray
    grid: np.ndarray
    community: np.ndarray
    age: np.ndarray
    female: np.ndarray
    migrant: np.ndarray
    elder: np.ndarray
    lives_alone: np.ndarray
    empty_nest: np.ndarray
    care_level: np.ndarray
    cooks_self: np.ndarray
    employment: np.ndarray
    skill: np.ndarray
    income_band: np.ndarray
    school_age: np.ndarray
    x: np.ndarray
    y: np.ndarray
    trust: np.ndarray
    awareness: np.ndarray
    satisfaction: np.ndarray
    hh_type: np.ndarray
    hh_size: np.ndarray
    hh_building: np.ndarray
    bld_grid: np.ndarray
    grid_community: np.ndarray
    comm_id: np.ndarray
    comm_subdistrict: np.ndarray
    uid: np.ndarray
    hh_uid: np.ndarray
    grid_uid: np.ndarray

    @property
    def n(self) -> int:
        return len(self.age)


UID_BITS = 20  # a community holds fewer than 2**20 residents, households and grids


def uid(community: np.ndarray | int, local: np.ndarray) -> np.ndarray:
    """District-wide ids: the community's district index, then the local index."""
    return (np.asarray(community, np.int64) << UID_BITS) | np.asarray(local, np.int64)


def build_population(params: Params, streams) -> Population:
    """Build the residents of ``params.communities`` communities, from ``first_community`` on.

    Each community is drawn from its own ``population`` stream
    (:meth:`sim.rng.Streams.local`), so it is the same whether built alone or
    within the district; rows are stored community by community.

    Args:
        params: model parameters (sizes and the household mix).
        streams: the run's :class:`~sim.rng.Streams`.
    """
    first = params.first_community
    ids = range(first, first + params.communities)
    parts = [_community(params, streams.local("population", c), c) for c in ids]
    offsets = {name: 0 for name in ("household", "building", "grid")}
    columns: dict[str, list[np.ndarray]] = {f: [] for f in Population.__dataclass_fields__}
    for local, part in enumerate(parts):
        shifted = dict(part)
        shifted["household"] = part["household"] + offsets["household"]
        shifted["building"] = part["building"] + offsets["building"]
        shifted["grid"] = part["grid"] + offsets["grid"]
        shifted["hh_building"] = part["hh_building"] + offsets["building"]
        shifted["bld_grid"] = part["bld_grid"] + offsets["grid"]
        shifted["community"] = np.full(len(part["age"]), local, np.int32)
        shifted["grid_community"] = np.full(part["n_grids"], local, np.int32)
        offsets["household"] += len(part["hh_type"])
        offsets["building"] += len(part["bld_grid"])
        offsets["grid"] += part["n_grids"]
        for name in columns:
            columns[name].append(shifted[name])
    return Population(**{name: np.concatenate(arrays) for name, arrays in columns.items()})


def subdistrict_of(community: np.ndarray | int, subdistricts: int) -> np.ndarray:
    """Subdistrict of each district community index: the 193 split into ``subdistricts`` runs."""
    return np.asarray(community, np.int64) * subdistricts // DISTRICT_COMMUNITIES


def _community(params: Params, rng: np.random.Generator, cid: int) -> dict[str, np.ndarray]:
    """One community's arrays with local indices (households, buildings, grids from 0)."""
    n_hh = params.households_per_community
    shares = np.array([getattr(params, t) for t in HOUSEHOLD_TYPES])
    hh_type = rng.choice(len(HOUSEHOLD_TYPES), size=n_hh, p=shares / shares.sum()).astype(np.int8)

    n_bld = -(-n_hh // params.households_per_building)
    n_grids = -(-n_bld * params.households_per_building // params.households_per_grid)
    # Households fill buildings in order, so a shuffle decides who lives where.
    hh_building = (rng.permutation(n_hh) // params.households_per_building).astype(np.int32)
    bld_per_grid = max(1, params.households_per_grid // params.households_per_building)
    bld_grid = np.minimum(np.arange(n_bld) // bld_per_grid, n_grids - 1).astype(np.int32)
    bld_x, bld_y = _building_positions(cid, bld_grid, n_grids, params, rng)

    roles, member_hh = _members(hh_type, params, rng)
    n = len(roles)
    hh_size = np.bincount(member_hh, minlength=n_hh).astype(np.int16)
    building = hh_building[member_hh]
    type_names = np.array(HOUSEHOLD_TYPES)[hh_type[member_hh]]
    working_hh = np.isin(np.array(HOUSEHOLD_TYPES)[hh_type], list(_WORKING_AGE_TYPES))
    hh_migrant = working_hh & (rng.random(n_hh) < params.migrant_household_share)

    elder = roles == "E"
    child = roles == "C"
    age = _ages(roles, params, rng)
    migrant = hh_migrant[member_hh]
    lives_alone = elder & (hh_size[member_hh] == 1)
    empty_nest = elder & np.isin(type_names, ["hh_elder_alone", "hh_elder_couple"])
    care_level = _care_levels(age, elder, params, rng)
    cooks_self = ~child & ~(care_level >= 2)
    cooks_self &= ~(elder & (rng.random(n) < params.non_cooking_share_elderly))
    employment = _employment(age, elder, child, params, rng)
    p = params
    skill = rng.choice(3, size=n, p=[p.skill_low_share, p.skill_mid_share, p.skill_high_share]).astype(
        np.int8
    )
    migrant_shares = [p.migrant_skill_low_share, p.migrant_skill_mid_share, p.migrant_skill_high_share]
    skill[migrant] = np.minimum(skill[migrant], rng.choice(3, size=migrant.sum(), p=migrant_shares))
    income = _income(elder, lives_alone, migrant, employment, params, rng)
    trust = _beta(
        p.initial_trust - p.migrant_trust_offset * migrant, p.trust_concentration, p.beta_mean_clip, rng
    )
    aware = _beta(
        p.initial_awareness - p.isolated_awareness_offset * (migrant | lives_alone),
        p.awareness_concentration,
        p.beta_mean_clip,
        rng,
    )

    return {
        "n_grids": n_grids,
        "household": member_hh.astype(np.int32),
        "building": building,
        "grid": bld_grid[building],
        "age": age,
        "female": rng.random(n) < np.where(lives_alone, p.female_share_alone, p.female_share),
        "migrant": migrant,
        "elder": elder,
        "lives_alone": lives_alone,
        "empty_nest": empty_nest,
        "care_level": care_level,
        "cooks_self": cooks_self,
        "employment": employment,
        "skill": skill,
        "income_band": income,
        "school_age": (age >= 6) & (age <= 15),
        "x": (bld_x[building] + rng.normal(0, p.resident_jitter_m, n)).astype(np.float32),
        "y": (bld_y[building] + rng.normal(0, p.resident_jitter_m, n)).astype(np.float32),
        "trust": trust,
        "awareness": aware,
        "satisfaction": np.full(n, params.satisfaction_baseline, dtype=np.float32),
        "hh_type": hh_type,
        "hh_size": hh_size,
        "hh_building": hh_building,
        "bld_grid": bld_grid,
        "comm_id": np.array([cid], np.int16),
        "comm_subdistrict": subdistrict_of([cid], params.subdistricts).astype(np.int16),
        "uid": uid(cid, np.arange(n)),
        "hh_uid": uid(cid, np.arange(n_hh)),
        "grid_uid": uid(cid, np.arange(n_grids)),
    }


def _members(hh_type: np.ndarray, params: Params, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Expand households into members: (role per member, household per member); a second
    elder ("e") is present with probability ``second_elder_prob``."""
    roles, owners = [], []
    for t, name in enumerate(HOUSEHOLD_TYPES):
        hhs = np.flatnonzero(hh_type == t)
        for role in _TEMPLATES[name]:
            keep = hhs if role != "e" else hhs[rng.random(len(hhs)) < params.second_elder_prob]
            roles.append(np.full(len(keep), role.upper()))
            owners.append(keep)
    roles_a, owners_a = np.concatenate(roles), np.concatenate(owners)
    order = np.argsort(owners_a, kind="stable")
    return roles_a[order], owners_a[order]


def _ages(roles: np.ndarray, params: Params, rng: np.random.Generator) -> np.ndarray:
    n = len(roles)
    age = rng.integers(ADULT_AGE, ELDER_AGE, n)
    elder = roles == "E"
    # 60 + exponential(11): ~63 % of the elderly are 65+ (15.5 % / 24.5 %, docs/sources.md).
    excess = np.minimum(
        rng.exponential(params.elder_age_mean_excess, elder.sum()), params.elder_age_max_excess
    )
    age[elder] = ELDER_AGE + excess.astype(int)
    child = roles == "C"
    age[child] = rng.integers(0, ADULT_AGE, child.sum())
    return age.astype(np.int16)


def _care_levels(age, elder, params: Params, rng) -> np.ndarray:
    """Care level 0 (none) to 3 (disabled); risk doubles every ~9 years of age."""
    n = len(age)
    level = np.zeros(n, dtype=np.int8)
    risk = np.where(elder, np.exp(params.care_age_slope * (age - ELDER_AGE)), 0.0)
    risk /= risk[elder].mean() if elder.any() else 1.0
    u = rng.random(n)
    disabled = u < np.minimum(1.0, params.disabled_share_elderly * risk)
    mild = ~disabled & (
        u < np.minimum(1.0, (params.disabled_share_elderly + params.mild_care_share_elderly) * risk)
    )
    level[mild] = 1
    level[disabled] = np.where(rng.random(disabled.sum()) < params.disabled_level3_share, 3, 2)
    return level


def _employment(age, elder, child, params: Params, rng) -> np.ndarray:
    n = len(age)
    emp = np.full(n, Employment.EMPLOYED, dtype=np.int8)
    emp[child] = Employment.CHILD
    emp[elder] = Employment.RETIRED
    adult = ~elder & ~child
    u = rng.random(n)
    inactive = adult & (u < params.inactive_share)
    emp[inactive] = Employment.INACTIVE
    in_force = adult & ~inactive
    emp[in_force & (rng.random(n) < params.unemployment_rate)] = Employment.UNEMPLOYED
    return emp


def _income(elder, alone, migrant, employment, params: Params, rng) -> np.ndarray:
    """Income band 0 (low) to 2 (high); elders alone, migrants and the unemployed skew low."""
    n = len(elder)
    p = params
    unemployed = employment == Employment.UNEMPLOYED
    low = p.income_low_base + p.income_low_alone * alone + p.income_low_migrant * migrant
    low = low + p.income_low_unemployed * unemployed
    u = rng.random(n)
    band = np.where(u < low, 0, np.where(u < low + p.income_middle_share, 1, 2))
    return band.astype(np.int8)


def _beta(mean, concentration: float, clip: float, rng) -> np.ndarray:
    """Beta draws with the given means (clipped to [clip, 1 - clip]) and concentration."""
    mean = np.clip(np.asarray(mean, dtype=float), clip, 1 - clip)
    return rng.beta(mean * concentration, (1 - mean) * concentration).astype(np.float32)


def _building_positions(cid: int, bld_grid: np.ndarray, n_grids: int, params: Params, rng):
    """Metre coordinates: communities on the district's square lattice, grids on a lattice
    within their community, buildings jittered."""
    side_c = int(np.ceil(np.sqrt(DISTRICT_COMMUNITIES)))
    side_g = int(np.ceil(np.sqrt(n_grids)))
    grid_m, comm_m, j = params.grid_spacing_m, params.community_spacing_m, params.building_jitter
    gx = (bld_grid % side_g) * grid_m + (cid % side_c) * comm_m
    gy = (bld_grid // side_g) * grid_m + (cid // side_c) * comm_m
    jitter = rng.uniform(-j, j, (2, len(bld_grid))) * grid_m
    return (gx + jitter[0]).astype(np.float32), (gy + jitter[1]).astype(np.float32)
