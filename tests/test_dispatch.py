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


def _tight_day(seed: int):
    """A random day where capacity binds: few providers with little time left, many orders."""
    from types import SimpleNamespace

    from sim import Params, loop
    from sim.needs import NeedType
    from sim.providers import ProviderTable

    rng = np.random.default_rng(seed)
    n_prov, n_orders, n_res = 25, 80, 200
    pr = SimpleNamespace(
        n=n_prov,
        kind=rng.integers(0, 4, n_prov).astype(np.int8),
        hours_month=rng.uniform(0, 8, n_prov).astype(ProviderTable.COLUMNS["hours_month"]),
        notified_month=rng.integers(0, 5, n_prov).astype(ProviderTable.COLUMNS["notified_month"]),
        declines_month=rng.integers(0, 3, n_prov).astype(ProviderTable.COLUMNS["declines_month"]),
        motivation=rng.uniform(0, 1, n_prov).astype(ProviderTable.COLUMNS["motivation"]),
    )
    pr.hours_used = (pr.hours_month * rng.uniform(0, 1, n_prov)).astype(ProviderTable.COLUMNS["hours_used"])
    model = SimpleNamespace(params=Params(), providers=pr, meal_km=rng.uniform(0, 3, n_res))
    pair_o = np.repeat(np.arange(n_orders), rng.integers(1, 9, n_orders))
    pair_p = np.concatenate([rng.choice(n_prov, (pair_o == o).sum(), replace=False) for o in range(n_orders)])
    kind = rng.integers(0, len(NeedType), n_orders)
    pair_h = rng.choice([0.5, 1.0, 2.0, 3.0], n_orders)[pair_o]
    accept = loop._Acceptance(
        model, pair_p, rng.integers(0, n_res, n_orders)[pair_o], kind[pair_o], rng.uniform(0, 4, len(pair_o))
    )
    args = (pair_o, pair_p, pair_h, rng.uniform(0, 1, len(pair_o)), accept, np.array([2.0, 3.0, 4.0, 4.0]))
    return model, n_orders, args


@pytest.mark.parametrize("seed", range(20))
def test_the_loop_and_the_numpy_rounds_agree_on_days_where_capacity_binds(seed):
    """Bit for bit, on random days where providers fill up mid-day (orders move on), decline and
    are asked again: the same acceptances, counts and float32 hours."""
    import copy

    from sim import loop

    model, n_orders, args = _tight_day(seed)
    declines_before = model.providers.declines_month.copy()
    twin = copy.deepcopy(model)  # the same day for the loop; its acceptance reads the twin's counts
    twin_accept = copy.copy(args[4])
    twin_accept.model = twin
    o1, p1 = loop._rounds_scalar(twin, *args[:4], twin_accept, args[5])
    o2, p2 = loop._rounds_numpy(model, n_orders, *args)
    assert sorted(zip(o1.tolist(), p1.tolist(), strict=True)) == sorted(
        zip(o2.tolist(), p2.tolist(), strict=True)
    )
    for name in ("hours_used", "notified_month", "declines_month"):
        a, b = getattr(twin.providers, name), getattr(model.providers, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), name
    # the day was tight: some orders with candidates found nobody, and someone declined
    assert 0 < len(o1) < n_orders
    assert (model.providers.declines_month > declines_before).any()
