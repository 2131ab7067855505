"""Invariants of the loop, checked every day of a run under each dispatch rule."""

import numpy as np
import pytest

from sim import GovModel, Params
from sim.needs import INFORMAL, OWN_MEANS, NeedState, NeedType
from sim.providers import ProviderState


def _check_day(m: GovModel) -> None:
    b, pr = m.needs, m.providers
    state = b.state
    assert np.all((state >= 0) & (state <= NeedState.LAPSED)), "every need is in exactly one state"
    served = (state == NeedState.DONE) & (b.provider >= 0)
    assert np.all(b.day_ordered[served] >= 0), "no service without an order or a found need"
    assert np.all(b.day_accepted[served] >= b.day_ordered[served])
    assert np.all(b.day_closed[served] >= b.day_accepted[served])
    done = state == NeedState.DONE
    assert np.all(np.isin(b.provider[done], [INFORMAL, OWN_MEANS]) | (b.provider[done] >= 0))
    assert np.all(b.type[done & (b.provider == OWN_MEANS)] == NeedType.MEAL), "only meals by own means"
    assert np.all(pr.hours_used <= pr.hours_month + 1e-4), "hours never exceed availability"
    dropped = pr.state == ProviderState.DROPPED
    assert np.all(pr.left_day[dropped] >= 0)
    final = np.isin(state, [NeedState.DONE, NeedState.EXPIRED, NeedState.LAPSED])
    assert np.array_equal(np.sort(b.active), np.flatnonzero(~final)), "active = not final"
    assert np.all(b.day_closed[final] >= b.day_arisen[final])
    assert np.all(b.found[b.found] & (b.day_ordered[b.found] >= 0))


@pytest.mark.slow
@pytest.mark.parametrize("rule", ["closed_loop", "ad_hoc", "none"])
def test_invariants_hold_every_day(rule):
    m = GovModel(Params().replace(dispatch_rule=rule), seed=3)
    for _ in range(75):
        m.step()
        _check_day(m)
    rated = m.needs.rating > 0
    if rule == "closed_loop":
        assert rated.any()
        assert np.all(m.needs.state[rated] == NeedState.DONE) and np.all(m.needs.provider[rated] >= 0)
    else:
        assert not rated.any(), "only the closed loop collects evaluations"


@pytest.mark.slow
def test_counts_add_up(year_model):

    s = year_model.summary()  # the measured year, after the spin-up
    b, day0 = year_model.needs, year_model.day0
    open_now = np.isin(b.state, [NeedState.HIDDEN, NeedState.OPEN, NeedState.ACCEPTED]).sum()
    # Needs open when the measured window began, plus those arisen in it, are closed in it or open now.
    open_at_start = ((b.day_arisen < day0) & ((b.day_closed >= day0) | (b.day_closed < 0))).sum()
    closed = s["served"] + s["served_informally"] + s["met_by_own_means"] + s["expired"] + s["lapsed"]
    assert s["needs_arisen"] == (b.day_arisen >= day0).sum()
    assert open_at_start + s["needs_arisen"] == closed + open_now
    assert open_at_start > 0, "the measured window starts with needs in flight, not from empty"
    # The funnel within the window, with what entered each stage before it began.
    before = {
        col: ((getattr(b, col) >= 0) & (getattr(b, col) < day0)).sum()
        for col in ("day_accepted", "day_dispatched", "day_ordered")
    }
    assert s["served"] <= s["accepted"] + before["day_accepted"]
    assert s["accepted"] <= s["dispatched"] + before["day_dispatched"]
    assert s["dispatched"] <= s["orders"] + s["found_by_grid"] + before["day_ordered"]
    assert s["rated"] == s["served"]  # closed loop: every service is rated
    for g in ("elderly_alone", "migrant_children", "job_seekers"):
        assert s[f"needs_arisen.{g}"] <= s["needs_arisen"]
    daily = year_model.datacollector.get_model_vars_dataframe()
    assert daily["needs_arisen_day"].sum() == s["needs_arisen"]
    assert daily["served_day"].sum() == s["served"]
    assert daily["expired_day"].sum() == s["expired"]
