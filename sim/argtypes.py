"""Argument types shared by the command lines: one-line messages, status 2 via argparse."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from .errors import InputError


def int_at_least(low: int, high: int | None = None):
    """An argparse ``type`` accepting integers >= ``low`` (and <= ``high`` if given)."""
    expected = f"an integer >= {low}" if high is None else f"an integer from {low} to {high:,}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{text!r} is not allowed: expected {expected}")
        return value

    return parse


def out_folder(text: str) -> Path:
    """An argparse ``type`` for ``--out``: a folder path; an empty one (which would mean the
    working directory) is refused."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            f"{text!r} is not allowed: expected a folder path (write . for the working directory)"
        )
    return Path(text)


def run_script(main: Callable[[], int]) -> None:
    """Exit with ``main()``'s status; bad input exits 2 with one line, as ``govsim`` does."""
    try:
        status = main()
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        status = 2
    raise SystemExit(status)
