"""Needs: their types, their states in the closed loop, and the columnar need book.

A need arises for a resident, is ordered (点单) or stays hidden, is dispatched
and accepted (派单, 接单), is served and evaluated (评单) — or it expires
unserved, or lapses unreported. Every need is in exactly one
:class:`NeedState`; the book keeps one row per need for the whole run.
"""

from __future__ import annotations

import enum

import numpy as np

from .params import Params
from .population import ADULT_AGE, Population


class NeedType(enum.IntEnum):
    """What the resident needs."""

    REPAIR = 0  # home repair / home help (plumbing, electrics, housekeeping)
    CARE = 1  # a care visit
    MEAL = 2  # meal delivery
    TUTORING = 3  # after-school tutoring
    DISPUTE = 4  # a dispute needing mediation


class NeedState(enum.IntEnum):
    """Where a need is in the loop. DONE, EXPIRED and LAPSED are final."""

    HIDDEN = 0  # arisen, not reported
    OPEN = 1  # ordered by the resident or found by a grid worker, awaiting a provider
    ACCEPTED = 2  # a provider accepted; service due
    DONE = 3  # served (by a provider or informally by kin/neighbours)
    EXPIRED = 4  # ordered but never served in time
    LAPSED = 5  # never reported nor found: a hidden unmet need


UNMET = (NeedState.EXPIRED, NeedState.LAPSED)


def longest_open_days(params: Params) -> int:
    """The most days a need can stay open: hidden until it lapses, then ordered until it
    expires, then accepted until it is due, with two days' margin."""
    return params.hidden_lapse_days + params.order_wait_days + params.repair_lag_days + 2


def is_unmet(state: np.ndarray) -> np.ndarray:
    """The one definition of unmet need: expired unserved or lapsed unreported (:data:`UNMET`)."""
    return state >= NeedState.EXPIRED  # the two final states after DONE


INFORMAL = -2  # ``provider`` value of a need met by kin or neighbours
OWN_MEANS = -3  # ``provider`` value of a meal need met at the canteen or by takeaway
NO_PROVIDER = -1

_COLUMNS = {
    "type": (np.int8, 0),
    "resident": (np.int32, -1),
    "state": (np.int8, 0),
    "day_arisen": (np.int32, -1),
    "day_ordered": (np.int32, -1),
    "day_dispatched": (np.int32, -1),
    "day_accepted": (np.int32, -1),
    "day_due": (np.int32, -1),
    "day_closed": (np.int32, -1),
    "found": (np.bool_, False),
    "provider": (np.int32, NO_PROVIDER),
    "quality": (np.float32, np.nan),
    "rating": (np.int8, 0),
    "extra": (np.bool_, False),  # an excess arrival (keyed ``care_need``), not a base one (``arrival``)
    "key": (np.int64, -1),  # stable identity for keyed draws: (resident, day arisen, extra)
}


class NeedBook:
    """All needs of a run, one row each, in order of arrival.

    Columns are numpy arrays named as in ``_COLUMNS``; ``active`` holds the
    ids of needs not yet in a final state.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self.size = 0
        for name, (dtype, fill) in _COLUMNS.items():
            setattr(self, "_" + name, np.full(capacity, fill, dtype=dtype))
        self.active = np.empty(0, np.int64)

    def __getattr__(self, name: str) -> np.ndarray:
        if name in _COLUMNS:
            return self.__dict__["_" + name][: self.size]
        raise AttributeError(name)

    def append(
        self, resident: np.ndarray, uid: np.ndarray, kind: np.ndarray, day: int, extra: np.ndarray
    ) -> np.ndarray:
        """Add new HIDDEN needs of ``resident`` rows (district-wide ids ``uid``); returns their ids."""
        k = len(resident)
        self._grow(self.size + k)
        ids = np.arange(self.size, self.size + k)
        self._resident[ids] = resident
        self._type[ids] = kind
        self._day_arisen[ids] = day
        self._extra[ids] = extra
        # At most one regular and one extra need per resident per day, so this key names a
        # need the same way in every scenario and at every scale, whatever its row in the book.
        self._key[ids] = (np.asarray(uid, np.int64) << 21 | day) << 1 | self._extra[ids]
        self.size += k
        self.active = np.concatenate([self.active, ids])
        return ids

    def _grow(self, need: int) -> None:
        cap = len(self._type)
        if need <= cap:
            return
        new_cap = max(need, 2 * cap)
        for name, (dtype, fill) in _COLUMNS.items():
            old = getattr(self, "_" + name)
            arr = np.full(new_cap, fill, dtype=dtype)
            arr[:cap] = old
            setattr(self, "_" + name, arr)

    def close(self, ids: np.ndarray, state: NeedState, day: int) -> None:
        """Move ``ids`` to a final state on ``day``."""
        self._state[ids] = state
        self._day_closed[ids] = day

    def compact(self) -> None:
        """Drop needs in a final state from ``active``."""
        self.active = self.active[self._state[self.active] < NeedState.DONE]

    def recent(self, since_day: int) -> np.ndarray:
        """Ids of needs that arose on or after ``since_day`` (rows are in day order)."""
        start = np.searchsorted(self.day_arisen, since_day, side="left")
        return np.arange(start, self.size)


def need_rates(
    pop: Population,
    params: Params,
    care_level: np.ndarray | None = None,
    cooks_self: np.ndarray | None = None,
) -> np.ndarray:
    """Daily probability of each need type per resident, shape (n, len(NeedType)).

    ``care_level`` and ``cooks_self`` default to the population's current values.
    """
    care_level = pop.care_level if care_level is None else care_level
    cooks_self = pop.cooks_self if cooks_self is None else cooks_self
    rates = np.zeros((pop.n, len(NeedType)), dtype=np.float64)
    per_person = 1.0 / np.maximum(pop.hh_size[pop.household], 1)  # household needs, shared out
    rates[:, NeedType.REPAIR] = (
        params.rate_repair
        / 365.0
        * per_person
        * np.where(pop.lives_alone, params.alone_repair_multiplier, 1.0)
    )
    rates[:, NeedType.CARE] = params.rate_care * care_level
    rates[:, NeedType.MEAL] = np.where(pop.elder & ~cooks_self, params.rate_meal, 0.0)
    rates[:, NeedType.TUTORING] = np.where(
        pop.school_age,
        params.rate_tutoring * np.where(pop.migrant, params.migrant_tutoring_multiplier, 1.0),
        0.0,
    )
    rates[:, NeedType.DISPUTE] = params.rate_dispute / 365.0 * per_person * (pop.age >= ADULT_AGE)
    return rates


def draw_arrivals(cum_rates: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One uniform per resident per day decides whether a need arises and its type.

    Args:
        cum_rates: cumulative daily rates per resident, shape (n, types); the
            last column is the total (at most one need per resident per day).
        u: one uniform per resident, keyed by resident and day (``arrival``),
            so arrivals stay paired across scenarios and scales.

    Returns:
        (residents, need types) of today's new needs.
    """
    who = np.flatnonzero(u < cum_rates[:, -1])
    kind = (u[who, None] >= cum_rates[who]).sum(axis=1)
    return who, kind.astype(np.int8)
