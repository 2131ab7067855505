"""Priors of the [E] parameters: what values are plausible, and samples drawn from them.

The validity range of a parameter (``sim.params``) says what the code accepts; its prior
says what a Tiexi-like community plausibly has. The priors live in one data file,
``sim/data/priors.toml``, in groups that state one rule and its reasoning for the
parameters they list (for instance "+-50 % of the default, uniform"). Every parameter
tagged ``E`` appears there exactly once: with a distribution (uniform, log-uniform or
triangular with its mode at the default; categorical for a choice), or marked ``fixed``
with the reason it is not uncertain. :func:`load_priors` resolves the rules into bounds
and checks them; :func:`sample` draws valid :class:`~sim.params.Params` by Latin
hypercube or Sobol; :func:`salib_problem` describes the same distributions to SALib.

``python -m sim.priors --out docs/priors.md`` writes the table (``make priors``).
"""

from __future__ import annotations

import dataclasses
import math
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from scipy import stats
from scipy.stats import qmc

from . import i18n
from .errors import InputError
from .params import Params
from .versions import source_commit

PRIORS_FILE = Path(__file__).resolve().parent / "data" / "priors.toml"
SCHEMA = 1
DISTS = ("uniform", "loguniform", "triangular", "categorical", "fixed")
RULES = ("relative", "factor")
COMPOSE = ("sum_to_one",)
GROUP_KEYS = {"id", "dist", "reason", "params", "bounds", "rule", "spread", "factor", "compose", "choices"}


@dataclass(frozen=True)
class Prior:
    """One parameter's prior.

    Attributes:
        name: the parameter.
        dist: uniform, loguniform, triangular, categorical or fixed.
        lo, hi: bounds of the values drawn (integers for an int parameter; the default for fixed).
        mode: the triangular distribution's peak (the default); None otherwise.
        integer: draws are whole numbers (each integer in [lo, hi] gets the mass of [k - 0.5, k + 0.5]).
        choices: the values of a categorical prior (equally likely).
        group: the group of the priors file that states it.
        reason: why, in words.
        compose: the group's composition rule ("sum_to_one": draws rescaled to sum to 1), or "".
    """

    name: str
    dist: str
    lo: float
    hi: float
    mode: float | None
    integer: bool
    choices: tuple = ()
    group: str = ""
    reason: str = ""
    compose: str = ""

    @property
    def uncertain(self) -> bool:
        return self.dist != "fixed"

    def _support(self) -> tuple[float, float]:
        """The continuous interval drawn from (integers: widened by half a step each side)."""
        if self.integer:
            return self.lo - 0.5, self.hi + 0.5
        return self.lo, self.hi

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Map quantiles in [0, 1] to values (floats; :func:`to_params` rounds integers)."""
        u = np.clip(np.asarray(u, float), 0.0, 1.0)
        a, b = self._support()
        if self.dist == "uniform":
            return a + u * (b - a)
        if self.dist == "loguniform":
            return stats.loguniform.ppf(u, a, b)
        if self.dist == "triangular":
            return stats.triang.ppf(u, (self.mode - a) / (b - a), loc=a, scale=b - a)
        if self.dist == "categorical":
            return np.minimum(np.floor(u * len(self.choices)), len(self.choices) - 1)
        return np.full_like(u, self.lo)

    def scipy(self):
        """This prior as a frozen scipy.stats distribution (discrete for integers and choices:
        integer k has the continuous prior's mass on [k - 0.5, k + 0.5], choice i the mass 1/n)."""
        a, b = self._support()
        if self.dist == "fixed":
            raise i18n.error("apierr.prior_fixed_dist", name=self.name)
        if self.dist == "categorical":
            n = len(self.choices)
            return stats.rv_discrete(name=self.name, values=(np.arange(n), np.full(n, 1.0 / n)))
        if self.dist == "uniform":
            cont = stats.uniform(a, b - a)
        elif self.dist == "loguniform":
            cont = stats.loguniform(a, b)
        else:
            cont = stats.triang((self.mode - a) / (b - a), loc=a, scale=b - a)
        if not self.integer:
            return cont
        if self.dist == "uniform":
            return stats.randint(int(self.lo), int(self.hi) + 1)
        ks = np.arange(int(self.lo), int(self.hi) + 1)
        pmf = np.diff(cont.cdf(np.append(ks - 0.5, ks[-1] + 0.5)))
        return stats.rv_discrete(name=self.name, values=(ks, pmf / pmf.sum()))

    def salib(self) -> tuple[str, list[float]]:
        """This prior as SALib's (dist, bounds)."""
        a, b = self._support()
        if self.dist == "uniform":
            return "unif", [float(a), float(b)]
        if self.dist == "loguniform":
            return "logunif", [float(a), float(b)]
        if self.dist == "triangular":
            return "triang", [float(a), float(b), float((self.mode - a) / (b - a))]
        if self.dist == "categorical":
            return "unif", [0.0, float(len(self.choices))]
        raise i18n.error("apierr.prior_fixed_salib", name=self.name)


def _fields() -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(Params)}


def _is_int(f: dataclasses.Field) -> bool:
    return f.type in ("int", int)


def _number(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _resolve(path: Path, g: dict, gid: str, name: str, f: dataclasses.Field, explicit) -> Prior:
    """One parameter of group ``g`` as a checked :class:`Prior`."""
    m, default = f.metadata, f.default
    where = i18n.t("apierr.prior_where", path=path, group=gid, name=name)
    dist = g["dist"]
    if m["tag"] != "E":
        raise i18n.error("apierr.prior_not_e", where=where, tag=m["tag"])
    reason = str(g.get("reason", "")).strip()
    compose = g.get("compose", "")
    if dist == "fixed":
        return Prior(name, "fixed", default, default, None, _is_int(f), (), gid, reason, compose)
    if m["choices"] or isinstance(default, bool):
        if dist != "categorical":
            raise i18n.error("apierr.prior_choice", where=where)
        choices = tuple(g.get("choices") or m["choices"] or (False, True))
        allowed = m["choices"] or (False, True)
        if any(c not in allowed for c in choices) or default not in choices:
            raise i18n.error(
                "apierr.prior_choices", where=where, choices=list(choices), allowed=list(allowed)
            )
        return Prior(name, dist, 0, len(choices) - 1, None, True, choices, gid, reason, compose)
    if dist == "categorical":
        raise i18n.error("apierr.prior_categorical", where=where, name=name)
    if explicit is not None:
        if not (isinstance(explicit, list) and len(explicit) == 2 and all(_number(v) for v in explicit)):
            raise i18n.error("apierr.prior_bounds", where=where, value=repr(explicit))
        lo, hi = explicit
    else:
        rule = g.get("rule")
        if rule == "relative":
            s = g.get("spread")
            if not (_number(s) and 0 < s < 1):
                raise i18n.error("apierr.prior_spread", path=path, group=gid, value=repr(s))
            lo, hi = sorted((default * (1 - s), default * (1 + s)))
        elif rule == "factor":
            k = g.get("factor")
            if not (_number(k) and k > 1):
                raise i18n.error("apierr.prior_factor", path=path, group=gid, value=repr(k))
            lo, hi = default / k, default * k
        else:
            rules = i18n.t("apierr.or").join(RULES)
            raise i18n.error("apierr.prior_no_bounds", path=path, group=gid, name=name, rules=rules)
        lo, hi = max(lo, m["lo"]), min(hi, m["hi"])  # rules are clipped to the validity range
    if _is_int(f):
        if explicit is not None and not all(float(v).is_integer() for v in (lo, hi)):
            raise i18n.error("apierr.prior_whole", where=where, lo=lo, hi=hi)
        lo, hi = math.ceil(lo - 1e-9), math.floor(hi + 1e-9)
    else:
        lo, hi = float(lo), float(hi)
    if not lo < hi:
        raise i18n.error("apierr.prior_empty", where=where, lo=lo, hi=hi)
    if not (m["lo"] <= lo and hi <= m["hi"]):
        raise i18n.error("apierr.prior_validity", where=where, lo=lo, hi=hi, vlo=m["lo"], vhi=m["hi"])
    if not lo <= default <= hi:
        raise i18n.error("apierr.prior_default", where=where, default=default, lo=lo, hi=hi)
    mode = None
    if dist == "triangular":
        mode = float(default)
        a, b = (lo - 0.5, hi + 0.5) if _is_int(f) else (lo, hi)
        if not a < mode < b or b < 0:
            raise i18n.error("apierr.prior_triangular", where=where)
    if dist == "loguniform" and lo - (0.5 if _is_int(f) else 0) <= 0:
        raise i18n.error("apierr.prior_loguniform", where=where, lo=lo, hi=hi)
    return Prior(name, dist, lo, hi, mode, _is_int(f), (), gid, reason, compose)


def _fail_key(path: Path, key: str, what: str, /, **values) -> InputError:
    """``path: key: message``, the message ``apierr.<what>`` in the current language."""
    return i18n.error("apierr.priors_key", path=path, key=key, message=i18n.t(f"apierr.{what}", **values))


def _group(gid: str) -> str:
    return i18n.t("apierr.priors_group", group=gid)


@cache
def _load(path: Path) -> tuple[dict[str, Prior], tuple[dict, ...]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise i18n.error("apierr.priors_missing", path=path) from None
    except (OSError, UnicodeDecodeError) as err:
        detail = err.strerror if isinstance(err, OSError) and err.strerror else err
        raise i18n.error("apierr.priors_unreadable", path=path, detail=detail) from None
    except tomllib.TOMLDecodeError as err:
        raise i18n.error("apierr.priors_toml", path=path, detail=err) from None
    if data.get("schema") != SCHEMA:
        raise _fail_key(path, "schema", "priors_schema", value=repr(data.get("schema")), schema=SCHEMA)
    extra = set(data) - {"schema", "group"}
    if extra:
        raise _fail_key(path, sorted(extra)[0], "priors_top_key")
    groups = data.get("group")
    if not isinstance(groups, list) or not groups:
        raise _fail_key(path, "group", "priors_no_groups")
    fields = _fields()
    priors: dict[str, Prior] = {}
    ids: set[str] = set()
    for i, g in enumerate(groups):
        gid = g.get("id")
        if not isinstance(gid, str) or not gid or gid in ids:
            raise _fail_key(path, i18n.t("apierr.priors_group_n", n=i + 1), "priors_id", value=repr(gid))
        ids.add(gid)
        unknown = set(g) - GROUP_KEYS
        if unknown:
            raise _fail_key(path, _group(gid), "priors_unknown_key", key=sorted(unknown)[0])
        if g.get("dist") not in DISTS:
            raise _fail_key(
                path, _group(gid), "priors_dist", value=repr(g.get("dist")), allowed=", ".join(DISTS)
            )
        if g.get("compose", "") not in ("", *COMPOSE):
            raise _fail_key(
                path, _group(gid), "priors_compose", value=repr(g["compose"]), allowed=", ".join(COMPOSE)
            )
        if not str(g.get("reason", "")).strip():
            raise _fail_key(path, _group(gid), "priors_reason")
        names = g.get("params", [])
        bounds = g.get("bounds", {})
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise _fail_key(path, _group(gid), "priors_params")
        if not isinstance(bounds, dict):
            raise _fail_key(path, _group(gid), "priors_bounds_table")
        for name in [*names, *bounds]:
            if name not in fields:
                raise _fail_key(path, _group(gid), "priors_unknown_param", name=name)
            if name in priors:
                raise _fail_key(path, _group(gid), "priors_twice", name=name, group=priors[name].group)
            priors[name] = _resolve(path, g, gid, name, fields[name], bounds.get(name))
    missing = [f.name for f in fields.values() if f.metadata["tag"] == "E" and f.name not in priors]
    if missing:
        raise i18n.error("apierr.priors_no_prior", path=path, name=missing[0], n=len(missing))
    _check_compositions(path, priors)
    order = {n: i for i, n in enumerate(fields)}
    return dict(sorted(priors.items(), key=lambda kv: order[kv[0]])), tuple(groups)


def _check_compositions(path: Path, priors: Mapping[str, Prior]) -> None:
    for gid in {p.group for p in priors.values() if p.compose}:
        members = [p for p in priors.values() if p.group == gid]
        total = sum(_fields()[p.name].default for p in members)
        if abs(total - 1.0) > 1e-6:
            raise _fail_key(path, _group(gid), "priors_sum", total=f"{total:.6g}")


def load_priors(path: Path | str | None = None) -> dict[str, Prior]:
    """Every [E] parameter's prior, in parameter order; :class:`InputError` (one line naming the
    file and key) when the file is missing, damaged, or does not match the parameters."""
    return dict(_load(Path(path) if path is not None else PRIORS_FILE)[0])


def uncertain(priors: Mapping[str, Prior] | None = None) -> list[str]:
    """Names of the parameters with a prior (not fixed), in parameter order."""
    priors = load_priors() if priors is None else priors
    return [n for n, p in priors.items() if p.uncertain]


def _names(names: Sequence[str] | None, priors: Mapping[str, Prior]) -> list[str]:
    if names is None:
        return uncertain(priors)
    names = list(names)
    for n in names:
        if n not in priors:
            raise i18n.error("apierr.prior_none", name=n)
        if not priors[n].uncertain:
            raise i18n.error("apierr.prior_not_sampled", name=n, group=priors[n].group)
    if len(set(names)) != len(names):
        raise i18n.error("apierr.prior_twice")
    return names


def from_unit(u: np.ndarray, names: Sequence[str] | None = None, path=None) -> np.ndarray:
    """Map points of the unit hypercube (rows; one column per name) through the priors' quantiles."""
    priors = load_priors(path)
    names = _names(names, priors)
    u = np.atleast_2d(np.asarray(u, float))
    if u.shape[1] != len(names):
        raise ValueError(i18n.t("apierr.prior_columns", columns=u.shape[1], n=len(names)))
    return np.column_stack([priors[n].ppf(u[:, j]) for j, n in enumerate(names)]) if names else u


def to_params(x: np.ndarray, names: Sequence[str] | None = None, base: Params | None = None, path=None):
    """Rows of values (in the priors' units, e.g. a SALib sample of :func:`salib_problem`) as
    :class:`Params`: integers rounded, choices looked up, compositions rescaled to sum to 1."""
    priors = load_priors(path)
    names = _names(names, priors)
    base = base or Params()
    x = np.atleast_2d(np.asarray(x, float))
    compositions: dict[str, list[str]] = {}
    for p in priors.values():
        if p.compose:
            compositions.setdefault(p.group, []).append(p.name)
    touched = {priors[n].group for n in names if priors[n].compose}
    out = []
    for row in x:
        values: dict[str, object] = {}
        for n, v in zip(names, row, strict=True):
            p = priors[n]
            if p.dist == "categorical":
                values[n] = p.choices[int(min(max(math.floor(v), 0), len(p.choices) - 1))]
            elif p.integer:
                values[n] = int(min(max(round(v), p.lo), p.hi))
            else:
                values[n] = float(min(max(v, p.lo), p.hi))
        for gid in touched:
            members = compositions[gid]
            raw = [float(values.get(n, getattr(base, n))) for n in members]
            total = math.fsum(raw)
            for n, v in zip(members, raw, strict=True):
                values[n] = v / total
        out.append(base.replace(**values))
    return out


def sample(
    n: int,
    seed: int,
    names: Sequence[str] | None = None,
    *,
    method: str = "lhs",
    base: Params | None = None,
    path=None,
) -> list[Params]:
    """``n`` parameter sets drawn from the priors of ``names`` (default: every uncertain [E]
    parameter) by a scrambled Latin hypercube (``method="lhs"``) or Sobol sequence
    (``"sobol"``, ``n`` a power of 2), the others at ``base`` (default: the defaults)."""
    if not isinstance(n, int) or n < 1:
        raise i18n.error("apierr.sample_n", value=repr(n))
    priors = load_priors(path)
    names = _names(names, priors)
    rng = np.random.default_rng(seed)
    if method == "lhs":
        u = qmc.LatinHypercube(d=max(len(names), 1), rng=rng).random(n)
    elif method == "sobol":
        if n & (n - 1):
            raise i18n.error("apierr.sobol_n", n=n)
        u = qmc.Sobol(d=max(len(names), 1), rng=rng).random_base2(int(math.log2(n)))
    else:
        raise i18n.error("apierr.sample_method", value=repr(method))
    u = u[:, : len(names)]
    return to_params(from_unit(u, names, path), names, base, path)


def salib_problem(names: Sequence[str] | None = None, path=None) -> dict:
    """A SALib problem with each parameter's prior (``dists``: unif, logunif, triang). Integer
    parameters span [lo - 0.5, hi + 0.5]: pass SALib's samples through :func:`to_params`."""
    priors = load_priors(path)
    names = _names(names, priors)
    dists, bounds = zip(*(priors[n].salib() for n in names), strict=True) if names else ((), ())
    return {"num_vars": len(names), "names": names, "bounds": list(bounds), "dists": list(dists)}


def ema_uncertainties(names: Sequence[str] | None = None, path=None) -> list:
    """The priors as EMA Workbench uncertainties (RealParameter / IntegerParameter /
    CategoricalParameter built from :meth:`Prior.scipy`). Needs the ema_workbench package.
    EMA draws each independently: pass its experiments through :func:`to_params`, which
    rescales the compositions to sum to 1."""
    from ema_workbench import CategoricalParameter, IntegerParameter, RealParameter

    priors = load_priors(path)
    out = []
    for n in _names(names, priors):
        p = priors[n]
        if p.dist == "categorical":
            out.append(CategoricalParameter(n, list(p.choices)))
        elif p.integer:
            out.append(IntegerParameter.from_dist(n, p.scipy()))
        else:
            out.append(RealParameter.from_dist(n, p.scipy()))
    return out


# --- the generated table --------------------------------------------------------------------------
def _fmt(v) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, int) or float(v).is_integer() and abs(v) >= 1:
        return f"{int(v):,}" if abs(v) >= 10_000 else str(int(v))
    return f"{v:.4g}"


def to_markdown(path: Path | None = None, command: str = "python -m sim.priors --out docs/priors.md") -> str:
    """docs/priors.md: the rules with their reasoning, then one row per [E] parameter."""
    path = Path(path) if path is not None else PRIORS_FILE
    priors, groups = _load(path)
    fields = _fields()
    shown = (
        path.relative_to(Path(__file__).resolve().parents[1])
        if path.is_relative_to(Path(__file__).resolve().parents[1])
        else path
    )
    n_fixed = sum(not p.uncertain for p in priors.values())
    counts = {d: sum(p.dist == d for p in priors.values()) for d in DISTS}
    lines = [
        "# Priors of the estimated parameters",
        "",
        f"Generated by `{command}` from `{shown}` at commit {source_commit()}; do not edit by hand.",
        "",
        f"Every parameter tagged [E] ({len(priors)}) has a prior here: what values are plausible for "
        "a Tiexi-like community, as opposed to its validity range (what the code accepts, "
        "`govsim params`). "
        + ", ".join(f"{counts[d]} {d}" for d in DISTS if counts[d])
        + f"; {len(priors) - n_fixed} are uncertain and {n_fixed} fixed. Triangular priors peak at "
        "the default. Integer parameters draw whole numbers, each equally wide in the quantile "
        "scale. Groups marked *sum to 1* are compositions: their draws are rescaled to sum to 1, "
        "so a share's siblings move with it. Bounds from a rule (relative: default × (1 ± spread); "
        "factor: default ÷ factor to default × factor) are clipped to the validity range. "
        "`sim.priors.sample(n, seed)` draws parameter sets by Latin hypercube or Sobol through these "
        "distributions; `sim.priors.salib_problem()` gives them to SALib.",
        "",
        "## Rules and their reasoning",
        "",
    ]
    for g in groups:
        members = [n for n, p in priors.items() if p.group == g["id"]]
        rule = ""
        if g.get("rule") == "relative":
            rule = f"; default × (1 ± {g['spread']})"
        elif g.get("rule") == "factor":
            rule = f"; default ÷ {g['factor']} to × {g['factor']}"
        if g.get("bounds"):
            rule += "; bounds per parameter" if not g.get("rule") else "; some bounds per parameter"
        compose = "; *sum to 1*" if g.get("compose") else ""
        reason = " ".join(str(g["reason"]).split())
        lines += [f"- **{g['id']}** ({g['dist']}{rule}{compose}; {len(members)} parameters): {reason}", ""]
    lines += [
        "## The priors",
        "",
        "| parameter | unit | default | prior | low | mode | high | validity | group |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, p in priors.items():
        f = fields[name]
        m = f.metadata
        validity = "|".join(m["choices"]) if m["choices"] else f"{_fmt(m['lo'])} – {_fmt(m['hi'])}"
        kind = p.dist + (" (int)" if p.integer and p.dist != "categorical" else "")
        if p.dist == "categorical":
            lo = hi = ""
            kind += ": " + ", ".join(map(str, p.choices))
        else:
            lo, hi = ("", "") if not p.uncertain else (_fmt(p.lo), _fmt(p.hi))
        mode = _fmt(p.mode) if p.mode is not None else ""
        lines.append(
            f"| {name} | {m['unit']} | {_fmt(f.default)} | {kind} | {lo} | {mode} | {hi} | {validity} "
            f"| {p.group} |"
        )
    return "\n".join(lines) + "\n"


def _parser():
    """The parser of ``python -m sim.priors``, its help in the current language."""
    from .i18n.cmdline import OneLineParser, add_lang_option, help_text

    ap = OneLineParser(prog="python -m sim.priors", description=help_text("priors"))
    add_lang_option(ap)
    ap.add_argument("--file", type=Path, default=None, help=help_text("priors_file"))
    ap.add_argument("--out", type=Path, default=None, help=help_text("priors_out"))
    return ap


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.priors [--lang LANG] [--file PATH] [--out PATH]``: check the priors and
    write the table."""
    from .i18n.cmdline import run_parser
    from .runner import atomic_write

    try:
        args = run_parser(_parser, argv)
    except InputError as err:
        print(i18n.t("err.prefix", message=err), file=sys.stderr)
        return 2
    command = "python -m sim.priors" + "".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
    try:
        text = to_markdown(args.file, command)
    except InputError as err:
        print(i18n.t("err.prefix", message=err), file=sys.stderr)
        return 2
    if args.out is None:
        print(text, end="")
    else:
        atomic_write(args.out, lambda p: p.write_text(text))
        print(i18n.t("cli.wrote", paths=args.out), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
