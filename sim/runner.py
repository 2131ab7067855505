"""Run one (parameters, seed) pair and write its outputs atomically."""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import i18n, metrics, spinup
from .model import GovModel
from .needs import NeedState, is_unmet
from .params import Params, plain
from .policies import Policy
from .providers import ProviderKind, ProviderState
from .services.projects import ProjectState
from .versions import versions as environment


@dataclass
class RunResult:
    """What one run produced.

    Attributes:
        daily: tidy daily series with columns ``day, metric, group, value``.
        summary: whole-run outcomes, ``{name or name.group: value}``.
        by_community: whole-run outcomes per community (:func:`community_table`).
        params: the parameters used.
        seed: the run seed.
        days: days simulated.
        residents: residents simulated.
    """

    daily: pd.DataFrame
    summary: dict[str, float]
    by_community: pd.DataFrame
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
    spinup_progress: Callable[[int], None] | None = None,
) -> RunResult:
    """Build a model, spin it up, run it for ``days`` measured days and collect their outcomes.

    The spin-up (``params.spinup_days``, no policies) is computed once per (seed, params)
    in this process and reused (:mod:`sim.spinup`).

    Args:
        params: parameters (defaults when None).
        seed: run seed; the same seed gives the same result in any process.
        days: number of days, at least 1.
        progress: called with the day number after each day.
        policies: interventions applied during the run (their days count from measured day 0).
        spinup_progress: called with the spin-up day after each one, when the spin-up is computed.
    """
    days, seed = plain(days), plain(seed)  # numpy integers are integers
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise i18n.error("run_days", value=repr(days))
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise i18n.error("run_seed", value=repr(seed))
    params = params or Params()
    model = spinup.start(params, seed, policies=policies, progress=spinup_progress)  # reused if already made
    model.run(days, progress)
    return RunResult(
        daily=tidy(model),
        summary=model.summary(),
        by_community=community_table(model),
        params=params,
        seed=seed,
        days=days,
        residents=model.pop.n,
    )


def community_table(model: GovModel) -> pd.DataFrame:
    """Whole-run outcomes per community: where unmet need concentrates (aggregated; never a
    row per resident). Rates are over needs closed during the run."""
    pop, b, pr = model.pop, model.needs, model.providers
    n = model.params.communities
    comm = pop.community[b.resident]
    closed = b.day_closed >= model.day0  # the measured window only
    unmet = closed & is_unmet(b.state)
    lapsed = closed & (b.state == NeedState.LAPSED)
    alone = (pop.lives_alone & pop.elder)[b.resident]

    def per(mask):
        return np.bincount(comm[mask], minlength=n).astype(float)

    def rate(num, den):
        return np.divide(num, den, out=np.full(n, np.nan), where=den > 0)

    residents = np.bincount(pop.community, minlength=n).astype(float)
    meals = (model.canteens.table("meals_walkin") + model.canteens.table("meals_delivered"))[model.day0 :]
    canteen_comm = np.asarray(model.canteens.community, int)
    volunteers = (pr.kind == ProviderKind.VOLUNTEER) & (pr.state == ProviderState.ACTIVE)
    done = (model.projects.arrays("state") == ProjectState.DONE) & (
        model.projects.arrays("done") >= model.day0
    )
    served = closed & (b.state == NeedState.DONE) & (b.provider >= 0)
    who = np.where(served, b.provider, -1)  # the serving provider, -1 where none
    kind = np.append(pr.kind, -1)[who]  # index -1 reads the appended sentinel
    by_unit = kind == ProviderKind.UNIT
    from_elsewhere = by_unit & (np.append(pr.community, -1)[who] != comm)
    lent = np.bincount(pr.community[b.provider[from_elsewhere]], minlength=n)
    return pd.DataFrame(
        {
            "community": pop.comm_id.astype(int),
            "subdistrict": pop.comm_subdistrict.astype(int),
            "residents": residents.astype(int),
            "needs_arisen": np.bincount(comm[b.day_arisen >= model.day0], minlength=n),
            "needs_closed": per(closed).astype(int),
            "unmet_need_rate": rate(per(unmet), per(closed)),
            "hidden_need_rate": rate(per(lapsed), per(closed)),
            "unmet_need_rate_elderly_alone": rate(per(unmet & alone), per(closed & alone)),
            "served": per(served).astype(int),
            "served_by_units": per(by_unit).astype(int),
            "served_by_other_communities_units": per(from_elsewhere).astype(int),
            "units_services_elsewhere": lent.astype(int),
            "trust": np.bincount(pop.community, pop.trust, n) / np.maximum(residents, 1),
            "satisfaction_true": np.bincount(pop.community, pop.satisfaction, n) / np.maximum(residents, 1),
            "volunteers_active": np.bincount(pr.community[volunteers], minlength=n),
            "canteen_meals_per_day": np.bincount(canteen_comm, meals.sum(axis=0), n) / max(len(meals), 1),
            "projects_completed": np.bincount(
                model.projects.arrays("community")[done].astype(int), minlength=n
            )
            if done.any()
            else np.zeros(n, int),
        }
    )


def tidy(model: GovModel) -> pd.DataFrame:
    """The DataCollector's wide table as ``day, metric, group, value`` rows."""
    wide = metrics.day_values(model.datacollector.get_model_vars_dataframe())
    # what DataFrame.melt gives, column after column, with each name split once, not per row
    names = [str(c) for c in wide.columns]
    days = len(wide)
    return pd.DataFrame(
        {
            "day": np.tile(np.arange(days, dtype=np.int64), len(names)),
            "metric": np.repeat(np.array([c.split(".", 1)[0] for c in names], dtype=object), days),
            "group": np.repeat(
                np.array([c.split(".", 1)[1] if "." in c else "all" for c in names], dtype=object), days
            ),
            "value": wide.to_numpy(dtype="float64").T.reshape(-1),
        }
    )


def _json_safe(d: dict) -> dict:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in d.items()}


def check_writable(path: Path, flag: str = "--out") -> None:
    """Refuse (one line) an output folder that cannot be created or written, before any work.

    Nothing is left behind: the probe is a temporary folder in the nearest existing ancestor.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise i18n.error("out_is_file", flag=flag, path=path)
    probe_in = path
    while not probe_in.exists():
        probe_in = probe_in.parent
    if not probe_in.is_dir():
        raise i18n.error("out_parent_file", flag=flag, path=path, parent=probe_in)
    try:
        os.rmdir(tempfile.mkdtemp(dir=probe_in, prefix=".govsim-probe-"))
    except OSError as err:
        raise i18n.error(
            "out_unwritable", flag=flag, path=path, parent=probe_in, detail=err.strerror
        ) from None


RUN_FORMAT = "govsim-run/1"
RUN_FILES = ("daily.csv", "daily.parquet", "communities.csv", "summary.json", "run.json")


def run_record(folder: Path) -> dict | None:
    """The ``run.json`` an earlier ``govsim run`` wrote in ``folder``, or None."""
    try:
        rec = json.loads((Path(folder) / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(rec, dict):
        return None
    older = {"seed", "days", "residents", "params"} <= set(rec)  # written before RUN_FORMAT
    return rec if rec.get("format") == RUN_FORMAT or older else None


def check_run_out(path: Path) -> None:
    """``govsim run --out``: a new or empty folder, or one an earlier ``govsim run`` wrote (its
    files are then replaced); anything else is refused before the run (one line)."""
    path = Path(path)
    check_writable(path)
    if not path.is_dir() or not any(path.iterdir()):
        return
    if (path / "manifest.json").exists():
        raise i18n.error("run_out_results", path=path)
    if run_record(path) is None:
        raise i18n.error("run_out_not_empty", path=path)


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
    """Write ``daily.csv``/``daily.parquet``, ``summary.json``, ``communities.csv`` and
    ``run.json`` under ``out``, each atomically.

    ``run.json`` (format :data:`RUN_FORMAT`) is written first, marked incomplete, and again
    last; it lists the files, so a later run into the folder removes the ones it no longer
    writes (only names of :data:`RUN_FILES`).
    """
    if fmt not in ("csv", "parquet"):
        raise i18n.error("run_format", value=repr(fmt))
    out = Path(out)
    daily = out / f"daily.{fmt}"
    communities, summary, run_json = out / "communities.csv", out / "summary.json", out / "run.json"
    paths = [daily, summary, communities, run_json]
    before = (run_record(out) or {}).get("files", [])
    meta = {
        "format": RUN_FORMAT,
        "complete": False,
        "files": [p.name for p in paths],
        "seed": result.seed,
        "days": result.days,
        "residents": result.residents,
        "params": asdict(result.params),
        "environment": environment(),
    }
    atomic_write(run_json, lambda p: p.write_text(json.dumps(meta, indent=1) + "\n"))
    if fmt == "csv":
        atomic_write(daily, lambda p: result.daily.to_csv(p, index=False, float_format="%.10g"))
    else:
        atomic_write(daily, lambda p: result.daily.to_parquet(p, index=False))
    atomic_write(communities, lambda p: result.by_community.to_csv(p, index=False, float_format="%.10g"))
    atomic_write(summary, lambda p: p.write_text(json.dumps(_json_safe(result.summary), indent=1) + "\n"))
    meta["complete"] = True
    atomic_write(run_json, lambda p: p.write_text(json.dumps(meta, indent=1) + "\n"))
    for name in set(before if isinstance(before, list) else []) - set(meta["files"]):
        if name in RUN_FILES:  # an earlier run's file this one does not replace
            (out / name).unlink(missing_ok=True)
    return paths
