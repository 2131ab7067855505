"""Paired comparison of scenarios against a reference, with bootstrap intervals.

Replication ``i`` of every scenario shares its seed with replication ``i`` of
the reference (common random numbers), so each outcome is compared as the
per-replication difference *scenario − reference*; its mean gets a seeded
percentile-bootstrap interval (2,000 resamples, 95 % by default). With few
replications the interval is rough — it says how much the paired differences
vary, not more. The cost side sets money and volunteer hours against the
extra residents served.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from .. import metrics
from ..window import Metric
from .matrix import MatrixResult

UNITS = {m.name: m.unit for m in metrics.METRICS}
HEADLINE: tuple[Metric, ...] = metrics.headline()
"""The headline outcomes, in rank order, as the outcome registry (:mod:`sim.metrics`) declares them."""
EQUITY_OUTCOMES = ("unmet_need_rate", "response_days_median", "satisfaction_true", "trust")
N_BOOT = 2000
LEVEL = 0.95
BOOT_SEED = 20250


def outcome(name: str) -> Metric:
    """The registry's entry for ``name`` (``name.group`` reads its metric, labelled with the group);
    a plain entry, with no better side, for a column the registry does not declare."""
    base, _, group = name.partition(".")
    for m in metrics.METRICS:
        if m.name == base:
            return replace(m, name=name, label=f"{m.label} ({group})") if group else m
    return Metric(name, "", "", lambda w, g: float("nan"), label=name.replace("_", " ").capitalize())


def outcome_names(table: pd.DataFrame) -> list[str]:
    """Every outcome in a summaries table: headline ones first, then every other metric."""
    names = [o.name for o in HEADLINE] + [m.name for m in metrics.METRICS]
    return [n for n in dict.fromkeys(names) if n in table]


def summaries(result: MatrixResult) -> pd.DataFrame:
    """One row per finished run: scenario, rep, seed and every summary outcome."""
    rows = []
    for spec in result.done:
        row = result.store.load(spec, "summary").iloc[0].to_dict()
        rows.append({"scenario": spec.scenario.name, "rep": spec.rep, **row})
    return pd.DataFrame(rows)


def bootstrap_ci(
    diffs: np.ndarray,
    rng: np.random.Generator,
    n_boot: int = N_BOOT,
    level: float = LEVEL,
    method: str = "percentile",
) -> tuple[float, float]:
    """Bootstrap interval of the mean of the paired differences ``diffs`` (NaN when empty),
    by ``scipy.stats.bootstrap`` (``method``: ``percentile``, or ``BCa``, ``basic``).

    Resampling the differences is the paired bootstrap: replication i's reference and
    scenario values are drawn together. The percentile method gives the same interval, to
    the last bits, as the hand-written bootstrap it replaced (``tests/test_experiments_compare.py``);
    BCa needs more replications than a comparison usually has to be stable.
    """
    d = np.asarray(diffs, float)
    if len(d) == 0:
        return float("nan"), float("nan")
    if len(d) == 1 or np.ptp(d) == 0:  # every resample has the same mean
        return float(d[0]), float(d[0])
    import scipy.stats  # here, and only when needed: a slow import every process would pay

    res = scipy.stats.bootstrap(
        (d,), np.mean, n_resamples=n_boot, confidence_level=level, method=method, rng=rng, vectorized=True
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def _rng(seed: int, *labels: str) -> np.random.Generator:
    """A generator per table cell, so a cell's interval does not depend on the others."""
    key = zlib.crc32("|".join(labels).encode())
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(key,)))


def _paired(table: pd.DataFrame, reference: str, scenario: str, column: str) -> pd.DataFrame:
    ref = table.loc[table.scenario == reference, ["rep", column]]
    scn = table.loc[table.scenario == scenario, ["rep", column]]
    both = ref.merge(scn, on="rep", suffixes=("_ref", "_scn")).dropna()
    return both.rename(columns={f"{column}_ref": "ref", f"{column}_scn": "scn"})


def _pairs(table: pd.DataFrame, reference: str, scenario: str, columns: list[str]) -> dict:
    """``{column: (reference values, scenario values)}`` of the replications both have and
    neither left empty, in the reference's order: what :func:`_paired` gives column by column,
    from one merge."""
    ref = table.loc[table.scenario == reference, ["rep", *columns]]
    scn = table.loc[table.scenario == scenario, ["rep", *columns]]
    both = ref.merge(scn, on="rep", suffixes=("_ref", "_scn"))
    out = {}
    for column in columns:
        r, s = both[f"{column}_ref"], both[f"{column}_scn"]
        keep = (r.notna() & s.notna()).to_numpy()
        out[column] = (r.to_numpy()[keep], s.to_numpy()[keep])
    return out


def percentile_intervals(
    samples: Sequence[np.ndarray],
    rngs: Sequence[np.random.Generator],
    n_boot: int = N_BOOT,
    level: float = LEVEL,
) -> list[tuple[float, float]]:
    """:func:`bootstrap_ci` (percentile method) of many samples at once, to the last bit.

    Each sample draws its own resample indices from its own generator, exactly as
    ``scipy.stats.bootstrap`` does (``rng.integers(0, n, (n_boot, n))``); the resample means of
    all samples of one length are taken in one gather over a 3-D index array, and the
    interval is the ``linear`` quantile ``scipy.stats.quantile`` computes, written out
    (sorted means, Hyndman-Fan type 7). A sample that is not all finite goes through
    :func:`bootstrap_ci` itself.
    """
    out: list[tuple[float, float] | None] = [None] * len(samples)
    by_n: dict[int, list[int]] = {}
    for i, (d, rng) in enumerate(zip(samples, rngs, strict=True)):
        d = np.asarray(d, float)
        if len(d) == 0 or len(d) == 1 or np.ptp(d) == 0 or not np.isfinite(d).all():
            out[i] = bootstrap_ci(d, rng, n_boot, level)
        else:
            by_n.setdefault(len(d), []).append(i)
    alpha = np.asarray((1 - level) / 2, dtype=np.float64)
    p = np.stack((alpha, 1 - alpha))
    m = 1 - p  # Hyndman-Fan's m of the linear method
    jg = p * np.float64(n_boot) + m
    jp1 = jg // 1
    j = jp1 - 1
    g = jg % 1
    g = np.where(j < 0, 0.0, g)
    j = np.clip(j, 0.0, n_boot - 1).astype(np.int64)
    jp1 = np.clip(jp1, 0.0, n_boot - 1).astype(np.int64)
    for n, cells in by_n.items():
        data = np.stack([np.asarray(samples[i], float) for i in cells])
        idx = np.stack([rngs[i].integers(0, n, (n_boot, n), dtype="int64") for i in cells])
        means = np.sort(np.mean(data[np.arange(len(cells))[:, None, None], idx], axis=-1), axis=-1)
        ci = (1 - g) * means[:, j] + g * means[:, jp1]
        for row, i in enumerate(cells):
            out[i] = (float(ci[row, 0]), float(ci[row, 1]))
    return out  # type: ignore[return-value]


def paired_differences(
    table: pd.DataFrame,
    reference: str,
    outcomes: Sequence[str] | None = None,
    groups: Sequence[str] = metrics.GROUPS,
    *,
    n_boot: int = N_BOOT,
    level: float = LEVEL,
    seed: int = BOOT_SEED,
) -> pd.DataFrame:
    """Per scenario, outcome and group: means, paired difference and its bootstrap interval.

    Args:
        table: :func:`summaries` output.
        reference: the scenario every other one is compared with.
        outcomes: outcome names (default: :data:`HEADLINE`).
        groups: groups of residents (``all`` and those of :data:`sim.metrics.GROUPS`).
        n_boot: bootstrap resamples.
        level: interval coverage.
        seed: bootstrap seed.

    Returns:
        Columns scenario, outcome, group, column, unit, n, reference_mean,
        scenario_mean, diff, ci_low, ci_high, excludes_zero, smallest_difference
        (:meth:`~sim.window.Metric.smallest_difference`), verdict (:func:`verdict`).

    Every cell's interval is :func:`bootstrap_ci` of its paired differences with the cell's
    own generator; they are computed together (:func:`percentile_intervals`).
    """
    names = list(outcomes or [o.name for o in HEADLINE])
    cells = []  # (scenario, name, group, column, reference values, scenario values)
    for scenario in [s for s in table.scenario.unique() if s != reference]:
        wanted = [
            (name, group, name if group == "all" else f"{name}.{group}") for name in names for group in groups
        ]
        wanted = [w for w in wanted if w[2] in table]
        pairs = _pairs(table, reference, scenario, list(dict.fromkeys(c for _, _, c in wanted)))
        cells += [(scenario, name, group, column, *pairs[column]) for name, group, column in wanted]
    diffs = [scn - ref for *_, ref, scn in cells]
    rngs = [_rng(seed, scenario, column) for scenario, _, _, column, _, _ in cells]
    intervals = percentile_intervals(diffs, rngs, n_boot, level)
    rows = []
    for (scenario, name, group, column, ref, scn), d, (lo, hi) in zip(cells, diffs, intervals, strict=True):
        metric = outcome(name)
        ref_level = ref.mean() if len(d) else np.nan
        smallest = metric.smallest_difference(ref_level)
        diff = d.mean() if len(d) else np.nan
        rows.append(
            {
                "scenario": scenario,
                "outcome": name,
                "group": group,
                "column": column,
                "unit": UNITS.get(name, ""),
                "n": len(d),
                "reference_mean": ref_level,
                "scenario_mean": scn.mean() if len(d) else np.nan,
                "diff": diff,
                "ci_low": lo,
                "ci_high": hi,
                "excludes_zero": bool(len(d) and (lo > 0 or hi < 0)),
                "smallest_difference": smallest,
                "verdict": verdict(diff, lo, hi, metric, smallest),
            }
        )
    return pd.DataFrame(rows)


VERDICTS = ("better", "worse", "none", "input")


def verdict(diff: float, lo: float, hi: float, metric: Metric, smallest: float | None = None) -> str:
    """``better`` or ``worse`` when the interval is clear of zero and the difference is at least the
    metric's smallest difference that matters; ``none`` (no practical difference) otherwise;
    ``input`` for a metric with no better side (hours, cost)."""
    if metric.better is None:
        return "input"
    smallest = metric.mid if smallest is None else smallest
    if diff != diff or not (lo > 0 or hi < 0) or abs(diff) < smallest:
        return "none"
    return "better" if (diff > 0) == (metric.better == "higher") else "worse"


def cost_table(
    table: pd.DataFrame, reference: str, *, n_boot: int = N_BOOT, level: float = LEVEL, seed: int = BOOT_SEED
) -> pd.DataFrame:
    """Money and volunteer time against extra residents served, per scenario.

    ``yuan_per_extra_resident`` is mean extra cost / mean extra residents served
    (NaN when a scenario serves no more residents); its interval resamples
    replications jointly for numerator and denominator.
    """
    rows = []
    for scenario in [s for s in table.scenario.unique() if s != reference]:
        cols = ["cost_yuan", "volunteer_hours", "unit_hours", "served", "residents_served"]
        ref = table.loc[table.scenario == reference, ["rep", *cols]].set_index("rep")
        scn = table.loc[table.scenario == scenario, ["rep", *cols]].set_index("rep")
        d = (scn - ref).dropna()
        row: dict = {"scenario": scenario, "n": len(d)}
        for c in cols:
            row[f"extra_{c}"] = d[c].mean() if len(d) else np.nan
        for per, num in (
            ("yuan_per_extra_resident", "cost_yuan"),
            ("hours_per_extra_resident", "volunteer_hours"),
        ):
            row[per], row[f"{per}_low"], row[f"{per}_high"] = _ratio(
                d[num].to_numpy(), d["residents_served"].to_numpy(), _rng(seed, scenario, per), n_boot, level
            )
        rows.append(row)
    return pd.DataFrame(rows)


def _ratio(num: np.ndarray, den: np.ndarray, rng, n_boot: int, level: float) -> tuple[float, float, float]:
    """Ratio of means with a percentile interval resampling replications jointly.

    Kept by hand rather than ``scipy.stats.bootstrap``: the ratio is undefined in resamples
    whose extra residents served is not above zero, and the rule here is to call the interval
    undefined when more than (1 - level) / 2 of the resamples are, else to take the quantiles
    of the defined ones; scipy's bootstrap has no such rule (an undefined statistic makes its
    interval NaN). Where every resample is defined both give the same interval (tested).
    """
    if len(den) == 0 or den.mean() <= 0:
        return float("nan"), float("nan"), float("nan")
    idx = rng.integers(0, len(den), size=(n_boot, len(den)))
    dn = den[idx].mean(axis=1)
    ratios = np.where(dn > 0, num[idx].mean(axis=1) / np.where(dn > 0, dn, 1), np.nan)
    alpha = (1 - level) / 2
    if np.isnan(ratios).mean() > alpha:  # the extra served is not clearly above zero
        return float(num.mean() / den.mean()), float("nan"), float("nan")
    lo, hi = np.nanquantile(ratios, [alpha, 1 - alpha])
    return float(num.mean() / den.mean()), float(lo), float(hi)
