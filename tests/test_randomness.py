"""Reproducibility and common random numbers (docs/design.md)."""

import json
import subprocess
import sys

import numpy as np
import pytest

from sim import GovModel, Params
from sim.rng import STREAMS, Streams


def _arrivals(model: GovModel, base_only: bool = True):
    """Need arrivals; by default those drawn from the ``needs`` stream (not the
    extra needs of residents whose care level rose, which depend on the policy)."""
    b = model.needs
    keep = ~b.extra if base_only else slice(None)
    return b.day_arisen[keep], b.resident[keep], b.type[keep]


def _run(params: Params, seed: int, days: int = 120) -> GovModel:
    m = GovModel(params, seed, collect=False)
    m.run(days)
    return m


def test_streams_are_independent_and_reproducible():
    a, b = Streams(3), Streams(3)
    assert np.array_equal(a.local("population", 7).random(5), b.local("population", 7).random(5))
    # each (stream, community, event) is its own generator
    draws = [
        Streams(3).local("population", 7).random(5),
        Streams(3).local("network", 7).random(5),
        Streams(3).local("population", 8).random(5),
        Streams(3).local("units", 7, 0).random(5),
        Streams(3).local("units", 7, 12).random(5),
        Streams(4).local("population", 7).random(5),
    ]
    assert len({d.tobytes() for d in draws}) == len(draws)
    with pytest.raises(KeyError):
        Streams(3).local("unknown", 0)
    assert len(set(STREAMS)) == len(STREAMS)


@pytest.mark.parametrize(
    "change",
    [
        {"volunteer_registration": 0.2},
        {"dispatch_rule": "none"},
        {"dispatch_rule": "ad_hoc"},
        {"partner_units": 30},
        {"grid_visits_per_worker_day": 12.0},
    ],
)
@pytest.mark.slow
def test_policies_see_exactly_the_same_need_arrivals(change):
    base = _run(Params(), seed=4)
    other = _run(Params().replace(**change), seed=4)
    for x, y in zip(_arrivals(base), _arrivals(other), strict=True):
        assert np.array_equal(x, y)
    # ...while the policy really changed what happened to those needs.
    assert not np.array_equal(base.needs.state, other.needs.state) or not np.array_equal(
        base.needs.provider, other.needs.provider
    )


@pytest.mark.slow
def test_without_care_feedback_all_arrivals_are_identical():
    no_feedback = Params().replace(care_unmet_multiplier=0.0)
    base = _run(no_feedback, seed=5)
    other = _run(no_feedback.replace(dispatch_rule="none"), seed=5)
    assert base.needs.extra.any(), "care levels rise with age in both runs"
    for x, y in zip(_arrivals(base, False), _arrivals(other, False), strict=True):
        assert np.array_equal(x, y)


def test_keyed_uniforms_depend_only_on_their_keys():
    s = Streams(3)
    all_needs = s.uniform("order", np.arange(1000), 17)
    some = np.array([5, 500, 999])
    fresh = Streams(3).uniform("order", some, 17)
    assert np.array_equal(fresh, all_needs[some]), "no dependence on other needs"
    assert not np.array_equal(s.uniform("order", some, 18), all_needs[some]), "another day, another number"
    assert not np.array_equal(s.uniform("accept", some, 17), all_needs[some]), "decisions have their own keys"
    assert not np.array_equal(Streams(4).uniform("order", some, 17), all_needs[some])
    u = s.uniform("order", np.arange(100_000), 1)
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.01 and abs(u.var() - 1 / 12) < 0.002
    z = s.normal("quality", "quality_angle", np.arange(100_000))
    assert abs(z.mean()) < 0.02 and abs(z.std() - 1) < 0.02
    with pytest.raises(KeyError):
        s.uniform("nonsense", 1)


@pytest.mark.slow
def test_a_policy_changes_only_the_needs_it_touches():
    """With keyed decisions, a partner unit added in one of two communities leaves the
    other community's needs exactly as they were (STYLE 5, Starsim's test) when units
    serve only their own community; when they serve their subdistrict, the new units
    reach the other community's needs too."""
    from sim.policies import AddPartnerUnits

    def who(m, mask):  # providers by identity (rows shift when units are added)
        p = m.needs.provider[mask]
        return np.where(p >= 0, m.providers.ident[np.maximum(p, 0)], p)

    for sharing in ("community", "subdistrict"):
        p = Params().replace(communities=2, unit_sharing=sharing)
        base = _run(p, seed=6, days=60)
        other = GovModel(p, 6, policies=[AddPartnerUnits(count=5, communities=(1,))], collect=False)
        other.run(60)
        in_zero = base.pop.community[base.needs.resident] == 0
        assert np.array_equal(base.needs.resident, other.needs.resident)  # the same needs arose
        assert not np.array_equal(who(base, ~in_zero), who(other, ~in_zero))
        untouched = np.array_equal(base.needs.state[in_zero], other.needs.state[in_zero]) and np.array_equal(
            who(base, in_zero), who(other, in_zero)
        )
        assert untouched == (sharing == "community"), sharing


@pytest.mark.slow
def test_seeds_differ():
    a, b = _run(Params(), seed=1, days=30), _run(Params(), seed=2, days=30)
    assert not np.array_equal(a.pop.age[:1000], b.pop.age[:1000])
    assert a.needs.size != b.needs.size or not np.array_equal(a.needs.resident, b.needs.resident)


def _cli_run(tmp_path, name, seed):
    out = tmp_path / name
    cmd = [sys.executable, "-m", "sim.cli", "run", "--days", "40", "--seed", str(seed), "--quiet"]
    subprocess.run([*cmd, "--out", str(out)], check=True)
    return out


@pytest.mark.slow
def test_same_seed_in_two_fresh_processes_gives_identical_files(tmp_path):
    a, b = _cli_run(tmp_path, "a", 7), _cli_run(tmp_path, "b", 7)
    for name in ("daily.csv", "summary.json", "run.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    c = _cli_run(tmp_path, "c", 8)
    assert (a / "daily.csv").read_bytes() != (c / "daily.csv").read_bytes()
    assert json.loads((a / "summary.json").read_text()) != json.loads((c / "summary.json").read_text())
