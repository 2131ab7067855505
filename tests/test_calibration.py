"""The calibration: the stored posterior, its reruns, a small history match that recovers a known
parameter, the work folder, and bad input."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from sim import history, metrics, posterior, priors
from sim.calibration import CALIBRATED, main, read_years
from sim.errors import InputError
from sim.model import GovModel
from sim.params import Params

PROVENANCE = (
    "method",
    "patterns",
    "seed",
    "commit",
    "created",
    "tolerances",
    "runs",
    "community_years",
    "wall_seconds",
    "spinup_days",
    "days",
    "command",
)


@pytest.fixture(scope="module")
def stored() -> posterior.Posterior:
    return posterior.load()


def test_stored_posterior_loads_with_100_valid_sets_and_its_provenance(stored):
    assert len(stored) >= 100
    fields = {f.name: f for f in dataclasses.fields(Params)}
    assert set(stored.parameters) <= set(fields)
    for s in stored.sets:
        for n, v in s.items():
            m = fields[n].metadata
            assert m["lo"] <= v <= m["hi"], (n, v)
    Params().replace(**stored.sets[0])  # a whole set is accepted by the parameter checks
    assert all(k in stored.provenance for k in PROVENANCE)
    assert "history matching" in stored.provenance["method"]
    assert stored.provenance["runs"] > len(stored)


def test_every_stored_set_matched_every_matched_pattern_in_every_year(stored):
    tol, years = stored.provenance["tolerances"], stored.provenance["years"]
    for pats in stored.patterns:
        for name, (lo, hi) in tol.items():
            for k in range(1, years + 1):
                assert lo <= pats[f"{name}.y{k}"] <= hi


@pytest.mark.parametrize("index", [0, -1])
def test_a_stored_set_reproduces_its_patterns_on_a_rerun(stored, index):
    """Rerun the set on its seed with the recorded spin-up and measured days: the same patterns."""
    prov = stored.provenance
    params = stored.params(index, Params().replace(spinup_days=prov["spinup_days"]))
    model = GovModel(params, stored.seeds[index], collect=False)  # a fresh spin-up, then the years
    again = read_years(model, prov["days"])
    recorded = stored.patterns[index]
    assert set(recorded) <= set(again)
    for k, v in recorded.items():
        assert again[k] == pytest.approx(v, rel=1e-9, abs=1e-12), k


def test_the_calibration_document_is_what_the_stored_posterior_generates(tmp_path):
    """docs/calibration.md is current: --docs-only regenerates it from sim/data/posterior.json."""
    from pathlib import Path

    doc = Path(__file__).resolve().parents[1] / "docs" / "calibration.md"
    out = tmp_path / "calibration.md"
    assert main(["--docs-only", "--out", str(out), "--figures", str(tmp_path / "figures")]) == 0
    assert out.read_text(encoding="utf-8") == doc.read_text(encoding="utf-8")
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == [
        "calibration-marginals.png",
        "calibration-pairs.png",
    ]


# --- a small history match that recovers a known value ---------------------------------------------
SMALL = Params().replace(households_per_community=300, spinup_days=60)
TRUE = 0.3  # meal_price_weight used to make the synthetic pattern (prior 0.125-0.375)
DAYS = 90


def lunches(model, days: int) -> dict[str, float]:
    """A cheap reader: canteen meals a day over ``days`` measured days."""
    model.run(days)
    r = metrics.report(model, model.day0, model.day)
    return {"lunches.y1": r["canteen_meals_per_day"]}


def _small_setup(lo: float, hi: float, work=None, **kw) -> history.Setup:
    return history.Setup(
        names=["meal_price_weight"],
        patterns=[history.Pattern("lunches", lo, hi)],
        reader=lunches,
        base=SMALL,
        days=DAYS,
        seed=3,
        wave_runs=[10, 8],
        replicates=3,
        final_batch=12,
        min_sets=6,
        max_final=24,
        work=work,
        **kw,
    )


@pytest.fixture(scope="module")
def synthetic_target() -> tuple[float, float]:
    """The pattern made by the model at the known value: mean over 3 seeds ± 2.5 sd (and ± 2 %)."""
    runs = [
        history.measure((SMALL.replace(meal_price_weight=TRUE), 1000 + s, DAYS, lunches))["lunches.y1"]
        for s in range(3)
    ]
    mean, sd = float(np.mean(runs)), float(np.std(runs, ddof=1))
    half = max(2.5 * sd, 0.02 * mean)
    return mean - half, mean + half


def test_a_small_history_match_recovers_a_known_parameter(synthetic_target, tmp_path):
    """Two waves and an ensemble on a 300-household community recover meal_price_weight = 0.3
    from its own synthetic pattern: the accepted sets' range holds the true value and their
    median lies within 0.05 of it (a fifth of the prior's width)."""
    cal = history.history_match(_small_setup(*synthetic_target, work=tmp_path))
    values = [s["meal_price_weight"] for s in cal.sets]
    assert len(values) >= 3
    assert min(values) <= TRUE <= max(values)
    assert abs(float(np.median(values)) - TRUE) <= 0.05
    assert cal.waves[-1]["nroy_fraction"] < 1.0  # the emulators ruled part of the prior out
    # The same settings and work folder: every run is read back, the same ensemble results.
    again = history.history_match(_small_setup(*synthetic_target, work=tmp_path))
    assert again.runs == 0 and again.reused == cal.runs
    assert again.sets == cal.sets and again.seeds == cal.seeds


def test_a_damaged_or_foreign_work_file_is_refused_in_one_line(tmp_path):
    setup = _small_setup(0, 1000, work=tmp_path)
    setup.wave_runs, setup.max_final = [4], 1
    history.Runner(setup)("wave1", 1, np.array([[0.5]]))
    path = tmp_path / "wave1-000.json"
    text = path.read_text()
    path.write_text(text.replace('"lunches.y1": ', '"lunches.y1": 1', 1))
    with pytest.raises(InputError, match=r"wave1-000.json: damaged") as err:
        history.Runner(setup)("wave1", 1, np.array([[0.5]]))
    assert "\n" not in str(err.value)
    path.write_text(text)
    with pytest.raises(InputError, match="other settings"):
        history.Runner(setup)("wave1", 1, np.array([[0.25]]))


def test_model_seeds_depend_on_seed_stage_and_index_only():
    a = [history.run_seed(0, 1, i) for i in range(5)]
    assert a == [history.run_seed(0, 1, i) for i in range(5)]
    assert len(set(a)) == 5 and a != [history.run_seed(1, 1, i) for i in range(5)]


def test_implausibility_is_the_cutoff_at_the_edge_of_a_range_known_exactly():
    p = history.Pattern("x", 1.0, 3.0)
    assert p.var_target(3.0) == pytest.approx((1.0 / 3.0) ** 2)
    assert abs(3.0 - p.centre) / math.sqrt(p.var_target(3.0)) == pytest.approx(3.0)


def test_restatements_are_recorded_but_not_matched():
    from sim.calibration import patterns

    by_name = {p.name: p for p in patterns()}
    assert not by_name["training_projects"].matched and not by_name["platform_placements"].matched
    assert by_name["elderly_alone_unmet_gap"].matched and by_name["elderly_alone_satisfaction_gap"].matched
    assert set(CALIBRATED) <= set(priors.uncertain())


# --- bad input --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--waves", "0"], "--waves"),
        (["--waves", "-2"], "--waves"),
        (["--params", "rate_care,no_such_parameter"], "no_such_parameter"),
        (["--params", "spinup_days"], "spinup_days"),
        (["--cutoff", "0"], "--cutoff"),
        (["--first-wave", "4"], "waves of"),
    ],
)
def test_bad_input_exits_2_with_one_line(argv, needle, capsys, tmp_path):
    assert main([*argv, "--work", str(tmp_path / "w")]) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and "\n" not in err
