"""Morris screening: ranges around the defaults, [E] parameters only, and a ranking per outcome."""

from __future__ import annotations

import pytest

from sim.errors import InputError
from sim.experiments import Executor
from sim.experiments.sensitivity import estimates, morris, problem


def test_ranges_are_around_the_default_and_clipped_to_the_declared_range():
    prob = problem(["grid_detect_prob", "order_base"], spread=0.5)
    (lo1, hi1), (lo2, hi2) = prob["bounds"]
    assert (lo1, hi1) == pytest.approx((0.35, 1.0))  # 0.7 x 1.5 = 1.05 clipped to the range's top
    assert (lo2, hi2) == pytest.approx((-6.0, -2.0))  # a negative default still gives lo < hi
    assert problem(["order_base"], bounds={"order_base": (-5, -3)})["bounds"] == [[-5.0, -3.0]]


def test_only_estimates_with_a_range_are_screened():
    assert "order_base" in estimates() and "partner_units" not in estimates()  # [A]
    with pytest.raises(InputError, match="not an \\[E\\] parameter"):
        problem(["partner_units"])
    with pytest.raises(InputError, match="empty range"):
        problem(["grid_detect_prob"], bounds={"grid_detect_prob": (1.2, 1.5)})  # above the range's top


@pytest.mark.slow
def test_morris_ranks_every_parameter_for_every_outcome(tmp_path):
    res = morris(
        ["order_base", "grid_detect_prob"], out=tmp_path, trajectories=2, days=20, outcomes=["trust"],
        executor=Executor("sequential"),
    )  # fmt: skip
    assert len(res.design) == 6 and set(res.ranking["parameter"]) == {"order_base", "grid_detect_prob"}
    # Ordering more (order_base up) gets more needs served, so trust rises: a real, ranked effect.
    ranked = res.ranking[res.ranking["outcome"] == "trust"]
    assert list(ranked["parameter"]) == ["order_base", "grid_detect_prob"]
    assert ranked["mu"].iloc[0] > 0 and ranked["mu_star"].is_monotonic_decreasing
    again = morris(
        ["order_base", "grid_detect_prob"], out=tmp_path, trajectories=2, days=20, outcomes=["trust"],
        executor=Executor("sequential"),
    )  # fmt: skip
    assert len(again.result.cached) == len(again.result.specs)  # nothing recomputed
    assert again.ranking.equals(res.ranking)
