"""The daily collector's fast path (metrics.day_report) gives every value of metrics.report, bit for bit."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sim import GovModel, Params, metrics
from sim.window import quantile, quantiles


def same(a: dict[str, float], b: dict[str, float]) -> list[str]:
    """Columns whose values differ in bits or type (NaN equals NaN); [] when none."""
    assert list(a) == list(b), "same columns in the same order"
    return [
        k
        for k in a
        if type(a[k]) is not type(b[k]) or np.float64(a[k]).tobytes() != np.float64(b[k]).tobytes()
    ]


@pytest.mark.parametrize("seed", [0, 3])
def test_day_report_equals_report_for_every_column_and_day(seed):
    model = GovModel(Params(households_per_community=300), seed=seed, spin_up=False, collect=False)
    checked = 0
    for _ in range(45):
        model.step()
        d = model.day
        for d0, d1 in ((d, d), (d - 6, d), (0, d)):
            assert same(metrics.report(model, d0, d1), metrics.day_report(model, d0, d1)) == [], (d0, d1)
            checked += 1
    assert checked == 135
    assert len(metrics.FAST) >= 25, "the needs' counts, rates and quantiles take the fast path"


def test_collector_rows_are_the_days_reports():
    model = GovModel(Params(households_per_community=300), seed=5, spin_up=False)
    reports = []
    for _ in range(20):
        model.step()
        reports.append(metrics.report(model, model.day, model.day))
    days = metrics.day_values(model.datacollector.get_model_vars_dataframe())
    for row, rep in zip(days.to_dict("records"), reports, strict=True):
        assert same(rep, {k: row[k] for k in rep}) == []


def test_a_replaced_outcome_function_is_not_taken_for_the_fast_one():
    model = GovModel(Params(households_per_community=200), seed=1, spin_up=False, collect=False)
    model.run(10)
    model.outcomes = tuple(
        replace(m, fn=lambda w, g: 42.0) if m.name == "served" else m for m in model.outcomes
    )
    fast = metrics.day_report(model, model.day, model.day)
    assert fast["served"] == fast["served.elderly_alone"] == 42.0
    assert same(metrics.report(model, model.day, model.day), fast) == []


def test_quantiles_sort_once_and_give_quantile():
    rng = np.random.default_rng(0)
    for n in (0, 1, 2, 7, 50):
        v = rng.integers(0, 30, n)
        assert np.array_equal(quantiles(v, (0.5, 0.9)), [quantile(v, 0.5), quantile(v, 0.9)], equal_nan=True)


def test_window_candidates_are_needs_recent():
    from sim.needs import longest_open_days
    from sim.window import Window

    model = GovModel(Params(households_per_community=200), seed=2, spin_up=False, collect=False)
    for _ in range(30):
        model.step()
        for d0 in (model.day, model.day - 10, -5):
            ids = model.needs.recent(d0 - longest_open_days(model.params))
            closed = model.needs.day_closed[ids]
            expected = ids[(closed >= d0) | (closed < 0)]
            assert np.array_equal(Window(model, d0, model.day).ids, expected)


def test_tidy_is_the_collector_table_melted_column_after_column():
    """runner.tidy builds the long table without melt: the same rows, values and types."""
    import pandas as pd

    from sim.runner import tidy

    model = GovModel(Params(households_per_community=300), seed=2, spin_up=False)
    model.run(30)
    wide = metrics.day_values(model.datacollector.get_model_vars_dataframe())
    wide.index = pd.RangeIndex(len(wide), name="day")
    long = wide.reset_index().melt(id_vars="day", var_name="column", value_name="value")
    split = long["column"].str.split(".", n=1, expand=True)
    long["metric"], long["group"] = split[0], split[1].fillna("all")
    expected = long[["day", "metric", "group", "value"]].astype({"value": "float64"})
    got = tidy(model)
    assert len(got) == 30 * wide.shape[1] and set(got.group) > {"all"}
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
