"""Argument types shared by the command lines: one-line messages, status 2 via argparse."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

from . import i18n
from .errors import InputError

INTEGER = re.compile(r"[+-]?[0-9]+")
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def parse_number(text: str, integer: bool = False) -> int | float:
    """``text`` as an int (or float) written with ASCII digits only.

    Python's ``int`` and ``float`` also read full-width and other Unicode digits
    (``"０.５"``), ``"1_000"``, ``"nan"`` and ``"inf"``; none of those is a number here.

    Raises:
        ValueError: anything else.
    """
    text = text.strip()
    if not (INTEGER if integer else NUMBER).fullmatch(text):
        raise ValueError(f"not {'an integer' if integer else 'a number'}: {text!r}")
    return int(text) if integer else float(text)


def int_at_least(low: int, high: int | None = None):
    """An argparse ``type`` accepting integers >= ``low`` (and <= ``high`` if given)."""

    def parse(text: str) -> int:
        try:
            value = parse_number(text, integer=True)
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high):
            if high is None:
                expected = i18n.t("err.int_at_least", low=low)
            else:
                expected = i18n.t("err.int_from_to", low=low, high=f"{high:,}")
            raise argparse.ArgumentTypeError(i18n.t("err.not_allowed", value=repr(text), expected=expected))
        return value

    return parse


def out_folder(text: str) -> Path:
    """An argparse ``type`` for ``--out``: a folder path; an empty one (which would mean the
    working directory) is refused."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            i18n.t("err.not_allowed", value=repr(text), expected=i18n.t("err.folder_path"))
        )
    return Path(text)


def run_script(main: Callable[[], int]) -> None:
    """Exit with ``main()``'s status; bad input exits 2 with one line, as ``govsim`` does."""
    try:
        status = main()
    except InputError as err:
        print(i18n.t("err.script_prefix", message=err), file=sys.stderr)
        status = 2
    raise SystemExit(status)
