"""What produced a result: Python, every installed package and how they compare with the lock.

Recorded in a results folder's ``manifest.json`` (each invocation) and in ``run.json`` of
``govsim run``. The packages are every distribution installed in the running environment
(``importlib.metadata``), so scipy, SALib, solara and whatever else a run could have used
are there by construction; ``requirements.lock`` (``make lock``) pins the tested set.
"""

from __future__ import annotations

import hashlib
import re
import sys
from functools import cache
from importlib import metadata
from pathlib import Path

LOCK = Path(__file__).resolve().parent.parent / "requirements.lock"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed() -> dict[str, str]:
    """Every installed distribution: normalised name -> version, sorted by name."""
    found = {_norm(d.metadata["Name"]): d.version for d in metadata.distributions() if d.metadata["Name"]}
    return dict(sorted(found.items()))


def locked(path: Path = LOCK) -> dict[str, str] | None:
    """The pins of a lock file (normalised name -> version), or None without one."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    return {_norm(m[1]): m[2] for line in lines if (m := PIN.match(line.strip()))}


@cache
def versions() -> dict[str, object]:
    """Python, every installed package, the lock file's SHA-256 (None without one) and the
    locked packages whose installed version differs from their pin (``name: installed !=
    pinned``; empty when the environment was installed from the lock)."""
    packages = installed()
    pins = locked()
    differs = {
        name: f"{packages.get(name)} != {pin}"
        for name, pin in (pins or {}).items()
        if packages.get(name) != pin
    }
    lock_hash = hashlib.sha256(LOCK.read_bytes()).hexdigest() if pins is not None else None
    return {
        "python": sys.version.split()[0],
        "packages": packages,
        "lock_sha256": lock_hash,
        "differs_from_lock": differs,
    }


def source_commit() -> str:
    """The short commit of this checkout's HEAD, with ``-dirty`` when ``sim/`` has uncommitted
    changes; "unknown" outside a git checkout (what generated documents cite)."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "sim"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("-dirty" if dirty else "")
