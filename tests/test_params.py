import dataclasses

import pytest

from sim import InputError, Params
from sim.params import BUILD_ONLY, BUILD_STEPS, EQUATIONS, _p, _spec, describe, parse_value
from sim.policies import ParamChange


def test_defaults_validate_and_every_parameter_is_documented():
    Params()
    for row in describe():
        assert row["unit"], row
        assert row["tag"] in {"A", "S", "E"}, row
        assert row["range"], row
    assert len(describe()) == len(dataclasses.fields(Params))


def test_unknown_key_is_rejected_with_a_suggestion():
    with pytest.raises(InputError, match="unknown parameter 'recognitoin'.*did you mean 'recognition'"):
        Params().replace(recognitoin=0.3)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("trust_gain", 2.0, "out of range"),
        ("communities", 0, "out of range"),
        ("communities", 1.5, "expected an integer"),
        ("recognition", "high", "expected a number"),
        ("dispatch_rule", "sometimes", "one of closed_loop, ad_hoc, none"),
        ("closure_rounds", True, "expected an integer"),
    ],
)
def test_bad_values_name_the_key_and_what_is_allowed(key, value, message):
    with pytest.raises(InputError, match=message) as err:
        Params().replace(**{key: value})
    assert key in str(err.value)
    assert "\n" not in str(err.value)


def test_a_grid_holds_whole_buildings():
    with pytest.raises(InputError, match="households_per_grid = 40 is below households_per_building = 50"):
        Params().replace(households_per_grid=40, households_per_building=50)


def test_household_shares_must_sum_to_one():
    with pytest.raises(InputError, match="sum to"):
        Params().replace(hh_elder_alone=0.5)


def test_strings_are_parsed_by_type():
    assert parse_value("communities", "3") == 3
    assert parse_value("recognition", "0.25") == 0.25
    assert Params().with_strings({"dispatch_rule": "ad_hoc"}).dispatch_rule == "ad_hoc"
    with pytest.raises(InputError, match="expected an integer"):
        parse_value("communities", "three")


# BUILD_ONLY as it was written out by hand before the ``build`` flag replaced the list.
HAND_WRITTEN_BUILD_ONLY = {
    "communities", "first_community", "subdistricts", "households_per_community", "households_per_grid",
    "households_per_building", "hh_elder_alone", "hh_elder_couple", "hh_elder_adult_child",
    "hh_three_generation", "hh_single_adult", "hh_couple", "hh_couple_child", "hh_single_parent",
    "migrant_household_share", "unemployment_rate", "inactive_share", "disabled_share_elderly",
    "mild_care_share_elderly", "non_cooking_share_elderly", "initial_trust", "initial_awareness",
    "building_ties_mean", "compound_ties_mean", "kin_nearby_prob", "closure_rounds", "closure_prob",
    "volunteer_registration", "volunteer_active_share", "partner_units", "social_workers",
    "social_worker_hours_month", "care_centre_staff", "care_staff_hours_month", "canteens_per_community",
    "canteen_seats", "canteen_sittings", "canteen_price", "canteen_elder_discount", "canteen_subsidy",
    "canteen_quality", "class_enrolment", "project_needs_per_grid",
}  # fmt: skip


def test_build_only_is_derived_from_the_build_flag_and_keeps_the_hand_written_set():
    flagged = {f.name for f in dataclasses.fields(Params) if f.metadata["build"]}
    assert flagged == BUILD_ONLY
    # It equalled the hand-written set when the flag replaced it; since then only parameters
    # that were bare literals of the build steps have joined it.
    assert HAND_WRITTEN_BUILD_ONLY <= BUILD_ONLY
    for name in BUILD_ONLY - HAND_WRITTEN_BUILD_ONLY:
        assert _spec(name).metadata["eq"] in BUILD_STEPS, name


def test_every_parameter_names_its_submodel_and_build_parameters_belong_to_a_build_step():
    for f in dataclasses.fields(Params):
        assert f.metadata["eq"] in EQUATIONS, f.name
        assert isinstance(f.metadata["build"], bool), f.name
        if f.metadata["build"]:
            assert f.metadata["eq"] in BUILD_STEPS, f.name
    rows = {r["name"]: r for r in describe()}
    assert rows["order_base"]["eq"] == "residents_order" and rows["order_base"]["build"] is False
    assert rows["canteen_price"]["eq"] == "build_services" and rows["canteen_price"]["build"] is True


@pytest.mark.parametrize("name", sorted(BUILD_ONLY))
def test_a_param_change_refuses_every_build_parameter(name):
    policy = ParamChange(changes={name: getattr(Params(), name)})
    with pytest.raises(InputError, match="fixed when the model is built"):
        policy.validate(Params())


def test_an_unknown_submodel_is_refused_when_declared():
    with pytest.raises(ValueError, match="unknown submodel"):
        _p(1.0, "x", 0, 2, "E", "a test", eq="no_such_phase")


def test_star_edges_must_rise():
    with pytest.raises(InputError, match="star edges must rise"):
        Params().replace(rating_three_stars_below=0.4)


def test_skill_shares_must_sum_to_one():
    with pytest.raises(InputError, match="skill_low_share, skill_mid_share, skill_high_share sum to 1.05"):
        Params().replace(skill_low_share=0.4)
    Params().replace(migrant_skill_low_share=0.6, migrant_skill_high_share=0.0)


def test_unit_kinds_other_than_enterprises_need_a_weight():
    zero = {"unit_institution_weight": 0.0, "unit_school_weight": 0.0, "unit_social_org_weight": 0.0}
    with pytest.raises(InputError, match="set unit_enterprise_share = 1"):
        Params().replace(**zero)
    Params().replace(unit_enterprise_share=1.0, **zero)
