"""The dashboard's levers: which parameters get a control, and turning control values into Params.

Each lever is a parameter of :class:`~sim.params.Params`; its control's range
lies inside the parameter's declared range. Values that reach the model some
other way (the free-text box of other parameters, a hand-built model) are
validated like ``--set``: a bad one is left out and its one-line
:class:`~sim.errors.InputError` message is returned for the page to show.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .. import i18n
from ..errors import InputError
from ..params import DISPATCH_RULES, Params

# name -> (control, label, lo, hi, step); lo/hi/step are None for a Select or a Checkbox.
LEVERS: dict[str, tuple[str, str, Any, Any, Any]] = {
    "dispatch_rule": ("Select", "Dispatch rule (点单-派单-接单-评单)", None, None, None),
    "volunteer_registration": ("SliderFloat", "Volunteers registered (share of adults)", 0.0, 0.4, 0.01),
    "recognition": ("SliderFloat", "Recognition scheme strength (0-1)", 0.0, 1.0, 0.05),
    "partner_units": ("SliderInt", "Partner units per community (大党委)", 0, 60, 1),
    "grid_visits_per_worker_day": ("SliderFloat", "Grid-worker visits (households/day)", 0.0, 20.0, 0.5),
    "grid_workers_per_grid": ("SliderFloat", "Grid workers per grid", 0.0, 4.0, 0.25),
    "canteens_per_community": ("SliderInt", "Canteens per community", 0, 5, 1),
    "canteen_price": ("SliderFloat", "Canteen price (yuan/meal)", 4.0, 30.0, 0.5),
    "canteen_subsidy": ("SliderFloat", "Canteen subsidy (yuan per meal to 60+)", 0.0, 10.0, 0.5),
    "five_society_linkage": ("Checkbox", "Five-society linkage (五社联动)", None, None, None),
    "communities": ("SliderInt", "Communities", 1, 4, 1),
}
SEED_RANGE = (0, 99)
EXTRA_LABEL = "Other parameters (key=value, comma-separated; see 'govsim params')"


def model_params(defaults: Params | None = None, lang: str = "en") -> dict[str, Any]:
    """Mesa SolaraViz ``model_params``: one control per lever, plus the seed and free text;
    labels in ``lang`` (the catalogue's ``dashboard.<name>``)."""
    p = defaults or Params()
    out: dict[str, Any] = {
        "seed": {
            "type": "SliderInt",
            "label": i18n.t("dashboard.seed", lang),
            "value": 0,
            "min": SEED_RANGE[0],
            "max": SEED_RANGE[1],
        },
    }
    for name, (kind, _label, lo, hi, step) in LEVERS.items():
        value = getattr(p, name)
        spec: dict[str, Any] = {"type": kind, "label": i18n.t(f"dashboard.{name}", lang), "value": value}
        if kind == "Select":
            spec["values"] = list(DISPATCH_RULES)
        elif kind == "Checkbox":
            spec["value"] = bool(value)
        else:
            spec.update(min=lo, max=hi, step=step)
        out[name] = spec
    out["extra"] = {"type": "InputText", "label": i18n.t("dashboard.extra", lang), "value": ""}
    return out


def _coerce(name: str, value: Any) -> Any:
    """Control values as the parameter's type (a checkbox's bool as 0/1, an int slider's float)."""
    kind = {f.name: f.type for f in dataclasses.fields(Params)}.get(name, "")
    kind = kind if isinstance(kind, str) else kind.__name__
    if isinstance(value, bool):
        return int(value)
    if kind == "int" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def parse_extra(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """``"a=1, b=closed_loop"`` as ``([("a", "1"), ("b", "closed_loop")], [])``; a chunk without
    ``=`` becomes an error message instead of a pair."""
    pairs, errors = [], []
    for chunk in text.replace(";", ",").replace("\n", ",").split(","):
        if not chunk.strip():
            continue
        if "=" not in chunk:
            errors.append(f"{chunk.strip()!r} is not allowed: expected KEY=VALUE")
            continue
        key, value = chunk.split("=", 1)
        pairs.append((key.strip(), value.strip()))
    return pairs, errors


def build_params(levers: dict[str, Any], extra: str = "") -> tuple[Params, list[str]]:
    """Params from control values and the free-text box; returns (params, error messages).

    Every value is applied on its own, so one bad value leaves the others in force;
    a rejected value keeps the parameter's previous (default) value.
    """
    pairs, errors = parse_extra(extra or "")
    params, changes = Params(), [*levers.items(), *pairs]
    for name, value in changes:
        try:
            if isinstance(value, str):
                params = params.with_strings({name: value})
            else:
                params = params.replace(**{name: _coerce(name, value)})
        except InputError as err:
            errors.append(str(err))
    return params, errors
