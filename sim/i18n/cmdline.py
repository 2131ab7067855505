"""Command lines in the current language: argparse's own words and one-line usage errors.

argparse makes its output translatable with :mod:`gettext` (the argparse documentation's
"Translating the argparse output"): it builds its fixed words ("usage: ", "options",
"show this help message and exit", "the following arguments are required: %s" ...) by
calling ``_`` and ``ngettext``, module attributes it imports from :mod:`gettext`, each
time it builds a parser, formats help or reports an error. Rather than compiled ``.mo``
files for gettext's process-wide text domain, :func:`argparse_language` swaps those two
attributes, for the duration of a ``with`` block, for the methods of a
:class:`gettext.NullTranslations` built from the catalogue (:class:`Translations`), and
puts argparse's own functions back afterwards.

The catalogue's ``[argparse]`` section holds, in ``en.toml``, argparse's message ids
verbatim (its ``%``-placeholders included) and, in ``zh.toml``, their translations;
a message argparse asks for that is not there passes through unchanged (the ones left
out can only come from a programming error, such as two options with the same name).
``tests/test_i18n.py`` checks that every English entry is still a message of the
running Python's argparse.

Help texts of options come from the catalogue's ``[help]`` section (:func:`help_text`).
Chinese has no spaces to break lines at and its characters take two terminal columns, so
:class:`HelpFormatter` wraps help by columns and may break between two Chinese characters.
"""

from __future__ import annotations

import argparse
import gettext
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from ..errors import InputError
from . import DEFAULT, catalogue, display_width, get_lang, resolve, set_lang, t

SECTION = "argparse"


def message_ids() -> dict[str, str]:
    """argparse's message id (its English text) -> catalogue id (``argparse.<key>``)."""
    prefix = f"{SECTION}."
    return {text: key for key, text in catalogue("en").items() if key.startswith(prefix)}


class Translations(gettext.NullTranslations):
    """argparse's messages in ``lang`` from the catalogue; anything else unchanged."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang
        self.ids = message_ids()

    def gettext(self, message):
        key = self.ids.get(message) if isinstance(message, str) else None
        return t(key, self.lang) if key else message

    def ngettext(self, singular, plural, n):
        chosen = singular if n == 1 else plural
        key = self.ids.get(chosen)
        return t(key, self.lang) if key else chosen


@contextmanager
def argparse_language(lang: str | None = None) -> Iterator[Translations]:
    """Within the block, argparse speaks ``lang`` (default: the current language).

    Parsers must be built inside the block too: argparse translates the titles of its
    argument groups and the help of ``-h`` when a parser is created.
    """
    tr = Translations(lang or get_lang())
    saved = argparse._, argparse.ngettext
    argparse._, argparse.ngettext = tr.gettext, tr.ngettext
    try:
        yield tr
    finally:
        argparse._, argparse.ngettext = saved


WIDE = re.compile(r"[\u2e80-\uffef]")
_TOKEN = re.compile(r"[\u2e80-\uffef]|[^\u2e80-\uffef\s]+|\s+")
_NO_LINE_START = set("，。、；：？！）」』》")


def wrap(text: str, width: int) -> list[str]:
    """``text`` (whitespace already collapsed) in lines of at most ``width`` terminal columns,
    broken at spaces or between two wide characters, never before closing punctuation; a
    word longer than ``width`` keeps a line of its own."""
    lines: list[str] = []
    line = ""
    for token in _TOKEN.findall(text):
        if token.isspace():
            if line and display_width(line) + 1 <= width:
                line += " "
            elif line:
                lines.append(line.rstrip())
                line = ""
            continue
        if not line or display_width(line) + display_width(token) <= width or token in _NO_LINE_START:
            line += token
            continue
        lines.append(line.rstrip())
        line = token
    if line.strip():
        lines.append(line.rstrip())
    return lines


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, measuring Chinese by terminal columns.

    Text without wide characters is formatted exactly as argparse does. Help with Chinese is
    wrapped by :func:`wrap`, and the continuation lines of a wrapped usage move right by the
    extra columns a Chinese "usage:" takes.
    """

    def _split_lines(self, text, width):
        if not WIDE.search(text):
            return super()._split_lines(text, width)
        return wrap(self._whitespace_matcher.sub(" ", text).strip(), width)

    def _fill_text(self, text, width, indent):
        if not WIDE.search(text):
            return super()._fill_text(text, width, indent)
        return "\n".join(indent + line for line in self._split_lines(text, width - len(indent)))

    def _format_usage(self, usage, actions, groups, prefix):
        if prefix is None:
            prefix = argparse._("usage: ")  # the (translated) word argparse would use
        extra = display_width(prefix) - len(prefix)
        if extra <= 0:
            return super()._format_usage(usage, actions, groups, prefix)
        self._width -= extra  # argparse counts the prefix's characters, not its columns
        try:
            text = super()._format_usage(usage, actions, groups, prefix)
        finally:
            self._width += extra
        first, *rest = text.split("\n")
        return "\n".join([first, *(" " * extra + ln if ln.strip() else ln for ln in rest)])


class OneLineParser(argparse.ArgumentParser):
    """An :class:`argparse.ArgumentParser` whose usage errors are one-line :class:`InputError`\\ s
    and whose help is laid out by :class:`HelpFormatter`.

    The caller prints the error in the current language and exits with status 2, as for
    any other bad input; argparse's message (already in the current language inside
    :func:`argparse_language`) names the argument and the value.
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        raise InputError(message)


def help_text(key: str, /, **values) -> str:
    """The help text ``help.<key>`` in the current language, ready for argparse.

    argparse ``%``-formats help texts (for ``%(default)s``), so a literal ``%`` is doubled.
    """
    return t(f"help.{key}", **values).replace("%", "%%")


def add_lang_option(parser: argparse.ArgumentParser) -> None:
    """``--lang LANG`` on ``parser``, with its help in the current language."""
    parser.add_argument("--lang", metavar="LANG", help=t("cli.lang_help").replace("%", "%%"))


def lang_from_argv(argv: Sequence[str]) -> str | None:
    """The value of the last ``--lang X`` or ``--lang=X`` on the line, if any."""
    value = None
    for i, a in enumerate(argv):
        if a == "--lang" and i + 1 < len(argv):
            value = argv[i + 1]
        elif a.startswith("--lang="):
            value = a.split("=", 1)[1]
    return value


def early_lang(argv: Sequence[str]) -> None:
    """Set the language from ``--lang`` on the line, else the environment, before any parser
    is built, so that help texts and argparse's words come in it.

    An unknown value leaves English in place; the parser's own check of ``--lang`` then
    reports it (one line).
    """
    try:
        set_lang(resolve(lang_from_argv(argv)))
    except InputError:
        set_lang(DEFAULT)


def run_parser(build, argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse ``argv`` (default: ``sys.argv[1:]``) with the parser ``build()`` makes, in the
    language :func:`early_lang` finds; ``--lang`` (if the parser has it) must be valid."""
    argv = sys.argv[1:] if argv is None else list(argv)
    early_lang(argv)
    with argparse_language():
        args = build().parse_args(argv)
    if getattr(args, "lang", None) is not None:
        set_lang(resolve(args.lang))
    return args
