"""Spun-up states, computed once per (seed, parameters, services) and reused.

Every run first simulates ``spinup_days`` under its own parameters, without policies
and without recording (:class:`~sim.model.GovModel` does it when built). The state at
the end of the spin-up depends only on the seed, the parameters and the services, so
every scenario of a comparison that differs from the baseline only by its policies,
and every replication with the same seed, can start from the same spun-up state: a
pickled model kept in this process (:data:`MEMORY`, the last 8) and, when a folder is
given, in a file named by the key (``<key>.spinup``), written atomically with its
SHA-256 and the code's fingerprint, verified when read; a damaged or stale file is
recomputed, never trusted. Pickles are only read from folders govsim writes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
import sys
import tempfile
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

from . import i18n
from .model import GovModel
from .params import Params
from .services import DEFAULT_SERVICES, Service

MEMORY: OrderedDict[str, bytes] = OrderedDict()
MEMORY_SIZE = 8
COMPUTED: Counter[str] = Counter()  # spin-ups computed by this process, by key
SUFFIX = ".spinup"


@cache
def code_fingerprint() -> str:
    """SHA-256 over the model's source files: a snapshot from other code is not reused."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def key(params: Params, seed: int, services: Sequence[type[Service]] = DEFAULT_SERVICES) -> str:
    """The spun-up state's identity: seed, every parameter, the services and the code."""
    fields = {f.name: getattr(params, f.name) for f in dataclasses.fields(params)}
    names = [f"{s.__module__}.{s.__qualname__}" for s in services]
    text = json.dumps([int(seed), fields, names, code_fingerprint()], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def spun_up(
    params: Params,
    seed: int,
    *,
    services: Sequence[type[Service]] = DEFAULT_SERVICES,
    cache_dir: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> GovModel:
    """A model at the end of its spin-up (measured day 0, no policies, not recording):
    from memory, from ``cache_dir`` or computed (and then kept in both)."""
    k = key(params, seed, services)
    blob = MEMORY.get(k)
    if blob is None and cache_dir is not None:
        blob = _read(Path(cache_dir) / (k + SUFFIX))
    if blob is None:
        model = GovModel(params, seed, collect=False, services=services, spin_up=False)
        model.run(params.spinup_days, progress)
        model.start_measuring(collect=False)
        COMPUTED[k] += 1
        blob = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
        if cache_dir is not None:
            _write(Path(cache_dir) / (k + SUFFIX), blob)
    MEMORY[k] = blob
    MEMORY.move_to_end(k)
    while len(MEMORY) > MEMORY_SIZE:
        MEMORY.popitem(last=False)
    return pickle.loads(blob)


def start(
    params: Params,
    seed: int,
    *,
    policies=(),
    collect: bool = True,
    services: Sequence[type[Service]] = DEFAULT_SERVICES,
    cache_dir: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> GovModel:
    """A spun-up model, reused where possible, with ``policies`` starting on measured day 0."""
    model = spun_up(params, seed, services=services, cache_dir=cache_dir, progress=progress)
    model.start_measuring(policies, collect=collect)
    return model


def stored(cache_dir: Path, k: str) -> bool:
    """Whether ``cache_dir`` holds an intact snapshot for key ``k`` (checked, not just present)."""
    return _read(Path(cache_dir) / (k + SUFFIX), quiet=True) is not None


def _header(blob: bytes) -> bytes:
    return f"govsim-spinup 1 {code_fingerprint()} {hashlib.sha256(blob).hexdigest()}\n".encode()


def _read(path: Path, quiet: bool = False) -> bytes | None:
    """The snapshot in ``path`` if it is whole and from this code; None (with a one-line note
    unless ``quiet``) otherwise."""

    def refuse(why: tuple[str, dict]) -> None:
        if not quiet:
            print(
                i18n.t("cli.snapshot_refused", path=path, why=i18n.t(f"cli.snapshot_{why[0]}", **why[1])),
                file=sys.stderr,
            )

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as err:
        return refuse(("unreadable", {"detail": err.strerror}))
    head, _, blob = data.partition(b"\n")
    parts = head.split()
    if (
        len(parts) != 4
        or parts[:2] != [b"govsim-spinup", b"1"]
        or parts[2].decode(errors="replace") != code_fingerprint()
    ):
        return refuse(("foreign", {}))
    if hashlib.sha256(blob).hexdigest().encode() != parts[3]:
        return refuse(("checksum", {}))
    return blob


def _write(path: Path, blob: bytes) -> None:
    """Write atomically: a reader sees the old file, the new one, or none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=SUFFIX)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(_header(blob))
            f.write(blob)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
