"""Helpers for the notebooks in ``notebooks/``: their parameters, checked like the command line.

A notebook's first cell (tagged ``parameters``) sets a few names; :func:`check`
validates them and returns the model parameters, raising
:class:`~sim.errors.InputError` for a bad value. After :func:`one_line_errors`,
such an error shows as the command line's one line (``govsim: error: ...``)
instead of a traceback. ``GOVSIM_NB_SMALL=1`` (set by the test suite) asks each
notebook for a run small enough for CI; :func:`small` reads it.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from . import i18n
from .errors import InputError
from .params import Params

SMALL_ENV = "GOVSIM_NB_SMALL"


def small() -> bool:
    """True when the notebooks should run small (the test suite sets ``GOVSIM_NB_SMALL=1``)."""
    return os.environ.get(SMALL_ENV, "") == "1"


def _count(name: str, value: Any, low: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise i18n.error("apierr.count", name=name, value=repr(value), low=low)


def check(
    *,
    days: int | None = None,
    reps: int | None = None,
    seed: int | None = None,
    **params: Any,
) -> Params:
    """Validate a notebook's run settings; returns ``Params()`` with ``params`` applied.

    Args:
        days: days per run (>= 1).
        reps: replications per scenario (>= 1).
        seed: run seed (>= 0).
        **params: parameter overrides, e.g. ``communities=4``, checked like ``--set``.
    """
    for name, value, low in (("days", days, 1), ("reps", reps, 1), ("seed", seed, 0)):
        if value is not None:
            _count(name, value, low)
    return Params().replace(**params)


def _show(shell, etype, value, tb, tb_offset=None) -> None:
    print(i18n.t("err.prefix", message=value), file=sys.stderr)


def one_line_errors() -> None:
    """In IPython/Jupyter, show an :class:`InputError` as one line, as the command line does.

    Other exceptions keep their full traceback. Outside IPython this does nothing.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((InputError,), _show)
