"""The one error type for bad input, so front ends can print it as one line."""

from __future__ import annotations


class InputError(ValueError):
    """Bad user input: a parameter, scenario value or command-line option.

    The message is a single line naming the offending key or value and what is
    allowed; the command line prints it and exits with status 2.
    """
