"""Two languages for everything a planner reads: English (``en``) and Chinese (``zh``).

Every message lives in one catalogue file per language (``en.toml``, ``zh.toml``
next to this module), under the same id; :func:`t` looks an id up in the current
language and fills its ``{placeholders}``. The report's own terms (点单、派单、
接单、评单, 大党委, 五社联动 ...) live in one glossary, ``glossary.toml``; the
Chinese catalogue uses them (``tests/test_i18n.py`` checks both).

Bad-input messages are the ``[err]`` ids (and ``[apierr]`` for the Python API's
checks), raised by :func:`error` with names, values and file names as placeholders;
a third-party library's detail (a TOML parser's message, an OS error) goes in a
placeholder in parentheses after our sentence. Command lines take their help texts
(``[help]``) and argparse's own words (``[argparse]``) from the catalogue too
(:mod:`sim.i18n.cmdline`). Descriptions of parameters and metrics are English in
the code (``doc``, ``definition``) and in ``descriptions.<lang>.toml`` for the other
languages (:func:`description`).

The language is chosen once per process: ``--lang`` on the command line, else
``GOVSIM_LANG``, else the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG`` starting
with ``zh``), else English. An unknown value is an :class:`~sim.errors.InputError`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from ..errors import InputError

LANGS = ("en", "zh")
DEFAULT = "en"
HERE = Path(__file__).parent
_current = DEFAULT


def _flatten(table: Mapping, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = str(value)
    return out


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Message id -> text for ``lang`` (``sim/i18n/<lang>.toml``)."""
    with open(HERE / f"{lang}.toml", "rb") as f:
        return _flatten(tomllib.load(f))


@cache
def glossary() -> dict[str, dict[str, str]]:
    """Term id -> {"en": ..., "zh": ..., "model": ...} (``sim/i18n/glossary.toml``)."""
    with open(HERE / "glossary.toml", "rb") as f:
        return tomllib.load(f)["term"]


@cache
def descriptions(lang: str) -> dict[str, dict[str, str]]:
    """``{"param": {name: text}, "metric": {name: text}}`` in ``lang``.

    English descriptions live with their code (``sim.params`` field ``doc``, a metric's
    ``definition``); the other languages' are in ``descriptions.<lang>.toml`` next to this
    module, keyed by parameter and metric name (``tests/test_i18n.py`` keeps them complete).
    """
    path = HERE / f"descriptions.{lang}.toml"
    if not path.exists():
        return {"param": {}, "metric": {}}
    with open(path, "rb") as f:
        data = tomllib.load(f)
    return {"param": data.get("param", {}), "metric": data.get("metric", {})}


def description(kind: str, name: str, english: str, lang: str | None = None) -> str:
    """A parameter's (``kind="param"``) or metric's (``"metric"``) description in ``lang``
    (default: the current language); ``english`` where that language has none."""
    lang = lang or _current
    if lang == "en":
        return english
    return descriptions(lang)[kind].get(name) or english


def term(key: str, lang: str | None = None) -> str:
    """A glossary term in ``lang`` (default: the current language)."""
    return glossary()[key][lang or _current]


def check(value: str, where: str) -> str:
    """``value`` if it is a language govsim speaks, else a one-line :class:`InputError`."""
    v = (value or "").strip().lower()
    if v not in LANGS:
        raise error("bad_lang", where=where, value=repr(value), langs=", ".join(LANGS))
    return v


def from_environment(env: Mapping[str, str] | None = None) -> str:
    """``GOVSIM_LANG``, else the locale's language if it is Chinese, else English."""
    env = os.environ if env is None else env
    if env.get("GOVSIM_LANG"):
        return check(env["GOVSIM_LANG"], "GOVSIM_LANG")
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        loc = env.get(var, "")
        if loc:
            return "zh" if loc.lower().startswith("zh") else DEFAULT
    return DEFAULT


def resolve(cli_value: str | None, env: Mapping[str, str] | None = None) -> str:
    """The language to use: ``--lang`` if given, else :func:`from_environment`."""
    return check(cli_value, "--lang") if cli_value is not None else from_environment(env)


def set_lang(lang: str) -> None:
    global _current
    _current = check(lang, "language")


def get_lang() -> str:
    return _current


class use:
    """``with i18n.use("zh"): ...`` - the language for a block, restored afterwards."""

    def __init__(self, lang: str | None) -> None:
        self.lang = lang

    def __enter__(self) -> str:
        self.saved = _current
        if self.lang is not None:
            set_lang(self.lang)
        return _current

    def __exit__(self, *exc) -> None:
        set_lang(self.saved)


def has(key: str, lang: str | None = None) -> bool:
    return key in catalogue(lang or _current)


def t(key: str, lang: str | None = None, /, **values) -> str:
    """The message ``key`` in ``lang`` (default: the current language), placeholders filled.

    An id missing from the language's catalogue falls back to the other one (the catalogue
    test keeps that from happening); an id missing from both is a programming error.
    """
    lang = lang or _current
    text = catalogue(lang).get(key)
    if text is None:
        text = next((catalogue(o)[key] for o in LANGS if key in catalogue(o)), None)
        if text is None:
            raise KeyError(f"no message {key!r} in sim/i18n/*.toml")
    return text.format(**values) if values else text


def error(key: str, /, **values) -> InputError:
    """A one-line :class:`InputError` with the message ``err.<key>`` in the current language.

    Names, values and file names go in as placeholders and stay as given; only the words
    around them are translated (``sim/i18n/<lang>.toml``, section ``[err]``). A ``key``
    with a dot is a full id in another section (``"apierr.priors_missing"``).
    """
    return InputError(t(key if "." in key else f"err.{key}", **values))


def outcome_label(name: str, fallback: str = "", lang: str | None = None) -> str:
    """A metric's label (``name.group`` gets the group in brackets); ``fallback`` for unknown ones."""
    base, _, group = name.partition(".")
    key = f"outcome.{base}"
    label = t(key, lang) if has(key, lang or _current) else (fallback or base.replace("_", " "))
    return f"{label} ({group_label(group, lang)})" if group else label


def group_label(group: str, lang: str | None = None) -> str:
    key = f"group.{group}"
    return t(key, lang) if has(key, lang or _current) else group


def unit_label(unit: str, lang: str | None = None) -> str:
    key = f"unit.{unit}"
    return t(key, lang) if unit and has(key, lang or _current) else unit


def display_width(text: str) -> int:
    """Columns the text takes on a terminal: CJK characters take two."""
    return sum(2 if "\u2e80" <= c <= "\uffef" else 1 for c in text)


def cut(text: str, width: int) -> str:
    """``text`` shortened to at most ``width`` terminal columns."""
    while display_width(text) > width:
        text = text[:-1]
    return text
