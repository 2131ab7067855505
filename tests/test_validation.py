"""sim.validation: the verdicts, the values each lever runs at and the --quick document."""

from __future__ import annotations

import dataclasses
import math
import re

import pytest

from sim import validation as v
from sim.params import Params
from sim.policies import AddCanteen, ParamChange, VolunteerDrive

HEADINGS = (
    "## 1. Stationarity of the baseline",
    "## 2. Patterns after spin-up",
    "## 3. Capacity utilisation and response times",
    "## 4. Levers (dose-response)",
    "## 5. What the model leaves out",
)


def test_verdict_on_fixed_inputs():
    sd = [0.1] * 5
    assert v.verdict([1, 2, 3, 4, 5], sd) == "graded"
    assert v.verdict([5, 4, 3, 2, 1], sd) == "graded"
    assert v.verdict([1, 1.05, 0.98, 1.02, 1.0], sd) == "flat"
    assert v.verdict([1, 3, 5, 3, 1], sd) == "non-monotone"
    # A dip smaller than one sd against an upward trend is within noise ...
    assert v.verdict([1, 2, 1.95, 3, 4], sd) == "graded"
    # ... a larger one is not.
    assert v.verdict([1, 2, 1.5, 3, 4], sd) == "non-monotone"
    # Moves, but the first and last values are within noise of each other: a hump.
    assert v.verdict([1, 1.5, 1.1], [0.1] * 3) == "non-monotone"
    # NaN values are skipped; an exact outcome (sd 0) is graded by any monotone move.
    assert v.verdict([math.nan, 1, 2, 3], [math.nan, 0.1, 0.1, 0.1]) == "graded"
    assert v.verdict([0, 8, 8], [0, 0, 0]) == "graded"
    assert v.verdict([3, 3], [0, 0]) == "flat"
    assert v.verdict([math.nan, 1], [0, 0]) == "undefined"


def test_step_noise_separates_a_small_effect_from_the_spread_of_seeds():
    # Three seeds far apart; each step adds about 0.1 on every seed.
    per_value = [[1.0, 2.0, 3.0], [1.1, 2.1, 3.12], [1.2, 2.21, 3.2]]
    sds = v.step_sds(per_value)
    assert math.isnan(sds[0])
    assert sds[1] == pytest.approx(0.011547, rel=1e-3) and sds[2] == pytest.approx(0.015275, rel=1e-3)
    means = [sum(x) / 3 for x in per_value]
    assert v.verdict(means, sds) == "graded"
    # The seeds' own sd (1.0) would have called the same effect flat.
    assert v.verdict(means, [1.0, 1.0, 1.0]) == "flat"
    # A NaN on one seed drops that step; a value with no finite neighbour leaves no estimate.
    assert v.step_sds([[1.0, math.nan, 3.0], [2.0, 2.0, 4.5]])[1] == pytest.approx(math.sqrt(0.125))
    assert all(math.isnan(x) for x in v.step_sds([[math.nan] * 2, [1.0, 2.0]]))


def test_stationarity_on_fixed_inputs():
    change, ratio, ok = v.stationarity([1.0, 1.05, 1.02], [0.1, 0.1, 0.1])
    assert change == pytest.approx(0.05) and ratio == pytest.approx(0.5) and ok
    change, ratio, ok = v.stationarity([1.0, 1.3, 1.6], [0.1, 0.1, 0.1])
    assert ratio == pytest.approx(3.0) and not ok
    assert not v.stationarity([1.0, 1.1], [math.nan, math.nan])[2]  # one seed: unknown
    assert v.stationarity([2.0, 2.0], [0.0, 0.0])[1:] == (0.0, True)


def test_numeric_values_include_the_default_and_stay_in_range():
    assert v.numeric_values(0.1, 0, 1, 5, False) == [0.0, 0.05, 0.1, 0.15, 0.2]
    assert v.numeric_values(0.5, 0, 1, 5, False) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert v.numeric_values(12, 0, 200, 5, True) == [0, 6, 12, 18, 24]
    assert v.numeric_values(1, 0, 50, 5, True) == [0, 1, 2, 3, 4]
    assert v.numeric_values(4, 0, 12, 5, True) == [0, 2, 4, 6, 8]
    assert v.numeric_values(1, 0, 5, 2, True) == [0, 1]
    fields = {f.name: f for f in dataclasses.fields(Params)}
    assert v.field_values(fields["dispatch_rule"], 5) == ["closed_loop", "ad_hoc", "none"]
    assert v.field_values(fields["job_platform"], 5) == [0, 1]
    for f in v.lever_fields():
        values = v.field_values(f, 5)
        assert f.default in values and len(values) >= 2, f.name
        for value in values:
            Params().replace(**{f.name: value})  # every value is valid


def test_scenario_levers_vary_the_policy_size_from_none():
    canteen = v.scenario_lever("extra_canteen", 5)
    assert canteen.runs[0].policies == ()
    counts = [r.policies[0].count for r in canteen.runs[1:]]
    assert counts == [1, 2, 3, 4] and all(isinstance(r.policies[0], AddCanteen) for r in canteen.runs[1:])
    drive = v.scenario_lever("volunteer_drive", 5)
    assert drive.runs[0].policies == ()
    middle = {type(p): p for p in drive.runs[2].policies}
    assert middle[VolunteerDrive].recruits == pytest.approx(0.05)
    assert middle[ParamChange].changes == {"recognition": 0.8}
    loop = v.scenario_lever("no_closed_loop", 5)
    assert [dict(r.changes).get("dispatch_rule", "closed_loop") for r in loop.runs] == [
        "closed_loop",
        "ad_hoc",
        "none",
    ]
    assert v.scenario_lever("baseline", 5) is None
    ageing = v.scenario_lever("ageing_shock", 5)
    for run in ageing.runs:
        Params().replace(**dict(run.changes))  # the household mix still sums to 1


def _tables(text: str) -> list[list[list[str]]]:
    """Every Markdown table as rows of cells (header and separator dropped)."""
    tables, rows = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            rows.append([c.strip() for c in line.strip("|").split("|")])
        elif rows:
            tables.append([r for r in rows[2:]])
            rows = []
    return tables


def _floats(cell: str) -> list[float]:
    return [float(part.replace(",", "")) for part in cell.split("±")]


@pytest.mark.slow
def test_quick_document(tmp_path):
    out = tmp_path / "validation.md"
    assert v.main(["--quick", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    positions = [text.index(h) for h in HEADINGS]
    assert positions == sorted(positions)
    assert "python -m sim.validation --quick" in text and "wall time" in text
    levers = [f.name for f in v.lever_fields(quick=True)]
    scenarios = [s for s in v.scenario_names() if s != "baseline"]
    summary = text[text.index(HEADINGS[3]) :]
    for name in levers + scenarios:
        assert re.search(rf"^\| {name} \| (parameter|scenario) \|", summary, re.M), name
        assert f"### {name} (" in summary, name
    verdicts = r"^\| \w+ \| (?:parameter|scenario) \| \w+ \| (?:graded|flat|non-monotone|undefined) \|"
    assert len(re.findall(verdicts, summary, re.M)) == len(levers) + len(scenarios)
    sections = {h: text[text.index(h) :] for h in HEADINGS}
    # Stationarity: every cell but the outcome and the yes/no is a number.
    for row in _tables(sections[HEADINGS[0]])[0]:
        for cell in row[1:-1]:
            _floats(cell)
    # Patterns: the mean.
    for row in _tables(sections[HEADINGS[1]])[0]:
        _floats(row[3])
    # Capacity and response times: every cell after the first.
    cap = sections[HEADINGS[2]][: sections[HEADINGS[2]].index(HEADINGS[3])]
    for table in _tables(cap):
        for row in table:
            for cell in row[1:]:
                _floats(cell)
    # Levers: every value row of every lever table, after the value label.
    for table in _tables(sections[HEADINGS[3]])[1:]:
        for row in table:
            for cell in row[1:]:
                _floats(cell)
