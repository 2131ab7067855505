"""Policies move outcomes the way the mechanisms say, on paired seeds."""

import numpy as np
import pytest

from sim import Params, run

SEEDS = (21, 22, 23)
DAYS = 240


def _paired(key: str, base: Params, other: Params) -> np.ndarray:
    """other - base for ``key`` on each paired seed."""
    return np.array(
        [
            run(other, seed=s, days=DAYS).summary[key] - run(base, seed=s, days=DAYS).summary[key]
            for s in SEEDS
        ]
    )


@pytest.fixture(scope="module")
def base():
    return Params()


@pytest.mark.slow
def test_without_volunteers_unmet_need_rises(base):
    none = base.replace(volunteer_registration=0.0, recruitment_month=0.0)
    diff = _paired("unmet_need_rate", base, none)
    assert np.all(diff > 0.05), diff


@pytest.mark.slow
def test_closed_loop_lowers_unmet_need_of_elders_living_alone(base):
    diff = _paired("unmet_need_rate.elderly_alone", base.replace(dispatch_rule="none"), base)
    assert np.all(diff < -0.05), diff


@pytest.mark.slow
def test_more_grid_visits_lower_hidden_needs(base):
    more = base.replace(grid_visits_per_worker_day=12.0)
    diff = _paired("hidden_need_rate", base, more)
    assert np.all(diff < 0), diff
