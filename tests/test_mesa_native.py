"""govsim driven the way a Mesa user drives a model: keyword parameters, ``mesa.batch_run``,
the DataCollector's day values and running totals. Public names only."""

from __future__ import annotations

import warnings

import mesa
import numpy as np
import pytest

from sim import GovModel, InputError, Params, derived_seed, run
from sim.metrics import METRICS

SMALL = {"households_per_community": 400, "households_per_grid": 100, "spinup_days": 30}
DAYS = 20


@pytest.fixture(scope="module")
def rows():
    return mesa.batch_run(
        GovModel,
        parameters={**SMALL, "partner_units": [6, 24], "dispatch_rule": ["closed_loop", "ad_hoc"]},
        rng=[1, 2],
        max_steps=DAYS,
        display_progress=False,
    )


def test_batch_run_varies_each_parameter_in_its_own_column(rows):
    assert len(rows) == 8  # 2 x 2 combinations x 2 seeds, one row each (the last step)
    combos = {(r["partner_units"], r["dispatch_rule"], r["seed"]) for r in rows}
    assert len(combos) == 8
    assert {r["seed"] for r in rows} == {1, 2}
    assert all(r["Step"] == DAYS for r in rows), "max_steps counts measured days, after the spin-up"
    assert "params" not in rows[0]


def test_last_row_totals_equal_the_runs_summary(rows):
    checked = 0
    for r in (rows[0], rows[-1]):
        params = Params(**SMALL, partner_units=r["partner_units"], dispatch_rule=r["dispatch_rule"])
        summary = run(params, seed=r["seed"], days=DAYS).summary
        totals = {k.removesuffix("_total"): v for k, v in r.items() if k.endswith("_total")}
        assert totals, "the DataCollector reports running totals"
        for key, value in totals.items():
            assert value == pytest.approx(summary[key], rel=1e-12, abs=1e-9), key
            checked += 1
        assert totals["needs_arisen"] > r["needs_arisen_day"] > 0, "a total is not the last day's flow"
        assert totals["cost_yuan"] > r["cost_yuan_day"] > 0
    assert checked > 50


def test_unseeded_iterations_get_the_replication_seeds_paired_across_combinations():
    params = {**SMALL, "partner_units": [7, 9], "trust_gain": 0.0123}  # a set no other test builds
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Mesa prefers rng=[...]
        rows = mesa.batch_run(GovModel, parameters=params, iterations=2, max_steps=2, display_progress=False)
    seeds = {(r["partner_units"], r["iteration"]): r["seed"] for r in rows}
    assert seeds == {(u, i): derived_seed(0, i) for u in (7, 9) for i in (0, 1)}


def test_day_columns_add_up_to_the_totals_for_every_flow():
    model = GovModel(seed=4, **SMALL)
    for _ in range(DAYS):
        model.step()
    table = model.datacollector.get_model_vars_dataframe()
    summary = model.summary()
    assert len(table) == DAYS and model.steps == DAYS and model.day == SMALL["spinup_days"] + DAYS - 1
    flows = [m for m in METRICS if m.flow]
    assert len(flows) >= 20
    for m in METRICS:
        assert (m.name + "_total" in table) == m.flow, m.name
        assert m.name + "_day" in table, m.name
    for m in flows:
        day, total = table[m.name + "_day"], table[m.name + "_total"]
        assert total.iloc[-1] == pytest.approx(day.sum(), rel=1e-12, abs=1e-9), m.name
        assert total.iloc[-1] == pytest.approx(summary[m.name], rel=1e-12, abs=1e-9), m.name
        assert (np.diff(total) >= -1e-9).all(), m.name


def test_keyword_parameters_and_their_errors():
    model = GovModel(seed=np.int64(3), partner_units=np.int64(5), spin_up=False, **SMALL)
    assert model.params.partner_units == 5 and model.seed == 3
    assert model.params == Params(**SMALL, partner_units=5)
    closest = r"unknown parameter 'partner_unit' \(did you mean 'partner_units'\?\)"
    with pytest.raises(InputError, match=closest):
        GovModel(partner_unit=5, **SMALL)
    with pytest.raises(InputError, match=r"'partner_units' = 5.0: expected an integer"):
        GovModel(partner_units=np.float64(5.0), **SMALL)
    with pytest.raises(InputError, match="out of range"):
        GovModel(trust_gain=np.float64(7.0), **SMALL)
    with pytest.raises(InputError, match="seed = -1"):
        GovModel(seed=-1, **SMALL)
    with pytest.raises(InputError, match="not both"):
        GovModel(seed=1, rng=2, **SMALL)
    a = GovModel(rng=np.random.SeedSequence(5), spin_up=False, **SMALL).seed
    assert a == GovModel(rng=np.random.SeedSequence(5), spin_up=False, **SMALL).seed
