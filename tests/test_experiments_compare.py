"""Paired comparison, bootstrap intervals, cost side, plots, brief, sweeps and the command line."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from markupsafe import escape  # as the brief's Jinja2 template escapes

from sim import InputError
from sim.cli import main
from sim.experiments import (
    Executor,
    bootstrap_ci,
    compare,
    cost_table,
    load_scenario,
    load_scenarios,
    paired_differences,
    parse_lever,
    sweep,
)
from sim.experiments.sweep import grid_design, lhs_design

DAYS = 30


def test_bootstrap_interval_is_seeded_and_honest():
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 1, 40)
    lo, hi = bootstrap_ci(noise, np.random.default_rng(1))
    assert lo < 0 < hi
    assert (lo, hi) == bootstrap_ci(noise, np.random.default_rng(1))
    lo, hi = bootstrap_ci(1 + 0.1 * noise, np.random.default_rng(1))
    assert 0.9 < lo < 1 < hi < 1.1
    assert bootstrap_ci(np.full(3, 2.5), np.random.default_rng(1)) == (2.5, 2.5)
    assert all(np.isnan(bootstrap_ci(np.array([]), np.random.default_rng(1))))


def test_paired_differences_pair_by_replication():
    table = pd.DataFrame(
        {
            "scenario": ["ref"] * 3 + ["b"] * 3,
            "rep": [0, 1, 2, 2, 1, 0],
            "trust": [0.1, 0.5, 0.9, 0.92, 0.52, 0.12],
        }
    )
    d = paired_differences(table, "ref", ["trust"], groups=["all"]).iloc[0]
    assert d["diff"] == pytest.approx(0.02) and d.n == 3
    assert d.ci_low == pytest.approx(0.02) and d.ci_high == pytest.approx(0.02) and d.excludes_zero


def test_cost_per_extra_resident_served():
    table = pd.DataFrame(
        {
            "scenario": ["ref", "ref", "b", "b"],
            "rep": [0, 1, 0, 1],
            "cost_yuan": [1000.0, 1100.0, 1500.0, 1700.0],
            "volunteer_hours": [10.0, 10.0, 30.0, 20.0],
            "unit_hours": [0.0, 0.0, 5.0, 5.0],
            "served": [50.0, 55.0, 60.0, 66.0],
            "residents_served": [40.0, 42.0, 45.0, 47.0],
        }
    )
    c = cost_table(table, "ref").iloc[0]
    assert c.extra_cost_yuan == 550 and c.extra_residents_served == 5
    assert c.yuan_per_extra_resident == pytest.approx(110)
    assert c.yuan_per_extra_resident_low <= 110 <= c.yuan_per_extra_resident_high
    assert c.hours_per_extra_resident == pytest.approx(3)


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    copy = out.parent / "baseline_copy.toml"
    copy.write_text('name = "baseline_copy"\ndescription = "The baseline again (A vs A)."\n')
    scenarios = load_scenarios(["baseline", "no_closed_loop", str(copy)])
    return compare(
        scenarios, out=out / "results", reps=3, days=DAYS, executor=Executor("process", 2), progress=False
    )


def _diff(comp, scenario, outcome="unmet_need_rate", group="all"):
    d = comp.diffs
    return d[(d.scenario == scenario) & (d.outcome == outcome) & (d.group == group)].iloc[0]


@pytest.mark.slow
def test_a_known_effect_excludes_zero_and_a_vs_a_covers_it(comparison):
    no_loop = _diff(comparison, "no_closed_loop")
    assert no_loop.n == 3 and no_loop.ci_low > 0 and no_loop.excludes_zero
    assert no_loop.scenario_mean > no_loop.reference_mean
    same = _diff(comparison, "baseline_copy")
    assert same.ci_low <= 0 <= same.ci_high and not same.excludes_zero
    assert (comparison.diffs[comparison.diffs.scenario == "baseline_copy"]["diff"].fillna(0) == 0).all()


@pytest.mark.slow
def test_differences_cover_groups_and_the_cost_side(comparison):
    groups = set(comparison.diffs[comparison.diffs.outcome == "unmet_need_rate"].group)
    assert groups == {"all", "elderly_alone", "migrant_children", "job_seekers"}
    costs = comparison.costs.set_index("scenario")
    assert costs.loc["no_closed_loop", "extra_residents_served"] < 0
    assert costs.loc["no_closed_loop", "extra_volunteer_hours"] < 0
    assert np.isnan(costs.loc["no_closed_loop", "yuan_per_extra_resident"])  # serves no more residents


@pytest.mark.slow
def test_brief_is_self_contained_with_plots(comparison):
    files = comparison.files
    html = files["brief"].read_text()
    assert html.count("data:image/png;base64,") >= 5
    assert not re.search(r'(src|href)="(http|//|file:)', html)
    for s in comparison.scenarios:
        assert escape(s.label) in html and escape(s.description) in html
    assert comparison.result.specs[0].code_version in html
    for stem in ("forest", "equity", "timeseries", "map_no_closed_loop"):
        assert files[stem].suffix == ".png" and files[stem].stat().st_size > 10_000
        assert files[stem].with_suffix(".svg").exists()
    for name in ("summaries", "differences", "costs"):
        assert files[name].exists()


def _snapshot(root: Path) -> dict[str, tuple[str, int]]:
    return {
        str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.slow
def test_cli_compare_prints_table_and_bad_input_leaves_output_untouched(tmp_path, capsys):
    out = tmp_path / "out"
    args = [
        "compare",
        "baseline",
        "more_partner_units",
        "--reps",
        "2",
        "--days",
        "20",
        "--executor",
        "sequential",
    ]
    assert main([*args, "--quiet", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "+10 partner units vs Baseline" in printed and "Unmet need" in printed and "brief: " in printed
    before = _snapshot(out)
    bad = tmp_path / "bad.toml"
    bad.write_text("[params]\ntrust_gain = 2.0\n")
    far = tmp_path / "far.toml"
    far.write_text('[[policies]]\nkind = "add_partner_units"\ncommunities = [5]\n')
    cases = [
        (["compare", "baseline", str(bad)], ["bad.toml", "trust_gain", "out of range"]),
        (["compare", "baseline", str(far)], ["far.toml", "policies[0]", "community 5 does not exist"]),
        (["compare", "baseline", "nope"], ["nope", "available"]),
        (["compare", "baseline"], ["at least two scenarios"]),
        (["compare", "baseline", "no_closed_loop", "--reps", "0"], ["--reps", "'0'"]),
        (["compare", "baseline", "no_closed_loop", "--executor", "gpu"], ["--executor", "gpu"]),
        (["compare", "baseline", "no_closed_loop", "--scheduler", "tcp://h:1"], ["--scheduler", "dask"]),
        (["sweep", "--lever", "trust_gian=0:1"], ["--lever trust_gian", "did you mean 'trust_gain'"]),
        (["sweep", "--lever", "trust_gain=0:3"], ["--lever trust_gain", "out of range"]),
        (["sweep", "--lever", "dispatch_rule=0:1"], ["--lever dispatch_rule", "not numeric"]),
        (["sweep", "--lever", "trust_gain=1:0"], ["--lever", "LO < HI"]),
        (["sweep"], ["--lever"]),
    ]
    for argv, words in cases:
        assert main([*argv, "--out", str(out)]) == 2, argv
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and err.startswith("govsim: error:"), err
        for w in words:
            assert w in err, (argv, err)
        assert _snapshot(out) == before, argv
    other = tmp_path / "mine"
    other.mkdir()
    (other / "thesis.docx").write_text("precious")
    assert main([*args, "--out", str(other)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert [p.name for p in other.iterdir()] == ["thesis.docx"]


@pytest.mark.slow
def test_sweep_grid_is_resumable_and_shares_the_store(tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["sweep", "--lever", "volunteer_registration=0.05:0.15:2", "--lever", "partner_units=6,18"]
    argv += ["--reps", "2", "--days", "15", "--executor", "sequential", "--quiet", "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "runs: 8 (8 computed, 0 cached, 0 failed)" in printed
    assert main(argv) == 0
    assert "runs: 8 (0 computed, 8 cached, 0 failed)" in capsys.readouterr().out
    folder = next((out / "sweeps").iterdir())
    points = pd.read_csv(folder / "points.csv")
    assert len(points) == 4 and (points.runs == 2).all()
    assert set(points.partner_units) == {6, 18}
    assert (folder / "sweep.png").exists() and (folder / "sweep.svg").exists()


def test_sweep_designs():
    a, b = parse_lever("partner_units=0:20:3"), parse_lever("trust_gain=0.02,0.06")
    assert [p["partner_units"] for p in grid_design([a])] == [0, 10, 20]
    assert len(grid_design([a, b])) == 6
    lhs = lhs_design([a, b], points=5, seed=1)
    assert lhs == lhs_design([a, b], points=5, seed=1) and len(lhs) == 5
    strata = sorted(int((p["trust_gain"] - 0.02) / 0.04 * 5) for p in lhs)
    assert strata == [0, 1, 2, 3, 4]  # one draw per stratum
    assert all(isinstance(p["partner_units"], int) for p in lhs)
    with pytest.raises(InputError, match="hh_"):
        sweep(load_scenario("baseline"), [parse_lever("hh_couple=0.1:0.3")], out="unused", reps=1, days=1)


def test_scipy_bootstrap_agrees_with_the_hand_written_percentile_bootstrap():
    from sim.experiments.stats import _ratio  # the cost side's ratio, kept by hand

    def by_hand(d, rng, n_boot=2000, level=0.95):  # the formula stats.bootstrap_ci used before scipy
        means = d[rng.integers(0, len(d), size=(n_boot, len(d)))].mean(axis=1)
        return tuple(np.quantile(means, [(1 - level) / 2, (1 + level) / 2]))

    for seed, n in ((0, 4), (1, 8), (2, 30)):
        d = np.random.default_rng(seed).normal(1, 2, n)
        new, old = bootstrap_ci(d, np.random.default_rng(7)), by_hand(d, np.random.default_rng(7))
        assert new == pytest.approx(old, rel=1e-12, abs=1e-12)
    # the ratio of means, where every resample is defined, agrees with scipy's paired bootstrap
    import scipy.stats

    num, den = np.array([900.0, 1200, 700, 1500, 1100]), np.array([3.0, 5, 2, 6, 4])
    est, lo, hi = _ratio(num, den, np.random.default_rng(3), 2000, 0.95)
    res = scipy.stats.bootstrap(
        (num, den),
        lambda a, b, axis=-1: a.mean(axis=axis) / b.mean(axis=axis),
        paired=True,
        n_resamples=2000,
        method="percentile",
        rng=np.random.default_rng(3),
        vectorized=True,
    )
    assert est == pytest.approx(num.mean() / den.mean())
    assert (lo, hi) == pytest.approx(tuple(res.confidence_interval), rel=1e-12)
