"""govsim from SALib and EMA Workbench, written as an outside user would: the parameter
table as JSON, a SALib problem in one call, numpy values taken as they come, an EMA
experiment set with replications. Public names only."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest
from SALib.analyze import morris as morris_analyze
from SALib.sample import morris as morris_sample

from sim import InputError, Params, derived_seed, run
from sim.analysis import evaluate, params_at, salib_problem
from sim.metrics import METRICS

SMALL = Params(households_per_community=400, households_per_grid=100, spinup_days=30)


def test_params_json_is_machine_readable():
    r = subprocess.run([sys.executable, "-m", "sim.cli", "params", "--json"], capture_output=True, text=True)
    rows = json.loads(r.stdout)
    assert len(rows) > 250
    outcomes = {m.name for m in METRICS}
    kinds = {"int": int, "float": int | float, "choice": str, "bool": bool}
    for row in rows:
        assert row["type"] in kinds, row
        assert isinstance(row["default"], kinds[row["type"]]) and not isinstance(row["default"], bool), row
        assert isinstance(row["build_only"], bool) and row["tag"] in ("A", "S", "E") and row["unit"]
        assert "prior" in row and (row["prior"] is None) == (row["tag"] != "E")
        assert row["lever"] is None or row["lever"] in outcomes, row
        if row["type"] == "choice":
            assert row["min"] is None and row["max"] is None and row["default"] in row["choices"]
        else:
            assert row["choices"] is None
            assert isinstance(row["min"], int | float) and isinstance(row["max"], int | float)
            assert row["min"] <= row["default"] <= row["max"], row
    by_name = {row["name"]: row for row in rows}
    assert by_name["dispatch_rule"]["choices"] == ["closed_loop", "ad_hoc", "none"]
    assert by_name["partner_units"]["type"] == "int" and by_name["partner_units"]["lever"]
    assert by_name["communities"]["build_only"] is True


def test_numpy_values_are_taken_and_refused_like_python_ones():
    p = Params(partner_units=np.int64(16), trust_gain=np.float64(0.2), dispatch_rule=np.str_("ad_hoc"))
    assert p == Params(partner_units=16, trust_gain=0.2, dispatch_rule="ad_hoc")
    assert type(p.partner_units) is int and type(p.dispatch_rule) is str
    for bad, expected in (
        ({"partner_units": np.float64(16.0)}, "'partner_units' = 16.0: expected an integer"),
        ({"partner_units": np.bool_(True)}, "'partner_units' = True: expected an integer"),
        ({"partner_units": np.int64(-1)}, "'partner_units' = -1 is out of range"),
        ({"trust_gain": np.float32(7)}, "'trust_gain' = 7.0 is out of range"),
        ({"dispatch_rule": np.str_("fast")}, "'dispatch_rule' = 'fast': expected one of"),
    ):
        with pytest.raises(InputError, match=expected):
            Params(**bad)
    assert run(SMALL, seed=np.int64(2), days=np.int64(3)).days == 3
    from sim.experiments import build_matrix, load_scenario

    base = [load_scenario("baseline")]
    specs = build_matrix(base, reps=np.int64(2), days=np.int64(5), base_seed=np.int64(1))
    assert [s.seed for s in specs] == [derived_seed(1, 0), derived_seed(1, 1)]
    with pytest.raises(InputError, match="--reps 2.0: expected an integer"):
        build_matrix([load_scenario("baseline")], reps=np.float64(2), days=5)


def test_salib_problem_and_a_morris_design_end_to_end():
    problem = salib_problem(["trust_gain", "partner_units", "hh_elder_alone"], spread=0.5)
    assert problem["names"] == ["trust_gain", "partner_units", "hh_elder_alone"]
    assert problem["bounds"][1] == [6.0, 19.0]  # 12 x (1 +- 0.5); an integer's upper bound is open
    x = morris_sample.sample(problem, N=2, num_levels=4, seed=3)
    for row in x:
        params = params_at(problem["names"], row, SMALL)  # household shares still sum to 1
        assert params.partner_units == int(np.floor(row[1])) and params.hh_elder_alone == row[2]
    y = evaluate(problem, x, ["trust", "needs_arisen"], days=10, base=SMALL)
    assert y.shape == (len(x), 2) and np.isfinite(y).all()
    si = morris_analyze.analyze(problem, x, y[:, 0], num_levels=4, seed=3)
    assert si["mu_star"][0] > 0, "trust_gain moves trust"
    # a row evaluated alone is that run's summary, with replication 0's seed
    alone = run(params_at(problem["names"], x[0], SMALL), seed=derived_seed(0, 0), days=10).summary
    assert y[0, 0] == alone["trust"]


def test_bad_names_in_a_problem_are_one_line():
    with pytest.raises(InputError, match=r"unknown parameter 'trust_gian' \(did you mean 'trust_gain'\?\)"):
        salib_problem(["trust_gian"])
    with pytest.raises(InputError, match="'dispatch_rule' is a choice parameter"):
        salib_problem(["dispatch_rule"])
    with pytest.raises(InputError, match="sum to 1.2"):
        params_at(["hh_elder_alone", "hh_couple"], [0.6, 0.6])


@pytest.fixture(scope="module")
def ema_runs(tmp_path_factory):
    """The same EMA experiment set three times: directly, through a store, and again."""
    from ema_workbench import SequentialEvaluator, perform_experiments

    from sim import ema

    out = tmp_path_factory.mktemp("ema")
    results = []
    for where in (None, out, out):
        model = ema.model(
            uncertainties=["trust_gain", "partner_units"],
            levers=["dispatch_rule"],
            outcomes=["unmet_need_rate", "trust"],
            days=10,
            replications=2,
            base=SMALL,
            out=where,
        )
        with warnings.catch_warnings(), SequentialEvaluator(model) as evaluator:
            warnings.simplefilter("ignore")
            results.append(
                perform_experiments(
                    model,
                    scenarios=2,
                    policies=2,
                    evaluator=evaluator,
                    uncertainty_sampling_kwargs={"rng": 1},
                    lever_sampling_kwargs={"rng": 2},
                )
            )
    return results, out


def test_an_ema_experiment_set_with_replications(ema_runs):
    (experiments, outcomes), *_ = ema_runs[0]
    assert len(experiments) == 4 and experiments["partner_units"].between(0, 200).all()
    assert outcomes["trust"].shape == (4,) and np.isfinite(outcomes["unmet_need_rate"]).all()
    row = experiments.iloc[0]
    params = SMALL.replace(
        trust_gain=row["trust_gain"], partner_units=row["partner_units"], dispatch_rule=row["dispatch_rule"]
    )  # the values as EMA hands them over: numpy scalars
    reps = [run(params, seed=derived_seed(0, i), days=10).summary["trust"] for i in (0, 1)]
    assert reps[0] != reps[1], "each replication has its own seed"
    assert outcomes["trust"][0] == pytest.approx(np.mean(reps), rel=1e-12)


def test_ema_through_the_store_gives_the_same_outcomes_and_reuses_its_runs(ema_runs):
    (direct, stored, again), out = ema_runs
    for name in ("trust", "unmet_need_rate"):
        np.testing.assert_allclose(stored[1][name], direct[1][name], rtol=1e-12)
        np.testing.assert_array_equal(again[1][name], stored[1][name])
    points = direct[0][["trust_gain", "partner_units", "dispatch_rule"]].drop_duplicates()
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["runs"]) == 2 * len(points)  # each distinct experiment x 2 replications, once
    assert all(r["status"] == "done" for r in manifest["runs"].values())
    counts = [inv["counts"] for inv in manifest["invocations"]]
    assert sum(c["computed"] for c in counts) == 2 * len(points), counts
