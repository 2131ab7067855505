"""`make bench` works: the benchmark script runs, prints its table and writes its JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # make check skips this module

BENCH = Path(__file__).parent.parent / "benchmarks" / "bench.py"


def test_quick_benchmark_writes_medians_and_ratios(tmp_path):
    out = tmp_path / "bench.json"
    args = [sys.executable, str(BENCH), "--quick", "--days", "3", "--reps", "3", "--out", str(out)]
    printed = subprocess.run(args, capture_output=True, text=True, check=True, timeout=300).stdout
    assert "community-year" in printed and "machine:" in printed
    result = json.loads(out.read_text())
    assert result["machine"]["cores"] >= 1
    (model,) = result["models"]
    assert model["name"] == "community-year" and model["reps"] == 3 and model["days"] == 3
    assert model["run_s_median"] > 0 and model["peak_rss_mib_median"] > 50
    assert 0 < model["bytes_per_resident_median"] < model["peak_rss_mib_median"] * 2**20 / model["residents"]
    rate = model["residents"] * 3 / model["run_s_median"]
    assert abs(model["resident_days_per_s"] - rate) <= 1e-6 * rate
    ratio = model["resident_days_per_s"] / model["noop_mesa_agent_steps_per_s"]
    assert abs(model["ratio_to_noop_mesa"] - ratio) <= 1e-9 * ratio
