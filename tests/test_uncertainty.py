"""Comparisons with parameter uncertainty: each replication a posterior set, paired across scenarios."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim import posterior, priors
from sim.cli import main
from sim.experiments import Executor, build_matrix, compare, load_scenarios, run_matrix, simulate

DAYS = 15
NAMES = ["rate_care", "elder_order_penalty", "quality_base", "hidden_lapse_days"]


@pytest.fixture(scope="module")
def post(tmp_path_factory) -> posterior.Posterior:
    """A small posterior of prior draws (the stored one is tested in test_calibration.py)."""
    sets = [{n: getattr(p, n) for n in NAMES} for p in priors.sample(6, names=NAMES, seed=11)]
    prov = {
        "method": "prior draws for a test",
        "patterns": [],
        "seed": 11,
        "commit": "test",
        "created": "now",
    }
    path = tmp_path_factory.mktemp("posterior") / "posterior.json"
    return posterior.write(path, NAMES, sets, list(range(6)), [{}] * 6, prov)


@pytest.fixture(scope="module")
def pair():
    return load_scenarios(["baseline", "no_closed_loop"])


def test_every_scenario_of_a_pair_gets_the_same_parameter_set_and_seed(post, pair):
    specs = build_matrix(pair, reps=4, days=DAYS, base_seed=2, posterior=post)
    by_rep: dict[int, set] = {}
    for s in specs:
        by_rep.setdefault(s.rep, set()).add((s.seed, s.param_set, s.draw))
    assert all(len(v) == 1 for v in by_rep.values())  # one (seed, set) per replication
    sets = [next(iter(v))[1] for _, v in sorted(by_rep.items())]
    assert sets == post.assign(4, base_seed=2) and len(set(sets)) == 4  # distinct sets
    for s in specs:
        assert dict(s.draw) == post.sets[s.param_set]
        params, _ = s.build()
        assert all(getattr(params, n) == v for n, v in post.sets[s.param_set].items())
    plain = build_matrix(pair, reps=4, days=DAYS, base_seed=2)
    assert [s.seed for s in plain] == [s.seed for s in specs]  # same seeds as without a posterior
    assert {s.key for s in plain}.isdisjoint({s.key for s in specs})  # but other runs


def test_a_run_uses_its_parameter_set_under_the_scenario(post, pair):
    k = 3
    _, summary, _ = simulate(pair[1], seed=9, days=DAYS, base=post.sets[k])
    params = post.params(k).replace(**pair[1].params)
    ref = sim.run(params, seed=9, days=DAYS).summary
    for key, value in ref.items():
        assert summary[key] == pytest.approx(value, nan_ok=True), key
    _, default, _ = simulate(pair[1], seed=9, days=DAYS)
    assert default != summary  # the set changed the run


def _tables(root: Path) -> dict[str, pd.DataFrame]:
    return {str(p.relative_to(root)): pd.read_parquet(p) for p in sorted(root.rglob("*.parquet"))}


@pytest.mark.slow
def test_posterior_runs_are_reproducible_across_executors(tmp_path, post, pair):
    specs = build_matrix(pair, reps=2, days=DAYS, posterior=post)
    outs = {}
    for name, ex in (("sequential", Executor("sequential")), ("process", Executor("process", workers=2))):
        res = run_matrix(specs, tmp_path / name, executor=ex, progress=False)
        # one spin-up per (set, seed, scenario parameters): no_closed_loop changes dispatch_rule
        assert not res.failed and len(res.computed) == 4 and res.spinups == 4
        outs[name] = _tables(tmp_path / name)
    assert len(outs["sequential"]) == 12
    for path, frame in outs["sequential"].items():
        pd.testing.assert_frame_equal(outs["process"][path], frame, check_exact=True, obj=path)


@pytest.mark.slow
def test_comparison_reports_sets_share_better_and_records_the_posterior(tmp_path, post, pair):
    comp = compare(
        pair,
        out=tmp_path,
        reps=3,
        days=DAYS,
        progress=False,
        uncertainty="posterior",
        posterior_file=post.path,
    )
    sets = post.assign(3, 0)
    table = comp.table.sort_values(["scenario", "rep"])
    assert list(table[table.scenario == "baseline"].param_set) == sets
    d = comp.diffs
    share = d[d.outcome == "unmet_need_rate"].share_better
    assert share.between(0, 1).all()
    assert d[d.outcome == "cost_yuan"].share_better.isna().all()  # no better side
    # share_better counts the pairs in which the scenario did better
    row = d[(d.outcome == "unmet_need_rate") & (d.group == "all")].iloc[0]
    ref = table[table.scenario == "baseline"].set_index("rep").unmet_need_rate
    scn = table[table.scenario == "no_closed_loop"].set_index("rep").unmet_need_rate
    assert row.share_better == pytest.approx(((scn - ref) < 0).mean())
    inv = json.loads((tmp_path / "manifest.json").read_text())["invocations"][-1]
    assert inv["uncertainty"] == "posterior" and inv["posterior"]["sha256"] == post.sha256
    assert inv["posterior"]["file"] == str(post.path)
    assert inv["param_sets"] == {str(i): s for i, s in enumerate(sets)}
    html = comp.files["brief"].read_text()
    assert "Intervals include parameter uncertainty" in html and "parameter sets" in html
    assert post.sha256[:16] in html
    none = compare(
        pair, out=tmp_path / "none", reps=2, days=DAYS, progress=False, plots=False, uncertainty="none"
    )
    assert "param_set" not in none.table and none.posterior is None


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--uncertainty", "maybe"], "--uncertainty maybe: expected one of posterior, none"),
        (["--uncertainty", "posterior", "--posterior", "{tmp}/nope.json"], "posterior file not found"),
        (["--uncertainty", "posterior", "--posterior", "{tmp}/bad.json"], "not valid JSON"),
        (
            ["--uncertainty", "posterior", "--posterior", "{tmp}/old.json"],
            "reads 'govsim-posterior' version 1",
        ),
        (
            ["--uncertainty", "none", "--posterior", "{tmp}/old.json"],
            "only used with --uncertainty posterior",
        ),
    ],
)
def test_a_bad_posterior_is_one_line_and_nothing_runs(tmp_path, capsys, post, args, needle):
    (tmp_path / "bad.json").write_text('{"schema": "govsim-posterior", ')
    old = json.loads(post.path.read_text())
    old["version"] = 0
    (tmp_path / "old.json").write_text(json.dumps(old))
    args = [a.format(tmp=tmp_path) for a in args]
    out = tmp_path / "out"
    code = main(
        ["compare", "baseline", "no_closed_loop", "--reps", "2", "--days", "5", "--out", str(out), *args]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and needle in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert not (out / "runs").exists()
