"""The synthetic population reproduces the household mix of docs/sources.md."""

import numpy as np
import pytest

from sim import Params
from sim.population import Employment, build_population
from sim.rng import Streams


@pytest.fixture(scope="module")
def pop():
    return build_population(Params().replace(communities=3), Streams(5))


def test_structure_sizes(pop):
    p = Params()
    assert len(pop.hh_size) == 3 * p.households_per_community
    per_building = np.bincount(pop.hh_building)
    assert per_building.max() <= p.households_per_building
    hh_per_grid = np.bincount(pop.bld_grid[pop.hh_building])
    assert hh_per_grid.max() <= p.households_per_grid
    assert np.all(np.diff(pop.community) >= 0), "residents are stored by community"
    assert np.all(pop.grid_community[pop.grid] == pop.community)


def test_demography_matches_design_figures(pop):
    elder = pop.age >= 60
    assert 2.1 <= pop.hh_size.mean() <= 2.3  # ~2.18 persons per household [S]
    assert 0.23 <= elder.mean() <= 0.27  # 23-27 % aged 60+ [S]
    assert 0.13 <= (pop.age >= 65).mean() <= 0.18  # ~15.5 % aged 65+ [S]
    assert 0.40 <= pop.empty_nest[elder].mean() <= 0.55  # ~46 % empty nest [S]
    assert 0.10 <= pop.lives_alone[elder].mean() <= 0.15  # 10-15 % alone [E]
    assert 0.09 <= (pop.care_level[elder] >= 2).mean() <= 0.13  # 11 % disabled [S]
    assert 0.22 <= pop.migrant.mean() <= 0.30  # ~26 % migrants [S]
    in_force = np.isin(pop.employment, [Employment.EMPLOYED, Employment.UNEMPLOYED])
    assert 0.035 <= (pop.employment[in_force] == Employment.UNEMPLOYED).mean() <= 0.065  # ~5 % [S]


def test_roles_are_consistent(pop):
    assert not pop.cooks_self[pop.age < 18].any()
    assert np.all(pop.care_level[pop.age < 60] == 0)
    assert np.all(pop.employment[pop.age >= 60] == Employment.RETIRED)
    assert np.all(pop.school_age == ((pop.age >= 6) & (pop.age <= 15)))
    assert np.all((pop.trust >= 0) & (pop.trust <= 1))


def test_same_stream_same_population():
    a = build_population(Params(), Streams(9))
    b = build_population(Params(), Streams(9))
    c = build_population(Params(), Streams(10))
    assert np.array_equal(a.age, b.age) and np.array_equal(a.x, b.x)
    assert not np.array_equal(a.age[: len(c.age)], c.age[: len(a.age)])
