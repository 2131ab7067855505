"""Scenarios: data files (TOML) written as differences from the baseline.

A scenario names itself, says in a sentence what it changes, lists parameter
changes in a ``[params]`` table and interventions in ``[[policies]]`` tables::

    name = "more_partner_units"
    label = "Ten more partner units"
    description = "Ten more member units join each community's 大党委 from day 0."

    [params]                      # optional: Params fields -> values
    unit_hours_month = 20.0

    [[policies]]                  # optional, repeatable: any kind in sim.policies
    kind = "add_partner_units"
    count = 10
    start_day = 0

Loading never executes code (:mod:`tomllib`), and every problem — malformed
TOML, an unknown key, a wrong type, an out-of-range value, a policy naming a
community that does not exist — raises :class:`~sim.InputError` with one line
naming the file, the key and what is allowed. Policies are built through
:func:`sim.policies.policy_from_dict`, so new policy kinds need no change here.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import i18n
from ..errors import InputError
from ..params import Params
from ..policies import Policy, policy_from_dict

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
TOP_KEYS = {
    "name": "a short identifier (letters, digits, _ and -)",
    "label": "a readable title for plots, in English",
    "label_zh": "the title in Chinese",
    "description": "one or two sentences for the planner brief, in English",
    "description_zh": "the description in Chinese",
    "params": "a table of parameter changes",
    "policies": "an array of [[policies]] tables",
}
REPO_SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
MAX_FILE_BYTES = 1 << 20  # a scenario file is a few hundred bytes
MAX_DEPTH = 16  # tables and arrays nested in a scenario file (the schema needs 4)
MAX_TEXT = {"label": 200, "description": 4000, "label_zh": 200, "description_zh": 4000}  # characters
TEXT_KEYS = {"en": ("label", "description"), "zh": ("label_zh", "description_zh")}


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: parameter changes and policy tables relative to the baseline.

    Attributes:
        name: identifier used in file paths and tables.
        label: readable title for plots and the brief, in English.
        description: what the scenario changes, for the brief, in English.
        label_zh, description_zh: the same in Chinese.
        missing: text keys the file lacks whose other-language twin stands in (``label_zh`` ...).
        params: parameter changes, ``{field: value}``.
        policies: policy tables, each ``{"kind": ..., **arguments}``.
        source: the file it came from (or how it was made), for messages.
    """

    name: str
    label: str
    description: str
    params: dict[str, Any] = field(default_factory=dict)
    policies: tuple[dict[str, Any], ...] = ()
    source: str = "<memory>"
    label_zh: str = ""
    description_zh: str = ""
    missing: tuple[str, ...] = ()

    def text(self, lang: str | None = None) -> tuple[str, str]:
        """(label, description) in ``lang`` (default: the current language), the other
        language's standing in for a missing one."""
        lang = lang or i18n.get_lang()
        if lang == "zh":
            return self.label_zh or self.label, self.description_zh or self.description
        return self.label, self.description

    @property
    def title(self) -> str:
        """The label in the current language."""
        return self.text()[0]

    def content(self) -> dict[str, Any]:
        """What determines the scenario's results (name, params, policies)."""
        return {"name": self.name, "params": self.params, "policies": list(self.policies)}

    @property
    def hash(self) -> str:
        """Hash of :meth:`content`; labels, descriptions and comments do not count."""
        text = json.dumps(self.content(), sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def build(self, base: Mapping[str, Any] | None = None) -> tuple[Params, tuple[Policy, ...]]:
        """Parameters and policy objects for a run; raises InputError naming the file and key.

        ``base`` is a parameter set the scenario's changes go on top of (a posterior set of
        calibrated parameters: :mod:`sim.posterior`); the scenario's own values win."""
        try:
            params = Params().replace(**{**(base or {}), **self.params})
        except InputError as err:
            raise i18n.error("in_params", source=self.source, message=err) from None
        policies = []
        for i, table in enumerate(self.policies):
            where = f"{self.source}: policies[{i}]"
            policy = _policy(table, where)
            try:
                policy.validate(params)
            except InputError as err:
                raise i18n.error("at", where=where, message=err) from None
            policies.append(policy)
        return params, tuple(policies)

    def with_params(self, changes: dict[str, Any], *, name: str | None = None, note: str = "") -> Scenario:
        """A validated copy with more parameter changes (command-line overrides, sweep points)."""
        new = Scenario(
            name=name or self.name,
            label=self.label if name is None else name,
            description=self.description + (f" {note}" if note else ""),
            params={**self.params, **changes},
            policies=self.policies,
            source=self.source,
            label_zh=self.label_zh if name is None else "",
            description_zh=self.description_zh + (f" {note}" if note and self.description_zh else ""),
            missing=self.missing,
        )
        new.build()
        return new

    def to_dict(self) -> dict[str, Any]:
        """Everything about the scenario, for the manifest."""
        return {
            "label": self.label,
            "description": self.description,
            "label_zh": self.label_zh,
            "description_zh": self.description_zh,
            "source": self.source,
            "hash": self.hash,
            **self.content(),
        }


def _what(key: str) -> str:
    """What a top-level key holds (:data:`TOP_KEYS`), in the current language."""
    return i18n.t(f"scenario_key.{key}")


def _policy(table: Any, where: str) -> Policy:
    if not isinstance(table, dict):
        raise i18n.error("policy_not_table", where=where, type=type(table).__name__)
    kind = table.get("kind")
    if not isinstance(kind, str):
        raise i18n.error("policy_kind", where=where, kind=repr(kind))
    comms = table.get("communities")
    if comms is not None and not (isinstance(comms, list) and all(type(c) is int for c in comms)):
        raise i18n.error("policy_communities", where=where, value=repr(comms))
    if "changes" in table and not isinstance(table["changes"], dict):
        raise i18n.error("policy_changes", where=where, value=repr(table["changes"]))
    try:
        return policy_from_dict(table, where=where)
    except InputError as err:
        msg = str(err)
        raise InputError(
            msg if msg.startswith(where) else i18n.t("err.at", where=where, message=msg)
        ) from None
    except (TypeError, ValueError) as err:
        raise i18n.error("at", where=where, message=err) from None


def _depth(value: Any) -> int:
    """How deeply tables and arrays nest in ``value`` (without recursion)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict | list | tuple):
            deepest = max(deepest, d + 1)
            if d + 1 <= MAX_DEPTH:
                stack.extend((x, d + 1) for x in (v.values() if isinstance(v, dict) else v))
    return deepest


def parse_scenario(data: dict[str, Any], source: str, default_name: str) -> Scenario:
    """Validate a parsed TOML document and return the scenario it describes."""
    if not data:
        raise i18n.error("scenario_empty", source=source)
    if _depth(data) > MAX_DEPTH:
        raise i18n.error("scenario_deep", source=source, depth=MAX_DEPTH)
    for key in data:
        if key not in TOP_KEYS:
            allowed = ", ".join(TOP_KEYS)
            raise i18n.error("scenario_key", source=source, key=key, allowed=allowed)
    name = data.get("name", default_name)
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise i18n.error("scenario_name", source=source, name=_short(name), what=_what("name"))
    for key in MAX_TEXT:
        if key in data and not isinstance(data[key], str):
            raise i18n.error(
                "scenario_text", source=source, key=key, value=_short(data[key]), what=_what(key)
            )
        if key in data and len(data[key]) > MAX_TEXT[key]:
            raise i18n.error(
                "scenario_text_long",
                source=source,
                key=key,
                n=f"{len(data[key]):,}",
                max=f"{MAX_TEXT[key]:,}",
                what=_what(key),
            )
    params = data.get("params", {})
    if not isinstance(params, dict):
        raise i18n.error("scenario_params", source=source, value=_short(params))
    policies = data.get("policies", [])
    if not isinstance(policies, list):
        raise i18n.error("scenario_policies", source=source, value=_short(policies))
    en, zh = ({k: data[k].strip() for k in TEXT_KEYS[lang] if k in data} for lang in ("en", "zh"))
    missing = tuple(
        mine
        for lang, other in (("en", "zh"), ("zh", "en"))
        for mine, theirs in zip(TEXT_KEYS[lang], TEXT_KEYS[other], strict=True)
        if mine not in data and theirs in data
    )
    scenario = Scenario(
        name=name,
        label=en.get("label") or zh.get("label_zh") or name,
        description=en.get("description") or zh.get("description_zh", ""),
        params=dict(params),
        policies=tuple(dict(p) if isinstance(p, dict) else p for p in policies),
        source=source,
        label_zh=zh.get("label_zh") or en.get("label") or name,
        description_zh=zh.get("description_zh") or en.get("description", ""),
        missing=missing,
    )
    scenario.build()
    return scenario


def scenario_dirs() -> list[Path]:
    """Where scenario names are looked up: ./scenarios, then the repository's scenarios/."""
    dirs = [Path.cwd() / "scenarios", REPO_SCENARIOS]
    unique: list[Path] = []
    for d in dirs:
        if d.is_dir() and d.resolve() not in [u.resolve() for u in unique]:
            unique.append(d)
    return unique


def available() -> list[str]:
    """Names of the scenario files found by :func:`scenario_dirs`."""
    return sorted({p.stem for d in scenario_dirs() for p in d.glob("*.toml")})


def resolve(ref: str) -> Path:
    """Path of a scenario given as a name in scenarios/ or a path to a ``.toml`` file."""
    if ref.endswith(".toml") or "/" in ref or "\\" in ref:
        path = Path(ref)
        if not path.is_file():
            raise i18n.error("scenario_file_missing", ref=ref)
        return path
    if not NAME_RE.match(ref):
        raise i18n.error("scenario_ref", ref=repr(ref))
    for d in scenario_dirs():
        if (d / f"{ref}.toml").is_file():
            return d / f"{ref}.toml"
    names = ", ".join(available()) or i18n.t("err.none_found")
    raise i18n.error("scenario_unknown", ref=repr(ref), name=ref, names=names)


def load_scenario(ref: str | Path) -> Scenario:
    """Load and validate one scenario (a name in scenarios/ or a path to a TOML file).

    Raises:
        InputError: one line naming the file, the key and what is allowed.
    """
    path = resolve(str(ref))
    source = _display(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise i18n.error("scenario_big", source=source, size=f"{size:,}", max=f"{MAX_FILE_BYTES:,}")
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise i18n.error("scenario_toml", source=source, detail=err) from None
    except RecursionError:
        raise i18n.error("scenario_too_deep", source=source) from None
    except (OSError, UnicodeDecodeError) as err:
        raise i18n.error("scenario_unreadable", source=source, detail=err) from None
    return parse_scenario(data, source, default_name=path.stem)


def load_scenarios(refs: list[str], overrides: dict[str, Any] | None = None) -> list[Scenario]:
    """Load several scenarios, apply common parameter overrides, reject duplicate names."""
    out: list[Scenario] = []
    for ref in refs:
        s = load_scenario(ref)
        if overrides:
            try:
                s = s.with_params(overrides)
            except InputError as err:
                raise i18n.error("with_overrides", message=err, overrides=overrides) from None
        note_fallbacks(s)
        if s.name in [o.name for o in out]:
            raise i18n.error("scenario_dup", source=s.source, name=repr(s.name))
        out.append(s)
    return out


def note_fallbacks(s: Scenario, lang: str | None = None, file=None) -> list[str]:
    """One line on stderr per text key missing in ``lang`` whose twin in the other language
    stands in (a note, not an error); returns the lines."""
    lang = lang or i18n.get_lang()
    other = "zh" if lang == "en" else "en"
    lines = [
        i18n.t(
            "cli.label_fallback",
            source=s.source,
            key=key,
            lang=i18n.t("lang.name", lang),
            other=i18n.t("lang.name", other),
        )
        for key in s.missing
        if key in TEXT_KEYS[lang]
    ]
    for line in lines:
        print(line, file=file or sys.stderr)
    return lines


def _short(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, for one-line messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
