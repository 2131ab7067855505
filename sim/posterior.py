"""The calibrated posterior: parameter sets that reproduce the patterns, carried into comparisons.

``make calibrate`` writes the posterior ensemble to one JSON file
(``sim/data/posterior.json``); a comparison with ``--uncertainty posterior`` gives each
replication one of its sets, the same set and seed to every scenario of the pair.

The file::

    {
      "schema": "govsim-posterior", "version": 1,
      "provenance": {"method": ..., "patterns": [...], "seed": ..., "commit": ..., ...},
      "parameters": ["rate_care", ...],          # the parameters the sets vary
      "sets": [{"id": 0, "values": {"rate_care": 0.012, ...},
                "seed": 123, "patterns": {"canteen_lunches": 171.0, ...}}, ...]
    }

``values`` holds one value per name of ``parameters`` (every other parameter keeps its
default); ``seed`` and ``patterns`` record the run that accepted the set, so a check can
rerun it and find the same pattern values. :func:`load` refuses a missing, damaged or
incompatible file with one line naming the file and what is wrong: a comparison never
falls back to the defaults silently.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from . import i18n
from .errors import InputError
from .params import Params, plain

POSTERIOR_FILE = Path(__file__).resolve().parent / "data" / "posterior.json"
SCHEMA = "govsim-posterior"
VERSION = 1
TOP_KEYS = ("schema", "version", "provenance", "parameters", "sets")
SET_KEYS = ("id", "values", "seed", "patterns")
PROVENANCE_KEYS = ("method", "patterns", "seed", "commit", "created")
UNCERTAINTY = ("posterior", "none")
# What a comparison does without --uncertainty: draw each replication's parameter set from
# the stored posterior (make calibrate); "none" keeps every run at the default parameters.
DEFAULT_UNCERTAINTY = "posterior"


@dataclass(frozen=True)
class Posterior:
    """A loaded, checked posterior ensemble.

    Attributes:
        path: the file it was read from.
        sha256: the file's SHA-256 (recorded in manifests).
        parameters: the names the sets vary.
        sets: one ``{name: value}`` per set, values as the parameter's type.
        seeds: the seed of the run that accepted each set.
        patterns: the pattern values that run produced, per set.
        provenance: how the file was made (method, patterns, seed, commit, ...).
    """

    path: Path
    sha256: str
    parameters: tuple[str, ...]
    sets: tuple[dict[str, Any], ...]
    seeds: tuple[int, ...]
    patterns: tuple[dict[str, float], ...]
    provenance: dict[str, Any]

    def __len__(self) -> int:
        return len(self.sets)

    def params(self, index: int, base: Params | None = None) -> Params:
        """The parameters of set ``index`` on top of ``base`` (default: the defaults)."""
        return (base or Params()).replace(**self.sets[index])

    def assign(self, reps: int, base_seed: int = 0) -> list[int]:
        """The set of each replication ``0 .. reps-1``: a seeded permutation of the sets
        (without repeats while ``reps <= len(self)``, then cycling). It depends only on
        ``base_seed`` and the replication, never on the scenario, so every scenario of a
        pair gets the same set."""
        rng = np.random.default_rng(np.random.SeedSequence(int(base_seed), spawn_key=(0x9057,)))
        order = rng.permutation(len(self.sets))
        return [int(order[i % len(order)]) for i in range(int(reps))]

    def describe(self) -> dict[str, Any]:
        """What a manifest records about the posterior used."""
        return {
            "file": str(self.path),
            "sha256": self.sha256,
            "schema": SCHEMA,
            "version": VERSION,
            "sets": len(self.sets),
            "parameters": list(self.parameters),
            "method": self.provenance.get("method"),
            "commit": self.provenance.get("commit"),
        }


def _fail(path: Path, msg: str, /, **values) -> InputError:
    return InputError(i18n.t(f"posterior.{msg}", path=path, **values))


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def load(path: Path | str | None = None) -> Posterior:
    """Read and check a posterior file (default :data:`POSTERIOR_FILE`).

    Raises:
        InputError: one line naming the file and what is wrong: missing or unreadable,
            not JSON, another schema or version, unknown or invalid parameters, sets
            whose values do not match ``parameters``, no sets.
    """
    p = Path(path) if path is not None else POSTERIOR_FILE
    try:
        blob = p.read_bytes()
    except FileNotFoundError:
        raise _fail(p, "missing") from None
    except OSError as err:
        raise _fail(p, "unreadable", detail=err.strerror or err) from None
    return _parse(p, blob)


@cache
def _parse(p: Path, blob: bytes) -> Posterior:
    try:
        data = json.loads(blob.decode("utf-8"))
    except UnicodeDecodeError:
        raise _fail(p, "not_json", detail="not UTF-8 text") from None
    except json.JSONDecodeError as err:
        raise _fail(p, "not_json", detail=f"line {err.lineno} column {err.colno}: {err.msg}") from None
    if not isinstance(data, dict):
        raise _fail(p, "not_object")
    if data.get("schema") != SCHEMA or data.get("version") != VERSION:
        found = f"{data.get('schema')!r} version {data.get('version')!r}"
        raise _fail(p, "schema", found=found, schema=SCHEMA, version=VERSION)
    missing = [k for k in TOP_KEYS if k not in data]
    if missing:
        raise _fail(p, "key_missing", key=missing[0])
    extra = sorted(set(data) - set(TOP_KEYS))
    if extra:
        raise _fail(p, "key_unknown", key=extra[0], allowed=", ".join(TOP_KEYS))
    prov = data["provenance"]
    if not isinstance(prov, dict) or any(k not in prov for k in PROVENANCE_KEYS):
        raise _fail(p, "provenance", keys=", ".join(PROVENANCE_KEYS))
    names = data["parameters"]
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise _fail(p, "parameters")
    if len(set(names)) != len(names):
        raise _fail(p, "duplicate", name=next(n for n in names if names.count(n) > 1))
    known = {f.name for f in dataclasses.fields(Params)}
    for n in names:
        if n not in known:
            raise _fail(p, "unknown_parameter", name=n)
    raw = data["sets"]
    if not isinstance(raw, list) or not raw:
        raise _fail(p, "no_sets")
    sets, seeds, patterns = [], [], []
    base = Params()
    for i, s in enumerate(raw):
        if not isinstance(s, dict) or sorted(s) != sorted(SET_KEYS):
            raise _fail(p, "set_keys", i=i, keys=", ".join(SET_KEYS))
        values = s["values"]
        if not isinstance(values, dict) or sorted(values) != sorted(names):
            raise _fail(p, "set_values", i=i)
        if not isinstance(s["seed"], int) or isinstance(s["seed"], bool) or s["seed"] < 0:
            raise _fail(p, "set_seed", i=i, value=repr(s["seed"]))
        pats = s["patterns"]
        if not isinstance(pats, dict) or not all(_number(v) for v in pats.values()):
            raise _fail(p, "set_patterns", i=i)
        try:
            base.replace(**values)
        except InputError as err:
            raise _fail(p, "set_invalid", i=i, message=err) from None
        sets.append(dict(values))
        seeds.append(int(s["seed"]))
        patterns.append({k: float(v) for k, v in pats.items()})
    return Posterior(
        path=p,
        sha256=hashlib.sha256(blob).hexdigest(),
        parameters=tuple(names),
        sets=tuple(sets),
        seeds=tuple(seeds),
        patterns=tuple(patterns),
        provenance=dict(prov),
    )


def write(
    path: Path | str,
    parameters: Sequence[str],
    sets: Sequence[Mapping[str, Any]],
    seeds: Sequence[int],
    patterns: Sequence[Mapping[str, float]],
    provenance: Mapping[str, Any],
) -> Posterior:
    """Write a posterior file atomically and return it as :func:`load` reads it back.

    Values are stored as plain Python numbers (numpy scalars converted); the file is
    checked by :func:`load` before it replaces an existing one.
    """
    from .runner import atomic_write

    data = {
        "schema": SCHEMA,
        "version": VERSION,
        "provenance": {k: plain(v) for k, v in provenance.items()},
        "parameters": list(parameters),
        "sets": [
            {
                "id": i,
                "values": {n: plain(values[n]) for n in parameters},
                "seed": int(seed),
                "patterns": {k: float(v) for k, v in pats.items()},
            }
            for i, (values, seed, pats) in enumerate(zip(sets, seeds, patterns, strict=True))
        ],
    }
    text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    target = Path(path)
    _parse(target, text.encode())  # refuse to write what load would refuse
    atomic_write(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return load(target)


def resolve(uncertainty: str, path: Path | str | None = None) -> Posterior | None:
    """The posterior a comparison uses: loaded for ``"posterior"``, None for ``"none"``."""
    if uncertainty not in UNCERTAINTY:
        raise i18n.error("uncertainty", value=uncertainty, allowed=", ".join(UNCERTAINTY))
    if uncertainty == "none" and path is not None:  # never silently ignored
        raise i18n.error("posterior_unused", path=path)
    return load(path) if uncertainty == "posterior" else None
