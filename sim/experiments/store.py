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

A run record holds the SHA-256 and size of each of its three tables; a run is
reused only when its record is readable, describes that run and every table
matches its checksum (:meth:`Store.check`), otherwise it is recomputed.
:func:`verify` checks a whole folder (``govsim verify``). One writer at a time:
:meth:`Store.begin` takes an exclusive lock on ``OUT/.lock`` (``flock``, which
the kernel drops when its holder dies) and holds it until :meth:`Store.release`,
after the invocation's last write; the manifest is read again once the lock is
held, so a second writer never overwrites the first one's record.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

try:
    import fcntl
except ImportError:  # not POSIX: an exclusive-create lock file checked by pid instead
    fcntl = None

from .. import i18n
from ..errors import InputError
from ..runner import atomic_write, check_writable
from ..versions import versions as environment
from .task import SIM_DIR, RunOutput, RunSpec

FORMAT = "govsim-experiments/1"
TABLES = ("daily", "summary", "grid")
# The versions the brief shows; the manifest's "environment" holds every installed package.
PACKAGES = (
    "govsim", "mesa", "numpy", "pandas", "scipy", "pyarrow", "networkx", "matplotlib", "tqdm",
    "SALib", "dask", "distributed", "ema-workbench", "solara",
)  # fmt: skip


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
    """Python and the main packages' versions (None: not installed), for the manifest and the
    brief; :func:`sim.versions.versions` (the manifest's ``environment``) has every package."""
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
                raise i18n.error("out_not_empty", root=root)
            return
        try:
            data = json.loads(manifest.read_text())
        except (OSError, ValueError) as err:
            raise i18n.error("manifest_unreadable", root=root, detail=err) from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise i18n.error("manifest_format", root=root, format=FORMAT)


class Store:
    """An output folder of runs (see the module docstring for its layout).

    Opening a store validates the folder and reads what is there; nothing is
    written until :meth:`begin`.

    Args:
        root: the output folder (created on the first write).
    """

    def __init__(self, root: Path | str, *, check: bool = True) -> None:
        self.root = Path(root)
        if check:
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
        if check and (self.root / "manifest.json").exists():
            self.manifest.update(json.loads((self.root / "manifest.json").read_text()))
        self._invocation: dict[str, Any] | None = None
        self._last_flush = 0.0
        self._locked = False
        self._lock_fd = -1

    # --- paths and files ---------------------------------------------------------------
    def path(self, *parts: str) -> Path:
        """A path inside the output folder; anything resolving outside it is refused."""
        p = self.root.joinpath(*parts)
        resolved = p.resolve()
        if resolved != self._base and not resolved.is_relative_to(self._base):
            raise i18n.error("outside_out", path=p, root=self.root)
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
        """True when the run finished before and every table matches its checksum (the cache)."""
        return self.check(spec)[0] == "done"

    def check(self, spec: RunSpec) -> tuple[str, str | None]:
        """Whether a stored run can be reused: ``("done", None)``, ``("todo", None)`` for a run
        not finished before, or ``("damaged", reason)`` for one whose record or files cannot be
        trusted (it is recomputed)."""
        rel = f"runs/{spec.key}.json"
        p = self.path(rel)
        if not p.exists():
            listed = self.manifest["runs"].get(spec.key, {})
            if isinstance(listed, dict) and listed.get("status") == "done":
                return "damaged", f"{rel} is missing"
            return "todo", None
        rec, problem = _read_record(p, rel)
        if problem:
            return "damaged", problem
        if rec.get("status") != "done":
            return "todo", None
        if any(rec.get(k) != v for k, v in spec.record().items()):
            return "damaged", f"{rel} does not describe this run"
        problem = self.files_problem(rec)
        return ("damaged", problem) if problem else ("done", None)

    def files_problem(self, rec: dict[str, Any]) -> str | None:
        """What is wrong with the tables of a finished run's record, or None when each exists
        and matches the size and SHA-256 recorded when it was written."""
        sums = rec.get("checksums")
        if not isinstance(sums, dict):
            return "its record has no checksums (written by an older govsim)"
        for table in TABLES:
            rel = f"{table}/scenario={rec.get('scenario')}/rep={rec.get('rep')}/{rec.get('key')}.parquet"
            entry = sums.get(rel)
            if not (
                isinstance(entry, dict)
                and isinstance(entry.get("sha256"), str)
                and type(entry.get("bytes")) is int
            ):
                return f"its record has no checksum for {rel}"
            try:
                p = self.path(rel)
                size = p.stat().st_size
                if size != entry["bytes"]:
                    return (
                        f"{rel} does not match its checksum ({size:,} bytes; {entry['bytes']:,} when written)"
                    )
                with open(p, "rb") as f:
                    digest = hashlib.file_digest(f, "sha256").hexdigest()
            except FileNotFoundError:
                return f"{rel} is missing"
            except (OSError, InputError) as err:
                return f"{rel} is unreadable ({_first_line(err)})"
            if digest != entry["sha256"]:
                return f"{rel} does not match its checksum (changed after it was written)"
        return None

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
            checksums = {}
            for t in TABLES:
                rel = self.table_path(t, spec)
                data = parquet_bytes(tables[t])
                self.write_bytes(rel, data)
                checksums[rel] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
            rec["files"] = list(checksums)
            rec["checksums"] = checksums
        full = {**rec, "traceback": out.traceback}
        self.write_text(f"runs/{spec.key}.json", json.dumps(json_safe(full), indent=1) + "\n")
        self.manifest["runs"][spec.key] = rec
        self.flush(force=False)
        return rec

    def load(self, spec: RunSpec, table: str) -> pd.DataFrame:
        """One table of one finished run."""
        return pd.read_parquet(self.path(self.table_path(table, spec)))

    # --- manifest --------------------------------------------------------------------------
    def begin(self, specs: list[RunSpec], info: dict[str, Any]) -> list[int]:
        """Take the lock and record an invocation (what runs, with which code) before computing
        anything. Returns the indices of earlier invocations found still ``running`` (their
        process was killed), which are now marked ``interrupted``."""
        self._lock()
        try:
            self._reload()
        except BaseException:
            self._unlock()
            raise
        stale = []
        for i, inv in enumerate(self.manifest["invocations"]):
            if isinstance(inv, dict) and inv.get("status") == "running":  # its writer held the lock
                inv.update(status="interrupted", note=f"its process ended without closing it; {now_iso()}")
                stale.append(i)
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
            "environment": environment(),
            "git": git_revision(),
            "runs": [s.key for s in specs],
        }
        self.manifest["invocations"].append(self._invocation)
        self.flush(force=True)
        return stale

    def note(self, **facts: Any) -> None:
        """Add facts to the open invocation's record."""
        if self._invocation is not None:
            self._invocation.update(facts)

    def finish(self, status: str, counts: dict[str, int], release: bool = True) -> None:
        """Close the invocation record and write the manifest; keep the lock if ``release`` is
        False (the caller writes more and then calls :meth:`release`)."""
        if self._invocation is not None:
            self._invocation.update(finished=now_iso(), status=status, counts=counts)
        try:
            self.flush(force=True)
        finally:
            if release:
                self._unlock()

    def release(self) -> None:
        """Write the manifest a last time and give up the lock (nothing when not holding it)."""
        if self._locked:
            try:
                self.flush(force=True)
            finally:
                self._unlock()

    @contextlib.contextmanager
    def hold(self):
        """Hold the lock for a block of writes (taking it, and reading the manifest again, only
        when not already held)."""
        if self._locked:
            yield self
            return
        self._lock()
        try:
            self._reload()
            yield self
        finally:
            self.release()

    def _reload(self) -> None:
        """Read manifest.json again (under the lock: another writer may have changed it)."""
        p = self.path("manifest.json")
        if not p.exists():
            return
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise i18n.error("manifest_unreadable", root=self.root, detail=err) from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise i18n.error("manifest_format", root=self.root, format=FORMAT)
        self.manifest.update(data)

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
        """Take ``OUT/.lock`` or refuse (one line) when another govsim holds it.

        With ``flock`` the lock dies with its holder, so a killed writer never blocks the
        folder; the file keeps the holder's pid for the message. The file is removed on
        release, so after locking we check that the path still names the file we locked.
        """
        if self._locked:
            return
        lock = self.path(".lock")
        self.root.mkdir(parents=True, exist_ok=True)
        if fcntl is None:
            self._lock_fd = _exclusive_create(lock, self.root)
            self._locked = True
            return
        for _ in range(100):
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                owner = _pid_in(fd)
                os.close(fd)
                who = f" (pid {owner})" if owner else ""
                raise i18n.error("locked_wait", root=self.root, who=who) from None
            try:
                same = os.stat(lock).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)  # released and removed by its holder meanwhile: lock the new file
        else:
            raise i18n.error("lock_failed", root=self.root, lock=lock)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._lock_fd, self._locked = fd, True

    def _unlock(self) -> None:
        if self._locked:
            self.path(".lock").unlink(missing_ok=True)
            os.close(self._lock_fd)
            self._locked = False


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as Parquet bytes (hashed before they are written)."""
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def _read_record(p: Path, rel: str) -> tuple[dict[str, Any], str | None]:
    try:
        rec = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return {}, f"{rel} is unreadable ({_first_line(err)})"
    if not isinstance(rec, dict):
        return {}, f"{rel} is unreadable (not a JSON object)"
    return rec, None


def _pid_in(fd: int) -> int | None:
    try:
        return int(os.pread(fd, 32, 0).decode().strip())
    except (OSError, ValueError):
        return None


def _exclusive_create(lock: Path, root: Path) -> int:
    """Without ``flock``: create the lock file exclusively; a lock whose pid is dead is stale."""
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            try:
                pid = int(lock.read_text().strip())
                os.kill(pid, 0)
            except (OSError, ValueError):
                lock.unlink(missing_ok=True)  # stale: its writer is gone
                continue
            raise i18n.error("locked_pid", root=root, pid=pid) from None
        os.write(fd, str(os.getpid()).encode())
        return fd
    raise i18n.error("locked", root=root)


@dataclass
class Verification:
    """What :func:`verify` found in a results folder.

    Attributes:
        root: the folder.
        intact: finished runs whose every table matches its checksum.
        failed: runs recorded as failed (retried by the next command that needs them).
        pending: runs listed in the manifest but never finished.
        damaged: ``(run, reason)`` for every record or file that cannot be trusted.
        notes: harmless findings (temporary files left by a killed write).
    """

    root: Path
    intact: int = 0
    failed: int = 0
    pending: int = 0
    damaged: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def verify(root: Path | str) -> Verification:
    """Check a results folder: the manifest, every run record, and every finished run's
    tables against their sizes and SHA-256 checksums. Reads only."""
    root = Path(root)
    if not root.is_dir():
        raise i18n.error("verify_not_folder", root=root)
    if not (root / "manifest.json").exists() and not (root / "runs").is_dir():
        raise i18n.error("verify_not_results", root=root)
    report = Verification(root)
    runs: dict[str, Any] = {}
    rec, problem = _read_record(root / "manifest.json", "manifest.json")
    if problem:
        report.damaged.append(("manifest.json", problem.removeprefix("manifest.json ")))
    elif rec.get("format") != FORMAT:
        report.damaged.append(("manifest.json", f"is not a {FORMAT} manifest"))
    elif isinstance(rec.get("runs"), dict):
        runs = rec["runs"]
    store = Store(root, check=False)
    seen = set()
    for p in sorted((root / "runs").glob("*.json")):
        key, rel = p.stem, f"runs/{p.name}"
        listed = runs.get(key) if isinstance(runs.get(key), dict) else {}
        rec, problem = _read_record(p, rel)
        what = _run_name(rec or listed, key)
        seen.add(key)
        if problem:
            report.damaged.append((what, problem))
        elif rec.get("key") != key:
            report.damaged.append((what, f"{rel} describes another run ({rec.get('key')!r})"))
        elif rec.get("status") == "done":
            problem = store.files_problem(rec)
            if problem:
                report.damaged.append((what, problem))
            else:
                report.intact += 1
        elif rec.get("status") == "failed":
            report.failed += 1
        else:
            report.pending += 1
    for key, listed in runs.items():
        if key in seen or not isinstance(listed, dict):
            continue
        if listed.get("status") == "done":
            report.damaged.append((_run_name(listed, key), f"runs/{key}.json is missing"))
        else:
            report.pending += 1
    for p in sorted(root.rglob(".*.tmp")):
        report.notes.append(f"{p.relative_to(root)}: left by an interrupted write; safe to delete")
    return report


def _run_name(rec: dict[str, Any], key: str) -> str:
    if "scenario" in rec and "rep" in rec:
        return f"{rec['scenario']} rep {rec['rep']} ({key})"
    return key
