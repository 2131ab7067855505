"""The batched paired bootstrap gives bootstrap_ci's intervals to the last bit."""

import numpy as np
import pandas as pd
import pytest

from sim.experiments.stats import _paired, _rng, bootstrap_ci, paired_differences, percentile_intervals


@pytest.mark.filterwarnings("ignore")  # the NaN and inf samples warn in scipy and numpy
def test_percentile_intervals_equal_bootstrap_ci():
    rng = np.random.default_rng(3)
    samples = [rng.normal(size=n) * s for n in (2, 3, 4, 4, 8, 30) for s in (1e-6, 1.0, 1e6)]
    samples += [np.array([]), np.array([1.5]), np.full(4, 2.0), np.array([1.0, np.nan, 2.0, 3.0])]
    samples += [np.arange(5), np.array([0.0, np.inf, 1.0])]
    got = percentile_intervals(samples, [_rng(1, "x", str(i)) for i in range(len(samples))])
    want = [bootstrap_ci(d, _rng(1, "x", str(i))) for i, d in enumerate(samples)]
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert np.array_equal(g, w, equal_nan=True)


def test_paired_differences_match_column_by_column():
    rng = np.random.default_rng(5)
    rows = [
        {"scenario": s, "rep": r, "trust": rng.random(), "unmet_need_rate": rng.random() / 10}
        for s in ("ref", "a", "b")
        for r in range(4)
    ]
    table = pd.DataFrame(rows)
    table.loc[5, "trust"] = np.nan  # a, rep 1: that pair drops out of trust only
    diffs = paired_differences(table, "ref", ["trust", "unmet_need_rate"], groups=["all"])
    for _, row in diffs.iterrows():
        pair = _paired(table, "ref", row.scenario, row.column)
        d = (pair.scn - pair.ref).to_numpy()
        assert row.n == len(d)
        assert row["diff"] == d.mean() and row.reference_mean == pair.ref.mean()
        assert (row.ci_low, row.ci_high) == bootstrap_ci(d, _rng(20250, row.scenario, row.column))
