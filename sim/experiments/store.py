"""The results store: Parquet tables partitioned by scenario and replication, and a manifest.

Layout of an output folder::

    OUT/manifest.json                                   provenance and status of every run
    OUT/runs/KEY.json                                   one record per run (error + traceback if failed)
    OUT/daily/scenario=NAME/rep=I/KEY.parquet           day, metric, group, value, key
    OUT/summary/scenario=NAME/rep=I/KEY.parquet         one row: key, seed, days, every outcome
    OUT/grid/scenario=NAME/rep=I/KEY.parquet            per grid: centroid, residents, needs, unmet
    OUT/comparisons/..., OUT/sweeps/...                 derived tables, plots and briefs

``KEY`` is the run's cache key (scenario content hash + seed + days + code
version), so runs of an edited scenario or of newer code sit beside older
ones instead of replacing them. Every file is written to a temporary name and
moved into place with :func:`os.replace`; no result is ever deleted. Paths are
resolved and refused if they leave the output folder.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError
from ..runner import atomic_write, check_writable
from .task import SIM_DIR, RunOutput, RunSpec

FORMAT = "govsim-experiments/1"
TABLES = ("daily", "summary", "grid")
PACKAGES = ("govsim", "mesa", "numpy", "pandas", "pyarrow", "networkx", "matplotlib", "dask", "distributed")


def now_iso(t: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if t is None else t, UTC).isoformat(timespec="seconds")


def json_safe(value: Any) -> Any:
    """NaN and infinities become null; tuples become lists."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def versions() -> dict[str, str | None]:
    """Python and package versions, for the manifest."""
    out: dict[str, str | None] = {"python": sys.version.split()[0]}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_revision() -> dict[str, Any]:
    """The repository's commit and whether sim/ or scenarios/ have uncommitted changes."""
    repo = SIM_DIR.parent
    try:
        rev = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--", "sim", "scenarios"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return {"revision": None, "dirty": None}
    if rev.returncode != 0:
        return {"revision": None, "dirty": None}
    return {"revision": rev.stdout.strip(), "dirty": bool(dirty.stdout.strip())}


def check_out(root: Path) -> None:
    """Refuse an output folder that is a file, cannot be written, or is a non-empty folder
    that is not a store."""
    root = Path(root)
    check_writable(root)
    if root.is_dir():
        manifest = root / "manifest.json"
        if not manifest.exists():
            if any(root.iterdir()):
                raise InputError(
                    f"--out {root}: folder is not empty and has no govsim manifest.json; "
                    "choose a new or empty folder"
                )
            return
        try:
            data = json.loads(manifest.read_text())
        except (OSError, ValueError) as err:
            raise InputError(f"--out {root}: manifest.json is unreadable ({err}); not touching it") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise InputError(f"--out {root}: manifest.json is not a {FORMAT} manifest; not touching it")


class Store:
    """An output folder of runs (see the module docstring for its layout).

    Opening a store validates the folder and reads what is there; nothing is
    written until :meth:`begin`.

    Args:
        root: the output folder (created on the first write).
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        check_out(self.root)
        self._base = self.root.resolve()
        self.manifest: dict[str, Any] = {
            "format": FORMAT,
            "created": None,
            "updated": None,
            "invocations": [],
            "scenarios": {},
            "runs": {},
        }
        if (self.root / "manifest.json").exists():
            self.manifest.update(json.loads((self.root / "manifest.json").read_text()))
        self._invocation: dict[str, Any] | None = None
        self._last_flush = 0.0
        self._locked = False

    # --- paths and files ---------------------------------------------------------------
    def path(self, *parts: str) -> Path:
        """A path inside the output folder; anything resolving outside it is refused."""
        p = self.root.joinpath(*parts)
        resolved = p.resolve()
        if resolved != self._base and not resolved.is_relative_to(self._base):
            raise InputError(f"path {p}: outside the output folder {self.root}; refused")
        return p

    def write_text(self, rel: str, text: str) -> Path:
        p = self.path(rel)
        atomic_write(p, lambda t: t.write_text(text, encoding="utf-8"))
        return p

    def write_bytes(self, rel: str, data: bytes) -> Path:
        p = self.path(rel)
        atomic_write(p, lambda t: t.write_bytes(data))
        return p

    def write_frame(self, rel: str, frame: pd.DataFrame) -> Path:
        p = self.path(rel)
        if rel.endswith(".csv"):
            atomic_write(p, lambda t: frame.to_csv(t, index=False, float_format="%.10g"))
        else:
            atomic_write(p, lambda t: frame.to_parquet(t, index=False))
        return p

    @staticmethod
    def table_path(table: str, spec: RunSpec) -> str:
        return f"{table}/scenario={spec.scenario.name}/rep={spec.rep}/{spec.key}.parquet"

    # --- runs ----------------------------------------------------------------------------
    def record(self, key: str) -> dict[str, Any] | None:
        p = self.path("runs", f"{key}.json")
        if not p.exists():
            return None
        try:
            return json.loads(p.read_text())
        except ValueError:
            return None

    def is_done(self, spec: RunSpec) -> bool:
        """True when the run finished before and all its tables are present (the cache)."""
        rec = self.record(spec.key)
        if not rec or rec.get("status") != "done":
            return False
        return all(self.path(self.table_path(t, spec)).exists() for t in TABLES)

    def save(self, spec: RunSpec, out: RunOutput) -> dict[str, Any]:
        """Write a run's tables (if it finished) and then its record."""
        rec = {
            **spec.record(),
            "status": out.status,
            "error": out.error,
            "started": now_iso(out.started),
            "finished": now_iso(out.finished),
            "seconds": round(out.finished - out.started, 3),
            "invocation": len(self.manifest["invocations"]) - 1,
        }
        if out.status == "done":
            summary = {"key": spec.key, "seed": spec.seed, "days": spec.days, **out.summary}
            tables = {
                "daily": out.daily.assign(key=spec.key),
                "summary": pd.DataFrame([summary]),
                "grid": out.grid.assign(key=spec.key),
            }
            rec["files"] = [
                str(self.write_frame(self.table_path(t, spec), tables[t]).relative_to(self.root))
                for t in TABLES
            ]
        full = {**rec, "traceback": out.traceback}
        self.write_text(f"runs/{spec.key}.json", json.dumps(json_safe(full), indent=1) + "\n")
        self.manifest["runs"][spec.key] = rec
        self.flush(force=False)
        return rec

    def load(self, spec: RunSpec, table: str) -> pd.DataFrame:
        """One table of one finished run."""
        return pd.read_parquet(self.path(self.table_path(table, spec)))

    # --- manifest --------------------------------------------------------------------------
    def begin(self, specs: list[RunSpec], info: dict[str, Any]) -> None:
        """Record an invocation (what runs, with which code) before computing anything."""
        self._lock()
        self.manifest["created"] = self.manifest["created"] or now_iso()
        self._sync_records()
        for spec in specs:
            s = spec.scenario
            self.manifest["scenarios"][s.hash] = s.to_dict()
            if spec.key not in self.manifest["runs"]:
                self.manifest["runs"][spec.key] = {**spec.record(), "status": "pending"}
        self._invocation = {
            **info,
            "started": now_iso(),
            "finished": None,
            "status": "running",
            "versions": versions(),
            "git": git_revision(),
            "runs": [s.key for s in specs],
        }
        self.manifest["invocations"].append(self._invocation)
        self.flush(force=True)

    def finish(self, status: str, counts: dict[str, int]) -> None:
        """Close the invocation record and write the manifest."""
        if self._invocation is not None:
            self._invocation.update(finished=now_iso(), status=status, counts=counts)
        try:
            self.flush(force=True)
        finally:
            self._unlock()

    def flush(self, force: bool = True) -> None:
        """Write manifest.json (at most once a second unless forced)."""
        if not force and time.monotonic() - self._last_flush < 1.0:
            return
        self.manifest["updated"] = now_iso()
        self.write_text("manifest.json", json.dumps(json_safe(self.manifest), indent=1) + "\n")
        self._last_flush = time.monotonic()

    def _sync_records(self) -> None:
        """Bring the manifest up to date with run records written after its last flush."""
        runs_dir = self.path("runs")
        if not runs_dir.is_dir():
            return
        for p in runs_dir.glob("*.json"):
            rec = self.record(p.stem)
            if rec:
                rec.pop("traceback", None)
                self.manifest["runs"][p.stem] = rec

    def _lock(self) -> None:
        lock = self.path(".lock")
        self.root.mkdir(parents=True, exist_ok=True)
        if lock.exists():
            pid = _lock_owner(lock)
            if pid is not None:
                raise InputError(f"--out {self.root}: another govsim (pid {pid}) is writing there")
            lock.unlink(missing_ok=True)  # stale: its writer is gone
        with contextlib.suppress(FileExistsError), open(lock, "x") as f:
            f.write(str(os.getpid()))
            self._locked = True
        if not self._locked:
            raise InputError(f"--out {self.root}: another govsim is writing there")

    def _unlock(self) -> None:
        if self._locked:
            self.path(".lock").unlink(missing_ok=True)
            self._locked = False


def _lock_owner(lock: Path) -> int | None:
    """The pid holding ``lock`` if that process is still alive, else None."""
    try:
        pid = int(lock.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except PermissionError:  # alive, another user's
        return pid
    except OSError:
        return None
    return pid
