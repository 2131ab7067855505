"""Policies: small serialisable interventions with one lifecycle (start day, end day).

A policy is data — a kind, its arguments, and when it applies. The model calls
``start(model)`` at the beginning of ``start_day`` and ``end(model)`` at the
beginning of ``end_day`` (if any). Structural policies (more partner units in
given communities) change the model's actors; parameter policies swap the
model's parameters for a period. :func:`policy_from_dict` builds one from a
scenario file's table and rejects unknown keys.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from . import i18n
from .params import BUILD_ONLY, Params, check_like, plain

if TYPE_CHECKING:
    from .model import GovModel


@dataclass(frozen=True)
class Policy:
    """Base class. ``end_day`` None means the policy lasts to the end of the run."""

    kind: ClassVar[str] = "policy"
    start_day: int = 0
    end_day: int | None = None

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):  # numpy scalars as Python's, then checked alike
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                value = tuple(plain(v) for v in value)
            elif isinstance(value, dict):
                value = {k: plain(v) for k, v in value.items()}
            else:
                value = plain(value)
            object.__setattr__(self, f.name, value)
        if isinstance(self.start_day, bool) or not isinstance(self.start_day, int) or self.start_day < 0:
            raise i18n.error("policy_start", kind=self.kind, value=repr(self.start_day))
        bad_end = isinstance(self.end_day, bool) or not isinstance(self.end_day, int)
        if self.end_day is not None and (bad_end or self.end_day <= self.start_day):
            raise i18n.error("policy_end", kind=self.kind, value=repr(self.end_day))

    def validate(self, params: Params) -> None:
        """Check the policy against the model it will run in (communities exist)."""

    def start(self, model: GovModel) -> None:
        raise NotImplementedError

    def end(self, model: GovModel) -> None:
        """Undo the policy, where that has a meaning; default: nothing."""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **dataclasses.asdict(self)}


def _is_int(v: Any) -> bool:
    """An integer, not a bool (``True`` is not one unit)."""
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _check_communities(kind: str, communities: tuple[int, ...] | None, params: Params) -> None:
    if communities is None:
        return
    if not communities:
        raise i18n.error("policy_no_communities", kind=kind)
    seen = set()
    for c in communities:
        if _is_int(c) and c in seen:
            raise i18n.error("policy_community_twice", kind=kind, c=c)
        seen.add(c)
        if not _is_int(c) or not 0 <= c < params.communities:
            first = params.first_community
            where = i18n.t("err.index_0_is", first=first) if first else ""
            raise i18n.error(
                "policy_no_such_community",
                kind=kind,
                c=repr(c),
                last=params.communities - 1,
                n=params.communities,
                where=where,
            )


@dataclass(frozen=True)
class ParamChange(Policy):
    """Set parameters from ``start_day`` and restore them at ``end_day``.

    Args:
        changes: parameter name -> value, validated like ``--set``.
    """

    kind: ClassVar[str] = "param_change"
    changes: dict[str, Any] = field(default_factory=dict)

    def validate(self, params: Params) -> None:
        for key in self.changes:
            if key in BUILD_ONLY:
                raise i18n.error("policy_build_only", kind=self.kind, key=key)
        params.replace(**self.changes)

    def start(self, model: GovModel) -> None:
        model.set_params(model.params.replace(**self.changes))

    def end(self, model: GovModel) -> None:
        restore = {k: getattr(model.base_params, k) for k in self.changes}
        model.set_params(model.params.replace(**restore))


@dataclass(frozen=True)
class AddPartnerUnits(Policy):
    """Bring ``count`` more member units into each listed community's 大党委.

    Args:
        count: units added per community (1-200).
        communities: the model's community indices (0 is district community
            ``first_community``); None means every community.
    """

    kind: ClassVar[str] = "add_partner_units"
    count: int = 10
    communities: tuple[int, ...] | None = None

    def validate(self, params: Params) -> None:
        if not _is_int(self.count) or not 1 <= self.count <= 200:
            raise i18n.error("policy_count", kind=self.kind, value=repr(self.count), hi=200)
        _check_communities(self.kind, self.communities, params)

    def start(self, model: GovModel) -> None:
        comms = self.communities if self.communities is not None else range(model.params.communities)
        added = model.add_units(np.repeat(np.asarray(comms, dtype=np.int32), self.count))
        model.policy_memory[id(self)] = added

    def end(self, model: GovModel) -> None:
        model.retire_units(model.policy_memory.pop(id(self)))


@dataclass(frozen=True)
class VolunteerDrive(Policy):
    """A recruitment drive: ``recruits`` share of non-volunteer adults register at once.

    Args:
        recruits: share of adults not yet volunteering who register (0-0.5).
        active_share: share of the new recruits who start active (0-1); None takes the
            ``recruit_active_share`` parameter.
        communities: the model's community indices (0 is district community
            ``first_community``); None means every community.
    """

    kind: ClassVar[str] = "volunteer_drive"
    recruits: float = 0.03
    active_share: float | None = None
    communities: tuple[int, ...] | None = None

    def validate(self, params: Params) -> None:
        for name, hi in (("recruits", 0.5), ("active_share", 1.0)):
            v = getattr(self, name)
            if v is None and name == "active_share":
                continue
            if not _is_number(v) or not 0 <= v <= hi:
                raise i18n.error("policy_number", kind=self.kind, name=name, value=repr(v), hi=hi)
        _check_communities(self.kind, self.communities, params)

    def start(self, model: GovModel) -> None:
        comms = self.communities if self.communities is not None else range(model.params.communities)
        for c in comms:
            model.committees[c].recruit(share=self.recruits, active_share=self.active_share, decision="drive")


@dataclass(frozen=True)
class AddCanteen(Policy):
    """Open ``count`` more canteens in each listed community, sited where most
    people aged 60+ live beyond walking distance of an open canteen.

    Terms left as None take the ``canteen_*`` parameters.

    Args:
        count: canteens per community (1-5).
        communities: the model's community indices (0 is district community
            ``first_community``); None means every community.
        seats, sittings, price, discount, subsidy, quality: the canteen's terms.
    """

    kind: ClassVar[str] = "add_canteen"
    count: int = 1
    communities: tuple[int, ...] | None = None
    seats: int | None = None
    sittings: int | None = None
    price: float | None = None
    discount: float | None = None
    subsidy: float | None = None
    quality: float | None = None

    _TERMS: ClassVar[dict[str, str]] = {
        "seats": "canteen_seats",
        "sittings": "canteen_sittings",
        "price": "canteen_price",
        "discount": "canteen_elder_discount",
        "subsidy": "canteen_subsidy",
        "quality": "canteen_quality",
    }

    def validate(self, params: Params) -> None:
        if not _is_int(self.count) or not 1 <= self.count <= 5:
            raise i18n.error("policy_count", kind=self.kind, value=repr(self.count), hi=5)
        for term, param in self._TERMS.items():
            value = getattr(self, term)
            if value is not None:
                check_like(param, value, i18n.t("err.policy_term", kind=self.kind, term=term))
        _check_communities(self.kind, self.communities, params)

    def start(self, model: GovModel) -> None:
        comms = self.communities if self.communities is not None else range(model.params.communities)
        terms = {term: getattr(self, term) for term in self._TERMS}
        opened = [model.canteens.open(c, **terms) for c in comms for _ in range(self.count)]
        model.policy_memory[id(self)] = opened

    def end(self, model: GovModel) -> None:
        for k in model.policy_memory.pop(id(self)):
            model.canteens.close(k)
        model.canteens.refresh_geography()


POLICY_TYPES: dict[str, type[Policy]] = {
    cls.kind: cls for cls in (ParamChange, AddPartnerUnits, VolunteerDrive, AddCanteen)
}


def policy_from_dict(table: dict[str, Any], where: str = "policy") -> Policy:
    """Build a policy from ``{"kind": ..., **arguments}``; unknown kinds and keys are errors."""
    kind = table.get("kind")
    if kind not in POLICY_TYPES:
        raise i18n.error("policy_unknown_kind", where=where, kind=repr(kind), kinds=", ".join(POLICY_TYPES))
    cls = POLICY_TYPES[kind]
    allowed = {f.name for f in dataclasses.fields(cls)}
    args = {k: v for k, v in table.items() if k != "kind"}
    for key in args:
        if key not in allowed:
            raise i18n.error(
                "policy_key", where=where, key=key, kind=kind, allowed=", ".join(sorted(allowed))
            )
    if "communities" in args and args["communities"] is not None:
        args["communities"] = tuple(args["communities"])
    if kind == "param_change":
        args["changes"] = dict(args.get("changes", {}))
    return cls(**args)
