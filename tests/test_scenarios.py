"""Scenario files: every shipped one validates and runs; every bad one fails with one clear line."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import pytest

from sim import InputError, policies
from sim.experiments import available, load_scenario, load_scenarios, simulate
from sim.experiments.scenario import REPO_SCENARIOS

SHIPPED = [
    "baseline",
    "more_partner_units",
    "volunteer_drive",
    "no_closed_loop",
    "ageing_shock",
    "combined_package",
    "extra_canteen",
]
ROOT = Path(__file__).resolve().parents[1]


def test_shipped_scenarios_are_present():
    assert set(SHIPPED) <= set(available())


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(p.stem for p in REPO_SCENARIOS.glob("*.toml")))
def test_every_scenario_validates_and_runs(name):
    s = load_scenario(name)
    assert s.name == name and s.description and s.label
    params, pols = s.build()
    assert len(pols) == len(s.policies)
    daily, summary, grid = simulate(s, seed=1, days=20)
    assert summary["needs_arisen"] > 0
    assert set(daily.columns) >= {"day", "metric", "group", "value"}
    assert daily.day.max() == 19
    closed = sum(summary[k] for k in ("served", "served_informally", "met_by_own_means", "expired", "lapsed"))
    assert grid.needs_closed.sum() == closed


@pytest.mark.parametrize(
    "name", sorted(p.stem for p in REPO_SCENARIOS.glob("*.toml") if p.stem != "baseline")
)
def test_every_scenario_changes_something_against_the_baseline(name):
    """Paired on the same seed, a scenario that changes nothing would be a silent no-op."""
    _, base, _ = simulate(load_scenario("baseline"), seed=1, days=20)
    _, other, _ = simulate(load_scenario(name), seed=1, days=20)
    changed = [k for k in base if base[k] != other[k] and not (base[k] != base[k] and other[k] != other[k])]
    assert changed, f"{name} leaves every outcome as in the baseline"


def test_ageing_shock_keeps_the_household_mix_a_distribution():
    params, _ = load_scenario("ageing_shock").build()
    shares = [getattr(params, f.name) for f in dataclasses.fields(params) if f.name.startswith("hh_")]
    assert sum(shares) == pytest.approx(1.0)
    assert params.hh_elder_alone > 0.07


def test_hash_ignores_comments_and_descriptions(tmp_path):
    a = tmp_path / "a.toml"
    a.write_text('name = "x"\ndescription = "one"\n[params]\ntrust_gain = 0.1\n')
    b = tmp_path / "b.toml"
    b.write_text('# a comment\nname = "x"\ndescription = "two"\n[params]\ntrust_gain = 0.1\n')
    c = tmp_path / "c.toml"
    c.write_text('name = "x"\n[params]\ntrust_gain = 0.2\n')
    assert load_scenario(a).hash == load_scenario(b).hash != load_scenario(c).hash


BAD = [
    # (file contents, words the one-line message must contain)
    ("name = \n", ["malformed TOML", "line 1"]),
    ('nmae = "x"\n', ["unknown key 'nmae'", "allowed top-level keys", "name"]),
    ("name = 3\n", ["name = 3", "letters, digits"]),
    ('name = "../escape"\n', ["name = '../escape'"]),
    ("[params]\ntrust_gian = 0.1\n", ["[params]", "trust_gian", "did you mean 'trust_gain'"]),
    ('[params]\ncommunities = "two"\n', ["[params]", "communities", "expected an integer"]),
    ("[params]\ntrust_gain = 7.0\n", ["[params]", "trust_gain", "out of range", "[0, 1]"]),
    ('[params]\ndispatch_rule = "fax"\n', ["dispatch_rule", "closed_loop"]),
    ("[params]\nhh_elder_alone = 0.5\n", ["[params]", "hh_*", "sum to 1"]),
    ("params = 3\n", ["params = 3", "[params] table"]),
    ('[[policies]]\nkind = "teleport"\n', ["policies[0]", "teleport", "add_partner_units"]),
    (
        '[[policies]]\nkind = "add_partner_units"\ncuont = 3\n',
        ["policies[0]", "unknown key 'cuont'", "count"],
    ),
    ('[[policies]]\nkind = "add_partner_units"\ncount = 0\n', ["policies[0]", "count", "[1, 200]"]),
    ('[[policies]]\nkind = "add_partner_units"\ncount = "ten"\n', ["policies[0]", "count", "integer"]),
    (
        '[[policies]]\nkind = "add_partner_units"\ncommunities = [3]\n',
        ["policies[0]", "community 3", "exist"],
    ),
    ('[[policies]]\nkind = "add_partner_units"\ncommunities = 0\n', ["policies[0]", "communities", "list"]),
    ('[[policies]]\nkind = "volunteer_drive"\nstart_day = -1\n', ["policies[0]", "start_day"]),
    (
        '[[policies]]\nkind = "param_change"\nchanges = { trust = 1 }\n',
        ["policies[0]", "unknown parameter 'trust'"],
    ),
    ("[[policies]]\ncount = 3\n", ["policies[0]", "kind"]),
]


@pytest.mark.parametrize(("text", "words"), BAD, ids=[w[0] for _, w in BAD])
def test_bad_scenarios_raise_one_line_naming_file_and_key(tmp_path, text, words):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    msg = str(info.value)
    assert "\n" not in msg
    assert "bad.toml" in msg
    for w in words:
        assert w in msg, msg


STRICT = [
    # values the loader used to coerce or accept silently, and files it could not read
    ('[[policies]]\nkind = "add_partner_units"\ncount = true\n', ["count = True", "integer"]),
    ('[[policies]]\nkind = "add_canteen"\ncount = true\n', ["count = True", "integer"]),
    ('[[policies]]\nkind = "volunteer_drive"\nrecruits = false\n', ["recruits = False", "number"]),
    (
        '[params]\ncommunities = 2\n[[policies]]\nkind = "add_partner_units"\ncommunities = [0, 0]\n',
        ["policies[0]", "community 0 is listed twice"],
    ),
    ('[[policies]]\nkind = "volunteer_drive"\ncommunities = []\n', ["communities = []", "at least one"]),
    ("", ["empty scenario file"]),
    ("# only a comment\n\n", ["empty scenario file"]),
    ("a = " + "[" * 5000 + "]" * 5000 + "\n", ["nested too deeply"]),  # was a RecursionError
    ("[params]\ntrust_gain = " + "[" * 20 + "]" * 20 + "\n", ["nested more than 16 deep"]),
    ('description = "' + "x" * 5000 + '"\n', ["description is 5,000 characters long", "at most 4,000"]),
    ('label = "' + "y" * 300 + '"\n', ["label is 300 characters long", "at most 200"]),
    ("# " + "z" * (1 << 20) + '\nname = "big"\n', ["1,048,592 bytes", "at most 1,048,576"]),
]


@pytest.mark.parametrize(("text", "words"), STRICT, ids=[w[0][:30] for _, w in STRICT])
def test_loose_values_and_unreadable_files_are_refused(tmp_path, text, words):
    path = tmp_path / "loose.toml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    msg = str(info.value)
    assert "\n" not in msg and len(msg) < 300 and "loose.toml" in msg, msg
    for w in words:
        assert w in msg, msg


def test_missing_scenario_lists_the_available_ones():
    with pytest.raises(InputError, match="no scenarios/nope.toml; available: .*baseline"):
        load_scenario("nope")
    with pytest.raises(InputError, match="not found"):
        load_scenario("missing/file.toml")


def test_command_line_override_is_validated_against_policies(tmp_path):
    path = tmp_path / "two.toml"
    path.write_text('[params]\ncommunities = 2\n[[policies]]\nkind = "volunteer_drive"\ncommunities = [1]\n')
    assert load_scenario(path).build()[0].communities == 2
    with pytest.raises(InputError, match=r"two.toml: policies\[0\].*community 1 does not exist"):
        load_scenarios([str(path)], {"communities": 1})


def test_duplicate_names_are_rejected(tmp_path):
    path = tmp_path / "copy.toml"
    path.write_text('name = "baseline"\n')
    with pytest.raises(InputError, match="already used"):
        load_scenarios(["baseline", str(path)])


@dataclasses.dataclass(frozen=True)
class _Noop(policies.Policy):
    kind: ClassVar[str] = "noop_for_test"
    strength: float = 1.0

    def start(self, model) -> None:
        pass


def test_new_policy_kinds_need_only_a_toml_file(tmp_path, monkeypatch):
    monkeypatch.setitem(policies.POLICY_TYPES, _Noop.kind, _Noop)
    path = tmp_path / "new.toml"
    path.write_text('[[policies]]\nkind = "noop_for_test"\nstrength = 2.0\nstart_day = 3\n')
    s = load_scenario(path)
    assert s.build()[1] == (_Noop(start_day=3, strength=2.0),)


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(p.name for p in REPO_SCENARIOS.glob("*.py")))
def test_scenario_scripts_run_end_to_end(tmp_path, script):
    out = tmp_path / "out"
    args = [sys.executable, str(REPO_SCENARIOS / script), "--reps", "2", "--days", "20"]
    args += ["--executor", "sequential", "--no-plots", "--out", str(out)]
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (out / "manifest.json").exists()
    assert list((out / "comparisons").glob("*/differences.csv"))
