import dataclasses

import pytest

from sim import InputError, Params
from sim.params import describe, parse_value


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
