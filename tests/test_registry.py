"""The outcome registry: every outcome declared once; the tables that use outcomes select from it."""

from __future__ import annotations

import numpy as np

from sim import metrics
from sim.experiments import stats
from sim.experiments.sweep import SWEEP_OUTCOMES
from sim.needs import UNMET, NeedState, is_unmet
from sim.window import DIRECTIONS


def test_every_outcome_is_declared_once_with_label_unit_and_direction():
    names = [m.name for m in metrics.METRICS]
    assert len(names) == len(set(names))
    for m in metrics.METRICS:
        assert m.label and m.unit and m.definition, m.name
        assert m.direction in DIRECTIONS, m.name


def test_headline_sweep_and_run_tables_are_selections_of_the_registry():
    ranks = [m.headline for m in metrics.METRICS if m.headline]
    assert sorted(ranks) == list(range(1, len(ranks) + 1)), "headline ranks are 1..n, each once"
    ranked = sorted((m for m in metrics.METRICS if m.headline), key=lambda m: m.headline)
    assert [o.name for o in stats.HEADLINE] == [m.name for m in ranked]
    for o in stats.HEADLINE:
        assert stats.outcome(o.name).better == (None if o.direction == "none" else o.direction)
        assert stats.UNITS[o.name] == o.unit
    assert set(SWEEP_OUTCOMES) == {m.name for m in metrics.METRICS if m.sweep}
    grouped = stats.outcome("unmet_need_rate.elderly_alone")
    assert grouped.better == "lower" and "elderly_alone" in grouped.label


def test_unmet_has_one_definition():
    states = np.array([s.value for s in NeedState], np.int8)
    assert list(states[is_unmet(states)]) == [s.value for s in UNMET]
