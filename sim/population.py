"""Synthetic population, columnar: households → buildings → grids → communities.

One numpy array per attribute is the only source of truth for residents
(DESIGN §6). Household composition follows the census-style mix in
:class:`~sim.params.Params` (``hh_*``): with the defaults ~2.2 persons per
household, ~25 % aged 60+, ~50 % of elderly empty-nest, ~13 % of elderly living
alone and ~26 % migrants (DESIGN §1; checked in ``tests/test_population.py``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from .params import HOUSEHOLD_TYPES, Params


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
GRID_SPACING_M = 350.0
COMMUNITY_SPACING_M = 1800.0


@dataclass
class Population:
    """Residents and the places they live in, as parallel arrays.

    Resident arrays are indexed by resident row; ``hh_*`` by household,
    ``bld_*`` by building, ``grid_*`` by grid and ``comm_*`` by community.
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
    comm_subdistrict: np.ndarray

    @property
    def n(self) -> int:
        return len(self.age)


def build_population(params: Params, rng: np.random.Generator) -> Population:
    """Build the residents of ``params.communities`` communities.

    Args:
        params: model parameters (sizes and the household mix).
        rng: the ``population`` stream.
    """
    n_comm = params.communities
    h_per = params.households_per_community
    n_hh = n_comm * h_per
    hh_comm = np.repeat(np.arange(n_comm, dtype=np.int32), h_per)
    shares = np.array([getattr(params, t) for t in HOUSEHOLD_TYPES])
    hh_type = rng.choice(len(HOUSEHOLD_TYPES), size=n_hh, p=shares / shares.sum()).astype(np.int8)

    bld_per_comm = -(-h_per // params.households_per_building)
    grids_per_comm = -(-bld_per_comm * params.households_per_building // params.households_per_grid)
    # Households fill buildings in order, so a shuffle decides who lives where.
    slot = np.concatenate([rng.permutation(h_per) for _ in range(n_comm)])
    hh_bld_local = slot // params.households_per_building
    hh_building = (hh_comm * bld_per_comm + hh_bld_local).astype(np.int32)
    bld_per_grid = max(1, params.households_per_grid // params.households_per_building)
    n_bld = n_comm * bld_per_comm
    bld_comm = np.repeat(np.arange(n_comm, dtype=np.int32), bld_per_comm)
    bld_local_grid = np.minimum(np.arange(n_bld) % bld_per_comm // bld_per_grid, grids_per_comm - 1)
    bld_grid = (bld_comm * grids_per_comm + bld_local_grid).astype(np.int32)
    grid_community = np.repeat(np.arange(n_comm, dtype=np.int32), grids_per_comm)
    comm_subdistrict = (np.arange(n_comm) // params.communities_per_subdistrict).astype(np.int16)
    bld_x, bld_y = _building_positions(bld_comm, bld_local_grid, grids_per_comm, rng)

    roles, member_hh = _members(hh_type, rng)
    n = len(roles)
    hh_size = np.bincount(member_hh, minlength=n_hh).astype(np.int16)
    building = hh_building[member_hh]
    type_names = np.array(HOUSEHOLD_TYPES)[hh_type[member_hh]]
    working_hh = np.isin(np.array(HOUSEHOLD_TYPES)[hh_type], list(_WORKING_AGE_TYPES))
    hh_migrant = working_hh & (rng.random(n_hh) < params.migrant_household_share)

    elder = roles == "E"
    child = roles == "C"
    age = _ages(roles, rng)
    migrant = hh_migrant[member_hh]
    lives_alone = elder & (hh_size[member_hh] == 1)
    empty_nest = elder & np.isin(type_names, ["hh_elder_alone", "hh_elder_couple"])
    care_level = _care_levels(age, elder, params, rng)
    cooks_self = ~child & ~(care_level >= 2)
    cooks_self &= ~(elder & (rng.random(n) < params.non_cooking_share_elderly))
    employment = _employment(age, elder, child, params, rng)
    skill = rng.choice(3, size=n, p=[0.35, 0.45, 0.20]).astype(np.int8)
    skill[migrant] = np.minimum(skill[migrant], rng.choice(3, size=migrant.sum(), p=[0.5, 0.4, 0.1]))
    income = _income(elder, lives_alone, migrant, employment, rng)
    trust = _beta(params.initial_trust - 0.1 * migrant, 8.0, rng)
    aware = _beta(params.initial_awareness - 0.15 * (migrant | lives_alone), 6.0, rng)

    return Population(
        household=member_hh.astype(np.int32),
        building=building,
        grid=bld_grid[building],
        community=hh_comm[member_hh],
        age=age,
        female=rng.random(n) < np.where(lives_alone, 0.7, 0.5),
        migrant=migrant,
        elder=elder,
        lives_alone=lives_alone,
        empty_nest=empty_nest,
        care_level=care_level,
        cooks_self=cooks_self,
        employment=employment,
        skill=skill,
        income_band=income,
        school_age=(age >= 6) & (age <= 15),
        x=(bld_x[building] + rng.normal(0, 5, n)).astype(np.float32),
        y=(bld_y[building] + rng.normal(0, 5, n)).astype(np.float32),
        trust=trust,
        awareness=aware,
        satisfaction=np.full(n, params.satisfaction_baseline, dtype=np.float32),
        hh_type=hh_type,
        hh_size=hh_size,
        hh_building=hh_building,
        bld_grid=bld_grid,
        grid_community=grid_community,
        comm_subdistrict=comm_subdistrict,
    )


def _members(hh_type: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Expand households into members: (role per member, household per member)."""
    roles, owners = [], []
    for t, name in enumerate(HOUSEHOLD_TYPES):
        hhs = np.flatnonzero(hh_type == t)
        for role in _TEMPLATES[name]:
            keep = hhs if role != "e" else hhs[rng.random(len(hhs)) < 0.5]
            roles.append(np.full(len(keep), role.upper()))
            owners.append(keep)
    roles_a, owners_a = np.concatenate(roles), np.concatenate(owners)
    order = np.argsort(owners_a, kind="stable")
    return roles_a[order], owners_a[order]


def _ages(roles: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = len(roles)
    age = rng.integers(18, 60, n)
    elder = roles == "E"
    # 60 + exponential(11): ~63 % of the elderly are 65+ (15.5 % / 24.5 %, DESIGN §1).
    age[elder] = 60 + np.minimum(rng.exponential(11.0, elder.sum()), 40).astype(int)
    child = roles == "C"
    age[child] = rng.integers(0, 18, child.sum())
    return age.astype(np.int16)


def _care_levels(age, elder, params: Params, rng) -> np.ndarray:
    """Care level 0 (none) to 3 (disabled); risk doubles every ~9 years of age."""
    n = len(age)
    level = np.zeros(n, dtype=np.int8)
    risk = np.where(elder, np.exp(0.08 * (age - 60)), 0.0)
    risk /= risk[elder].mean() if elder.any() else 1.0
    u = rng.random(n)
    disabled = u < np.minimum(1.0, params.disabled_share_elderly * risk)
    mild = ~disabled & (
        u < np.minimum(1.0, (params.disabled_share_elderly + params.mild_care_share_elderly) * risk)
    )
    level[mild] = 1
    level[disabled] = np.where(rng.random(disabled.sum()) < 0.4, 3, 2)
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


def _income(elder, alone, migrant, employment, rng) -> np.ndarray:
    """Income band 0 (low) to 2 (high); elders alone and migrants skew low."""
    n = len(elder)
    low = 0.25 + 0.25 * alone + 0.15 * migrant + 0.3 * (employment == Employment.UNEMPLOYED)
    u = rng.random(n)
    band = np.where(u < low, 0, np.where(u < low + 0.55, 1, 2))
    return band.astype(np.int8)


def _beta(mean, concentration: float, rng) -> np.ndarray:
    mean = np.clip(np.asarray(mean, dtype=float), 0.02, 0.98)
    return rng.beta(mean * concentration, (1 - mean) * concentration).astype(np.float32)


def _building_positions(bld_comm, bld_local_grid, grids_per_comm, rng):
    """Metre coordinates: communities and grids on square lattices, buildings jittered."""
    side_c = int(np.ceil(np.sqrt(bld_comm.max() + 1)))
    side_g = int(np.ceil(np.sqrt(grids_per_comm)))
    cx = (bld_comm % side_c) * COMMUNITY_SPACING_M
    cy = (bld_comm // side_c) * COMMUNITY_SPACING_M
    gx = (bld_local_grid % side_g) * GRID_SPACING_M
    gy = (bld_local_grid // side_g) * GRID_SPACING_M
    jitter = rng.uniform(-0.4, 0.4, (2, len(bld_comm))) * GRID_SPACING_M
    return (cx + gx + jitter[0]).astype(np.float32), (cy + gy + jitter[1]).astype(np.float32)
