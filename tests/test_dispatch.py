"""The closed loop's dispatch helpers agree with the plain numpy operations they replace."""

from __future__ import annotations

import numpy as np
import pytest

from sim.loop import sort_within_groups


@pytest.mark.parametrize("seed", range(5))
def test_sort_within_groups_is_lexsort(seed):
    rng = np.random.default_rng(seed)
    group = np.sort(rng.integers(0, 40, 300))
    key = rng.choice([-1.5, 0.0, 0.25, 2.0, np.nan, np.inf], 300)  # ties, NaN and inf
    key[::7] = rng.normal(size=len(key[::7]))
    assert np.array_equal(sort_within_groups(group, key), np.lexsort((key, group)))


def test_sort_within_groups_edge_cases():
    assert sort_within_groups(np.empty(0, np.int64), np.empty(0)).tolist() == []
    assert sort_within_groups(np.array([3]), np.array([1.0])).tolist() == [0]
    # One group: a stable sort of the keys.
    assert sort_within_groups(np.zeros(4, np.int64), np.array([2.0, 1.0, 2.0, 0.0])).tolist() == [3, 1, 0, 2]


@pytest.mark.parametrize("rule", ["closed_loop", "none"])
def test_both_ways_of_running_the_rounds_give_the_same_run(monkeypatch, rule):
    """The rounds as a loop (small days) and in numpy by pointers (large days) are one algorithm."""
    from sim import GovModel, Params, loop

    def run(threshold):
        monkeypatch.setattr(loop, "POINTER_ROUNDS_FROM", threshold)
        m = GovModel(
            Params().replace(communities=2, dispatch_rule=rule, spinup_days=60), seed=3, collect=False
        )
        m.run(60)
        b = m.needs
        pr = m.providers
        return (
            b.provider.copy(), b.state.copy(), b.day_accepted.copy(), b.day_due.copy(),
            pr.notified_month.copy(), pr.declines_month.copy(), pr.hours_used.copy(),
        )  # fmt: skip

    by_loop, by_pointer = run(10**12), run(0)
    for a, b in zip(by_loop, by_pointer, strict=True):
        assert np.array_equal(a, b)
    assert (by_loop[0] >= 0).sum() > 200  # the run did dispatch
