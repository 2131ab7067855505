"""Fixed-seed regression baseline: what the model produces, to catch unintended change.

Regenerate after an intended change (and say why in the commit):

    .venv/bin/python tests/baseline.py

tests/test_baseline.py compares a fresh run with tests/data/baseline.json.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from sim import Params, run

PATH = Path(__file__).with_name("data") / "baseline.json"
CASES = {
    "community_seed1_120d": (Params(), 1, 120),
    "three_communities_none_seed2_60d": (Params().replace(communities=3, dispatch_rule="none"), 2, 60),
    "three_communities_shared_units_seed4_60d": (Params().replace(communities=3, first_community=40), 4, 60),
}


def compute() -> dict[str, dict[str, float | None]]:
    out = {}
    for name, (params, seed, days) in CASES.items():
        summary = run(params, seed=seed, days=days).summary
        out[name] = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in summary.items()}
    return out


if __name__ == "__main__":
    PATH.write_text(json.dumps(compute(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {PATH}")
