"""Run one (parameters, seed) pair and write its outputs atomically."""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from . import metrics
from .errors import InputError
from .model import GovModel
from .params import Params
from .policies import Policy


@dataclass
class RunResult:
    """What one run produced.

    Attributes:
        daily: tidy daily series with columns ``day, metric, group, value``.
        summary: whole-run outcomes, ``{name or name.group: value}``.
        params: the parameters used.
        seed: the run seed.
        days: days simulated.
        residents: residents simulated.
    """

    daily: pd.DataFrame
    summary: dict[str, float]
    params: Params
    seed: int
    days: int
    residents: int


def run(
    params: Params | None = None,
    seed: int = 0,
    days: int = 365,
    progress: Callable[[int], None] | None = None,
    policies: Sequence[Policy] = (),
) -> RunResult:
    """Build a model, run it for ``days`` and collect its outcomes.

    Args:
        params: parameters (defaults when None).
        seed: run seed; the same seed gives the same result in any process.
        days: number of days, at least 1.
        progress: called with the day number after each day.
        policies: interventions applied during the run.
    """
    if not isinstance(days, int) or days < 1:
        raise InputError(f"days = {days!r}: expected an integer >= 1")
    if not isinstance(seed, int) or seed < 0:
        raise InputError(f"seed = {seed!r}: expected an integer >= 0")
    params = params or Params()
    model = GovModel(params, seed, policies=policies)
    model.run(days, progress)
    return RunResult(
        daily=tidy(model),
        summary=metrics.report(model, 0, model.day),
        params=params,
        seed=seed,
        days=days,
        residents=model.pop.n,
    )


def tidy(model: GovModel) -> pd.DataFrame:
    """The DataCollector's wide table as ``day, metric, group, value`` rows."""
    wide = model.datacollector.get_model_vars_dataframe()
    wide.index = pd.RangeIndex(len(wide), name="day")
    long = wide.reset_index().melt(id_vars="day", var_name="column", value_name="value")
    split = long["column"].str.split(".", n=1, expand=True)
    long["metric"] = split[0]
    long["group"] = split[1].fillna("all") if split.shape[1] > 1 else "all"
    return long[["day", "metric", "group", "value"]].astype({"value": "float64"})


def _json_safe(d: dict) -> dict:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in d.items()}


def check_writable(path: Path, flag: str = "--out") -> None:
    """Refuse (one line) an output folder that cannot be created or written, before any work.

    Nothing is left behind: the probe is a temporary folder in the nearest existing ancestor.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{flag} {path}: exists and is not a folder")
    probe_in = path
    while not probe_in.exists():
        probe_in = probe_in.parent
    if not probe_in.is_dir():
        raise InputError(f"{flag} {path}: {probe_in} is a file, so the folder cannot be created")
    try:
        os.rmdir(tempfile.mkdtemp(dir=probe_in, prefix=".govsim-probe-"))
    except OSError as err:
        raise InputError(f"{flag} {path}: cannot write in {probe_in} ({err.strerror})") from None


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` then move ``tmp`` onto ``path``, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_outputs(result: RunResult, out: Path, fmt: str = "csv") -> list[Path]:
    """Write ``daily.csv``/``daily.parquet``, ``summary.json`` and ``run.json`` under ``out``."""
    if fmt not in ("csv", "parquet"):
        raise InputError(f"--format {fmt!r}: expected csv or parquet")
    out = Path(out)
    daily = out / f"daily.{fmt}"
    if fmt == "csv":
        atomic_write(daily, lambda p: result.daily.to_csv(p, index=False, float_format="%.10g"))
    else:
        atomic_write(daily, lambda p: result.daily.to_parquet(p, index=False))
    summary = out / "summary.json"
    atomic_write(summary, lambda p: p.write_text(json.dumps(_json_safe(result.summary), indent=1) + "\n"))
    meta = {
        "seed": result.seed,
        "days": result.days,
        "residents": result.residents,
        "params": asdict(result.params),
    }
    run_json = out / "run.json"
    atomic_write(run_json, lambda p: p.write_text(json.dumps(meta, indent=1) + "\n"))
    return [daily, summary, run_json]
