"""Dynamics that settle and levers that bite (paired seeds, after the spin-up).

Every comparison runs the same seeds on both sides (common random numbers) and
measures one year after the spin-up; directions are asserted on the mean over
the seeds and, where the issue asks for it, graded over several levels.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import GovModel, Params, spinup
from sim.errors import InputError
from sim.metrics import report
from sim.policies import AddCanteen

SEEDS = (1, 2)
YEAR = 365


def _year(params: Params, seed: int, policies=()) -> tuple[dict[str, float], GovModel]:
    model = spinup.start(params, seed, policies=policies, collect=False)
    model.run(YEAR)
    return model.summary(), model


def _mean(params: Params, key: str, policies=()) -> float:
    return float(np.mean([_year(params, s, policies)[0][key] for s in SEEDS]))


@pytest.mark.slow
def test_baseline_is_stationary_over_three_measured_years():
    """Yearly means of the headline outcomes after the spin-up: year 3 stays within these
    tolerances of year 1 (means over the seeds). Shares and 0-1 scales: absolute, about
    twice the year-to-year spread of one seed; counts: a relative drift, or three standard
    deviations of Poisson noise in the difference of the two means, whichever is larger."""
    tolerance = {  # absolute for shares and 0-1 scales, relative (x) for counts
        "unmet_need_rate": 0.03,
        "hidden_need_rate": 0.015,
        "trust": 0.03,
        "satisfaction_true": 0.03,
        "ties_per_person": ("x", 0.10),
        "volunteers_active": ("x", 0.20),
        "care_worsened": ("x", 0.25),
    }
    years = {k: [] for k in tolerance}
    for seed in SEEDS:
        m = spinup.start(Params(), seed, collect=False)
        m.run(3 * YEAR)
        for y in (0, 2):
            r = report(m, m.day0 + y * YEAR, m.day0 + y * YEAR + YEAR - 1)
            for k in tolerance:
                years[k].append((y, r[k]))
    for k, tol in tolerance.items():
        first = np.mean([v for y, v in years[k] if y == 0])
        last = np.mean([v for y, v in years[k] if y == 2])
        if isinstance(tol, tuple):  # counts: a relative drift, or 3 sd of Poisson noise in a mean of seeds
            noise = 3 * np.sqrt((first + last) / len(SEEDS))
            assert abs(last - first) <= max(tol[1] * first, noise), (k, first, last)
        else:
            assert abs(last - first) <= tol, (k, first, last)


@pytest.mark.slow
def test_fewer_volunteers_graded_more_unmet_need():
    levels = (0.03, 0.07, 0.15)
    unmet = [_mean(Params().replace(volunteer_registration=v), "unmet_need_rate") for v in levels]
    assert unmet[0] > unmet[1] > unmet[2], unmet


@pytest.mark.slow
def test_more_partner_units_fewer_unmet_repairs():
    few = _mean(Params().replace(partner_units=2), "unmet_rate_repair")
    many = _mean(Params().replace(partner_units=30), "unmet_rate_repair")
    assert many < few, (few, many)


@pytest.mark.slow
def test_a_second_canteen_feeds_non_cooks_and_slows_their_decline():
    base_skip, more_skip, base_worse, more_worse = [], [], [], []
    for seed in SEEDS:
        for policies, skip, worse in (
            ((), base_skip, base_worse),
            ((AddCanteen(count=1),), more_skip, more_worse),
        ):
            s, m = _year(Params(), seed, policies)
            skip.append(s["meal_skip_rate"])
            # Non-cooks among the diners at the start: how many of them declined in the year.
            non_cooks = ~m.care_level0.astype(bool) & ~m.cooks_self0 & m.pop.elder
            log = m.care.rises
            rose = np.zeros(m.pop.n, bool)
            rose[log["resident"][log["day"] >= m.day0]] = True
            worse.append(rose[non_cooks].mean())
    assert np.mean(more_skip) < np.mean(base_skip), (base_skip, more_skip)
    assert np.mean(more_worse) < np.mean(base_worse), (base_worse, more_worse)


@pytest.mark.slow
def test_closed_loop_beats_ad_hoc_and_both_far_beat_none():
    out = {}
    for rule in ("closed_loop", "ad_hoc", "none"):
        runs = [_year(Params().replace(dispatch_rule=rule), s)[0] for s in SEEDS]
        out[rule] = {
            k: np.mean([r[k] for r in runs]) for k in ("unmet_need_rate", "wait_days_median", "trust")
        }
    loop, adhoc, none = out["closed_loop"], out["ad_hoc"], out["none"]
    assert loop["unmet_need_rate"] < adhoc["unmet_need_rate"] < none["unmet_need_rate"], out
    assert loop["wait_days_median"] < adhoc["wait_days_median"], out
    assert none["unmet_need_rate"] > 2 * adhoc["unmet_need_rate"], out


@pytest.mark.slow
@pytest.mark.parametrize("rule", ["closed_loop", "ad_hoc", "none"])
def test_trust_falls_when_service_fails_under_every_rule(rule):
    good = _mean(Params().replace(dispatch_rule=rule), "trust")
    failing = Params().replace(
        dispatch_rule=rule, volunteer_registration=0.02, partner_units=0, care_centre_staff=0
    )
    assert _mean(failing, "trust") < good - 0.005


@pytest.mark.slow
def test_response_time_and_hidden_need_move_with_capacity():
    low = Params().replace(volunteer_registration=0.03, care_centre_staff=0)
    high = Params().replace(volunteer_registration=0.2, care_centre_staff=3)
    lo = [_year(low, s)[0] for s in SEEDS]
    hi = [_year(high, s)[0] for s in SEEDS]
    for key in ("wait_days_p90", "response_days_p90", "unmet_need_rate", "hidden_need_rate"):
        assert np.mean([r[key] for r in lo]) > np.mean([r[key] for r in hi]), key


def test_spun_up_state_is_computed_once_and_reused_exactly(tmp_path):
    p = Params().replace(households_per_community=400, households_per_grid=100, spinup_days=60)
    spinup.MEMORY.clear()
    key = spinup.key(p, 7)
    before = spinup.COMPUTED[key]
    a = spinup.start(p, 7, cache_dir=tmp_path)
    b = spinup.start(p, 7, policies=(AddCanteen(count=1),), cache_dir=tmp_path)
    assert spinup.COMPUTED[key] == before + 1, "both runs start from one spin-up"
    spinup.MEMORY.clear()
    c = spinup.start(p, 7, cache_dir=tmp_path)  # from the file this time
    assert spinup.COMPUTED[key] == before + 1
    fresh = GovModel(p, 7)  # recomputes the spin-up in its constructor
    for m in (a, c, fresh):
        m.run(40)
    assert a.summary() == pytest.approx(fresh.summary(), nan_ok=True)
    assert c.summary() == pytest.approx(fresh.summary(), nan_ok=True)
    b.run(1)  # the policy starts on measured day 0
    assert b.day0 == a.day0 == p.spinup_days and b.canteens.n == a.canteens.n + 1


def test_a_damaged_snapshot_is_recomputed_not_trusted(tmp_path, capsys):
    p = Params().replace(households_per_community=300, households_per_grid=100, spinup_days=30)
    spinup.MEMORY.clear()
    spinup.spun_up(p, 3, cache_dir=tmp_path)
    (snapshot,) = tmp_path.glob("*" + spinup.SUFFIX)
    data = bytearray(snapshot.read_bytes())
    data[-10] ^= 0xFF
    snapshot.write_bytes(bytes(data))
    spinup.MEMORY.clear()
    key = spinup.key(p, 3)
    before = spinup.COMPUTED[key]
    spinup.spun_up(p, 3, cache_dir=tmp_path)
    assert spinup.COMPUTED[key] == before + 1
    assert "checksum" in capsys.readouterr().err


def test_measured_window_starts_after_the_spin_up_with_needs_in_flight():
    p = Params().replace(households_per_community=400, households_per_grid=100, spinup_days=90)
    m = spinup.start(p, 5)
    m.run(10)
    daily = m.datacollector.get_model_vars_dataframe()
    assert len(daily) == 10, "the daily series covers the measured days only"
    assert daily["lapsed_day"].iloc[:3].sum() > 0 or daily["expired_day"].iloc[:3].sum() > 0, (
        "unmet need is not zero by construction in the first days"
    )


def test_spinup_days_is_validated():
    with pytest.raises(InputError, match="spinup_days"):
        Params().replace(spinup_days=-1)
    with pytest.raises(InputError, match="spinup_days"):
        Params().replace(spinup_days=10**6)


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["sequential", "process"])
def test_a_paired_comparison_computes_each_spin_up_once(tmp_path, executor):
    """Two scenarios that differ only by a policy, two replications: two spun-up states
    (one per seed), computed before the runs and shared by both scenarios; the results
    equal runs that recompute their spin-up."""
    from sim.experiments import Executor, Scenario, build_matrix, run_matrix
    from sim.experiments.task import simulate

    small = {"households_per_community": 300, "households_per_grid": 100, "spinup_days": 45}
    base = Scenario("base", "base", "", params=small)
    canteen = Scenario("canteen", "canteen", "", params=small, policies=({"kind": "add_canteen"},))
    specs = build_matrix([base, canteen], reps=2, days=20, base_seed=4)
    result = run_matrix(specs, tmp_path / "out", executor=Executor(executor, workers=2), progress=False)
    assert result.spinups == 2 and not result.failed
    assert len(list((tmp_path / "out" / "spinup").glob("*" + spinup.SUFFIX))) == 2
    again = run_matrix(specs, tmp_path / "out", executor=Executor("sequential"), progress=False)
    assert again.spinups == 0 and len(again.cached) == 4
    spinup.MEMORY.clear()
    for spec in specs:
        stored = result.store.load(spec, "summary").iloc[0].to_dict()
        _, fresh, _ = simulate(spec.scenario, spec.seed, spec.days)  # its own spin-up, no folder
        assert {k: stored[k] for k in fresh} == pytest.approx(fresh, nan_ok=True)
