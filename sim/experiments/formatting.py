"""How outcomes print: shares as percentages (differences in percentage points), counts plainly."""

from __future__ import annotations

import math

from .. import i18n
from .stats import UNITS

SHARE_UNITS = ("share",)


def is_share(name: str) -> bool:
    return UNITS.get(name, "") in SHARE_UNITS


def unit_label(name: str) -> str:
    """Unit as shown next to a value, in the current language: ``%`` for shares, else the metric's unit."""
    return "%" if is_share(name) else i18n.unit_label(UNITS.get(name.partition(".")[0], ""))


def diff_unit_label(name: str) -> str:
    return i18n.t("unit.pp") if is_share(name) else unit_label(name)


def number(v: float, signed: bool = False) -> str:
    """A number with about three significant digits and thousands separators."""
    if v is None or v != v:
        return "–"
    a = abs(v)
    digits = (
        0 if a >= 100 or a == 0 else 1 if a >= 10 else 2 if a >= 1 else min(6, 2 - math.floor(math.log10(a)))
    )
    return f"{v:{'+' if signed else ''},.{digits}f}"


def value(name: str, v: float) -> str:
    """A level: ``4.2%`` for shares, ``1,392`` for counts."""
    if is_share(name) and v == v:
        return f"{100 * v:.1f}%"
    return number(v)


def scaled(name: str, v: float) -> float:
    """Values in display units (percent for shares)."""
    return 100 * v if is_share(name) else v


def diff(name: str, d: float, lo: float, hi: float) -> str:
    """A difference with its interval: ``+0.3 pp [-1.0, +1.5]``."""
    if d != d:
        return "–"
    unit = f" {i18n.t('unit.pp_short')}" if is_share(name) else ""
    d, lo, hi = (scaled(name, x) for x in (d, lo, hi))
    return f"{number(d, True)}{unit} [{number(lo, True)}, {number(hi, True)}]"


def estimate(v: float, lo: float, hi: float) -> str:
    """``123 [100, 150]``; the interval is left out when it is undefined."""
    if v != v:
        return "–"
    return number(v) + (f" [{number(lo)}, {number(hi)}]" if lo == lo else "")
