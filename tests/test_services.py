"""Services (canteens, care, jobs, joint meetings, tutoring): directions on paired
seeds, accounting identities and bad input."""

import functools

import numpy as np
import pytest

from sim import GovModel, InputError, Params, run
from sim.policies import AddCanteen, AddPartnerUnits, policy_from_dict

SEEDS = (31, 32, 33, 34)
DAYS = 240


@functools.cache
def _summary(params: Params, policies: tuple, seed: int, days: int) -> dict:
    return run(params, seed=seed, days=days, policies=policies).summary


DEFAULT = Params()


def _diffs(key, base=DEFAULT, other=None, policies=(), days=DAYS):
    """Paired differences other - base of ``key`` over SEEDS (runs are cached)."""
    other = other or base
    a = [_summary(base, (), s, days)[key] for s in SEEDS]
    b = [_summary(other, tuple(policies), s, days)[key] for s in SEEDS]
    return np.array(b) - np.array(a)


@pytest.mark.slow
def test_second_canteen_feeds_more_elderly_alone_and_fewer_go_without_lunch():
    """Unmet meal need of those who can walk is a day without a proper lunch."""
    policy = (AddCanteen(count=1),)
    meals = _diffs("canteen_meals_elderly_alone_per_day", policies=policy)
    assert np.all(meals > 0), meals
    skipped = _diffs("meal_skip_rate.elderly_alone", policies=policy)
    assert np.all(skipped < 0), skipped
    unmet = _diffs("unmet_rate_meal.elderly_alone", policies=policy)
    assert unmet.mean() <= 0.005, unmet  # delivered meals are no worse off


@pytest.mark.slow
def test_price_rise_lowers_canteen_uptake():
    d = _diffs("canteen_meals_per_day", other=Params().replace(canteen_price=15.0), days=120)
    assert np.all(d < -10), d


@pytest.mark.slow
def test_more_partner_units_raise_projects_and_pledged_money():
    more = (AddPartnerUnits(count=10),)
    assert np.all(_diffs("money_pledged", policies=more, days=365) > 0)
    assert _diffs("projects_completed", policies=more, days=365).mean() > 1


@pytest.mark.slow
def test_training_raises_placements():
    none = Params().replace(training_projects_year=0)
    d = _diffs("placements_platform", base=none, other=DEFAULT, days=365)
    d += _diffs("placements_market", base=none, other=DEFAULT, days=365)
    assert d.mean() > 0, d


@pytest.mark.slow
def test_no_tutoring_raises_migrant_childrens_unmet_tutoring_need():
    d = _diffs("unmet_rate_tutoring.migrant_children", other=Params().replace(tutoring_programme=0), days=120)
    assert np.all(d > 0.3), d


@pytest.mark.slow
def test_canteen_below_break_even_closes():
    cheap = Params().replace(canteen_price=4.0, canteen_loss_tolerance=20000.0)
    m = GovModel(cheap, seed=1, collect=False)
    m.run(200)
    assert m.canteens.closed[0] > 0
    assert m.canteens.balance[0] < -20000.0
    assert not m.canteens.is_open(m.day).any()


@pytest.fixture(scope="module")
def busy():
    m = GovModel(Params().replace(partner_units=19), seed=8)
    m.run(365)
    return m


@pytest.mark.slow
def test_money_pledged_equals_spent_plus_held(busy):
    b = busy.projects
    assert b.pledged() > 0 and b.spent() > 0
    assert b.pledged() == pytest.approx(b.spent() + b.held(), rel=1e-9)


def test_walk_in_meals_never_exceed_seats_times_sittings(busy):
    c = busy.canteens
    assert np.all(c.table("meals_walkin") <= c.capacity() + 1e-9)


def test_canteen_books_balance(busy):
    c = busy.canteens
    profit = c.table("revenue") + c.table("subsidy") - c.table("food_cost") - c.table("labour_cost")
    assert profit.sum(axis=0) == pytest.approx(np.asarray(c.balance))
    p = busy.params
    meals = c.table("meals_walkin") + c.table("meals_delivered")
    assert c.table("food_cost") == pytest.approx(p.canteen_food_cost * meals)
    open_days = np.array([c.is_open(d) for d in range(c.book_rows)])
    assert c.table("labour_cost") == pytest.approx(p.canteen_labour_day * open_days)
    price = np.asarray(c.price)
    assert np.all(c.table("revenue") <= meals * price + 1e-6)
    assert np.all(c.table("revenue") >= meals * price * (1 - np.asarray(c.discount)) - 1e-6)
    assert c.table("subsidy") == pytest.approx(np.asarray(c.subsidy) * c.table("meals_60plus"))
    assert c.table("meals_60plus").sum() <= (c.table("meals_walkin") + c.table("meals_delivered")).sum()


@pytest.mark.slow
def test_unmet_needs_worsen_care():
    """Care levels rise faster where needs go unmet (no volunteers, no staff)."""
    starved = Params().replace(
        volunteer_registration=0.0,
        recruitment_month=0.0,
        partner_units=0,
        care_centre_staff=0,
        social_workers=0,
    )
    worse = _diffs("care_worsened", base=DEFAULT, other=starved, days=365)
    assert worse.mean() > 0, worse


@pytest.mark.parametrize(
    ("table", "needle"),
    [
        ({"kind": "add_canteen", "seats": -5}, "seats"),
        ({"kind": "add_canteen", "price": 150.0}, "price"),
        ({"kind": "add_canteen", "price": "cheap"}, "price"),
        ({"kind": "add_canteen", "communities": [3]}, "community 3"),
    ],
)
def test_bad_canteen_policies(table, needle):
    with pytest.raises(InputError, match=needle) as err:
        policy_from_dict(table).validate(Params())
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [
        ("canteen_seats", -1, "canteen_seats"),
        ("canteen_price", 101.0, "canteen_price"),
        ("project_cost_scale", -2.0, "project_cost_scale"),
        ("unit_money_year", "lots", "unit_money_year"),
    ],
)
def test_bad_service_parameters(key, value, needle):
    with pytest.raises(InputError, match=needle):
        Params().replace(**{key: value})


@pytest.mark.slow
def test_calibration_patterns_still_match_on_three_seeds():
    """A short recalibration (3 seeds) matches every pattern, as docs/calibration.md says for 10."""
    from sim.calibration import calibrate

    rows = calibrate(seeds=3, days=365, workers=2)
    assert [r["target"].name for r in rows if not r["match"]] == []


def test_calibration_table_lists_every_target_as_matching():
    """docs/calibration.md comes from `python -m sim.calibration`; its table of the defaults lists
    every target, all matching."""
    from pathlib import Path

    from sim.calibration import TARGETS

    text = (Path(__file__).parent.parent / "docs" / "calibration.md").read_text()
    assert "Generated by `govsim calibrate" in text or "Generated by `python -m sim.calibration" in text
    section = text.split("## Defaults against the patterns", 1)[1].split("\n## ", 1)[0]
    lines = section.splitlines()
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| pattern")]
    assert [r.split("|")[1].strip() for r in rows] == [t.name for t in TARGETS]
    assert all(r.rstrip(" |").endswith("yes") for r in rows), "a calibration target no longer matches"


def test_a_district_that_would_not_fit_in_memory_is_refused(monkeypatch):
    import sim.model

    monkeypatch.setattr(
        sim.model.os, "sysconf", lambda name: 4096 if name == "SC_PAGE_SIZE" else 2**18
    )  # 1 GiB
    with pytest.raises(InputError, match=r"communities=193 .*GiB.*this machine has 1.0 GiB"):
        GovModel(Params().replace(communities=193), seed=0)
