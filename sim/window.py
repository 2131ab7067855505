"""What every metric is computed over: a window of days, the reporting groups and helpers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from .needs import NeedState, is_unmet, longest_open_days
from .population import Employment

if TYPE_CHECKING:
    from .model import GovModel

GROUPS = ("all", "elderly_alone", "migrant_children", "job_seekers")
GROUP_DOCS = {
    "all": "every resident",
    "elderly_alone": "aged 60+ and living alone",
    "migrant_children": "school-age (6-15) children of migrant households",
    "job_seekers": "unemployed adults looking for work",
}


def group_masks(model: GovModel) -> dict[str, np.ndarray]:
    pop = model.pop
    return {
        "all": np.ones(pop.n, bool),
        "elderly_alone": pop.lives_alone & pop.elder,
        "migrant_children": pop.school_age & pop.migrant,
        "job_seekers": pop.employment == Employment.UNEMPLOYED,
    }


class Window:
    """Needs and state seen over days ``[d0, d1]``, shared by all metrics of one report."""

    def __init__(self, model: GovModel, d0: int, d1: int) -> None:
        self.model, self.d0, self.d1 = model, d0, d1
        # needs.recent(d0 - longest_open_days): the day as the column's own integer type, so
        # searchsorted does not convert the whole column (it would for a Python int)
        arisen = model.needs.day_arisen
        start = np.searchsorted(arisen, arisen.dtype.type(d0 - longest_open_days(model.params)), side="left")
        ids = np.arange(start, model.needs.size)
        # A need closed before d0 had every event (arisen, ordered ... closed) before it too.
        closed = model.needs.day_closed[ids]
        self.ids = ids[(closed >= d0) | (closed < 0)]
        self.masks = model.group_masks
        self._memo: dict = {}

    def memo(self, key, fn: Callable[[], object]):
        """``fn()`` computed once per window: values several metrics share."""
        if key not in self._memo:
            self._memo[key] = fn()
        return self._memo[key]

    def col(self, name: str) -> np.ndarray:
        """Need-book column ``name`` for the window's candidate needs."""
        return self.memo(("col", name), lambda: getattr(self.model.needs, name)[self.ids])

    def during(self, name: str) -> np.ndarray:
        """Needs whose day column ``name`` falls in the window."""
        return self.memo(("during", name), lambda: (self.col(name) >= self.d0) & (self.col(name) <= self.d1))

    @cached_property
    def closed(self) -> np.ndarray:
        return self.during("day_closed")

    @cached_property
    def state(self) -> np.ndarray:
        return self.col("state")

    @cached_property
    def by_provider(self) -> np.ndarray:
        return self.closed & (self.state == NeedState.DONE) & (self.col("provider") >= 0)

    def in_group(self, group: str) -> np.ndarray:
        """Needs of residents in ``group``."""
        return self.memo(("group", group), lambda: self.masks[group][self.col("resident")])

    @cached_property
    def unmet(self) -> np.ndarray:
        return is_unmet(self.state)

    def network_cached(self, key: str, fn: Callable[[], float]) -> float:
        """A value that depends only on the ties, recomputed when the network changes."""
        cache = self.model.network_metric_cache
        version = (self.model.net.version, self.model.group_version)
        if cache.get("version") != version:
            cache.clear()
            cache["version"] = version
        if key not in cache:
            cache[key] = fn()
        return cache[key]

    @property
    def days(self) -> int:
        return self.d1 - self.d0 + 1


DIRECTIONS = ("higher", "lower", "none")


@dataclass(frozen=True)
class Metric:
    """One outcome, declared once: ``fn(window, group) -> float`` and how to read it.

    Attributes:
        name: column name (``name.group`` for each reporting group when ``by_group``).
        unit: its unit.
        definition: what it counts, in one line.
        fn: the computation over a :class:`Window` for one group.
        by_group: also reported for each group of :data:`GROUPS`.
        label: a short label for tables, plots and briefs.
        direction: which way is better: "higher", "lower" or "none" (a cost, an input, a count).
        headline: rank in the headline table of comparisons and briefs (0: not a headline).
        run_table: shown in the table ``govsim run`` prints.
        sweep: reported by sweeps by default.
        mid: the smallest difference that matters, in the metric's unit: a paired difference
            smaller than this is "no practical difference" in comparisons and briefs.
        mid_rel: the same as a share of the reference level (the larger of the two applies),
            for counts that grow with the number of communities and days.
        mid_why: why that much matters, in one sentence.
        flow: a count or amount of events in the window (needs, hours, yuan, placements), so the
            value over a window is the sum of its days' values; the DataCollector then also
            keeps its running total (``<column>_total``).
    """

    name: str
    unit: str
    definition: str
    fn: Callable[[Window, str], float]
    by_group: bool = False
    label: str = ""
    direction: str = "none"
    headline: int = 0
    run_table: bool = False
    sweep: bool = False
    mid: float = 0.0
    mid_rel: float = 0.0
    mid_why: str = ""
    flow: bool = False

    def smallest_difference(self, reference_level: float) -> float:
        """:attr:`mid`, or :attr:`mid_rel` of ``reference_level`` when that is larger."""
        rel = self.mid_rel * abs(reference_level) if reference_level == reference_level else 0.0
        return max(self.mid, rel)

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ValueError(f"metric {self.name}: direction {self.direction!r} not in {DIRECTIONS}")
        if not self.label:
            object.__setattr__(self, "label", self.name.replace("_", " ").capitalize())

    @property
    def better(self) -> str | None:
        """``direction`` as the comparison tables read it (None: no better side)."""
        return None if self.direction == "none" else self.direction

    @property
    def fmt(self) -> str:
        """How to print a value: shares as percentages, others with two decimals."""
        return "{:.1%}" if self.unit == "share" else "{:,.2f}"


def count(mask) -> float:
    return float(np.count_nonzero(mask))


def share(num, den) -> float:
    den = np.count_nonzero(den)
    return float(np.count_nonzero(num) / den) if den else float("nan")


def quantile(values, q) -> float:
    """Linear-interpolated quantile (numpy's default), cheap on the small arrays of a day."""
    return quantiles(values, (q,))[0]


def quantiles(values, qs) -> list[float]:
    """:func:`quantile` for each of ``qs``, sorting ``values`` once."""
    n = len(values)
    if n == 0:
        return [float("nan")] * len(qs)
    v = np.sort(values)
    out = []
    for q in qs:
        pos = q * (n - 1)
        lo = int(pos)
        hi = min(lo + 1, n - 1)
        out.append(float(v[lo] + (v[hi] - v[lo]) * (pos - lo)))
    return out


def window_mean(w: Window, g: str, col: str) -> float:
    """Mean over the window's days of the daily group mean of ``col`` (trust or satisfaction),
    as recorded at the end of each day; the current mean where no day is recorded yet."""
    k = ("trust", "satisfaction").index(col)
    days = w.model.daily_means[max(w.d0, 0) : w.d1 + 1, GROUPS.index(g), k]
    days = days[~np.isnan(days)]
    return float(days.mean()) if len(days) else pop_mean(w, g, col)


def pop_mean(w: Window, g: str, col: str) -> float:
    """Mean of population column ``col`` over group ``g``."""
    return mean_over(w, getattr(w.model.pop, col), g)


def mean_over(w: Window, values: np.ndarray, g: str) -> float:
    """Mean of a per-resident array over group ``g``."""
    if g == "all":
        return float(values.mean())
    idx = w.model.group_index[g]
    return float(values[idx].mean()) if len(idx) else float("nan")


def gini(x: np.ndarray) -> float:
    x = np.sort(np.asarray(x, float))
    if len(x) == 0 or x.sum() == 0:
        return 0.0
    cum = np.cumsum(x)
    return float((len(x) + 1 - 2 * (cum / cum[-1]).sum()) / len(x))
