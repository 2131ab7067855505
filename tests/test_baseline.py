"""The model reproduces its checked-in fixed-seed outcomes (regenerate: tests/baseline.py)."""

import json

import pytest
from baseline import PATH, compute


@pytest.mark.slow
def test_outcomes_match_the_regression_baseline():
    stored = json.loads(PATH.read_text())
    fresh = compute()
    assert set(fresh) == set(stored)
    for case, values in fresh.items():
        assert set(values) == set(stored[case]), f"{case}: the set of outcomes changed"
        for key, value in values.items():
            old = stored[case][key]
            if old is None or value is None:
                assert old is value, (case, key, old, value)
            else:
                assert value == pytest.approx(old, rel=1e-9, abs=1e-12), (case, key, old, value)
