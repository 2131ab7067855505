"""The govsim dashboard: govsim's page around Mesa's model controller and :class:`DashboardModel`.

Serve it with ``govsim dashboard`` (loopback only unless ``--allow-remote``),
or ``solara run sim.dashboard.app``. Every browser session gets its own model
and its own language (the app bar's English / 中文 switch; the default is
``--lang`` / ``GOVSIM_LANG``). The sidebar holds Mesa's Reset / ▶ / Step
controller and the policy levers (:mod:`sim.dashboard.levers`): each slider has
its value beside it in a number box that can be typed into; like every model
parameter they apply when Reset is pressed. The main area shows what was
rejected (one-line messages, never a traceback), the neighbourhood network
coloured by a chosen state, and live charts of the loop, the equity gaps,
trust and satisfaction, on one page (no tabs). The page embeds the subset of
the CJK font its Chinese needs (:func:`sim.fonts.font_face_css`), so it
renders on a machine without CJK fonts.
"""

from __future__ import annotations

import html
import re
from functools import cache
from typing import Any

import solara
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter

from .. import fonts, i18n
from ..errors import InputError
from ..metrics import day_values
from ..model import GovModel
from . import charts, network_view
from .levers import LEVERS, build_params, model_params

RENDER_INTERVAL = 7  # days per press of Step (the sidebar's Render Interval slider changes it)
PLAY_INTERVAL_MS = 200
SIDEBAR_PX = 460
LANG_NAMES = {"en": "English", "zh": "中文"}


class DashboardModel(GovModel):
    """A :class:`GovModel` built from dashboard control values; bad values are reported, not raised.

    Args:
        seed: run seed (0-99 from the slider).
        extra: free text of other ``key=value`` parameter settings.
        scenario: passed by SolaraViz's Reset (a Mesa ``Scenario``); ignored, since the
            controls are govsim's scenario.
        **levers: parameter name -> control value (see :data:`~sim.dashboard.levers.LEVERS`).

    Attributes:
        input_errors: one line per rejected value; the model runs without them.
    """

    def __init__(self, seed: int = 0, extra: str = "", scenario: object = None, **levers: Any) -> None:
        params, errors = build_params(levers, extra)
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            errors.append(f"seed = {seed!r}: expected an integer >= 0")
            seed = 0
        super().__init__(params, seed)
        self.input_errors = errors


def _start_lang() -> str:
    """``GOVSIM_LANG`` (set by ``govsim dashboard`` from --lang) or the locale; English if unknown."""
    try:
        return i18n.from_environment()
    except InputError:
        return i18n.DEFAULT


# Per-session choices (solara.reactive values are per browser session).
colour_by = solara.reactive("unmet need")
grid_shown = solara.reactive(0)
language = solara.reactive(_start_lang())


def _table(model: GovModel):
    return day_values(model.datacollector.get_model_vars_dataframe())


def _lever_text(model: DashboardModel, lang: str = "en") -> str:
    """The levers' values in the running model, e.g. ``Partner units per community: `12` · ...``."""

    def show(value) -> str:
        return value if isinstance(value, str) else f"{value:g}"

    def short(name: str) -> str:
        label = i18n.t(f"dashboard.{name}", lang)
        return re.split(r" \(|（", label)[0] or label

    return " · ".join(f"{short(name)}: `{show(getattr(model.params, name))}`" for name in LEVERS)


def _rich(text: str) -> str:
    """``**bold**`` and ```code``` as HTML, everything else escaped. (solara.Markdown would do it,
    but it loads KaTeX from a CDN, which the offline assets do not ship.)"""
    out = html.escape(text)
    out = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", out)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", out)


@solara.component
def StatusCard(model: DashboardModel, lang: str = "en") -> None:
    """Rejected inputs, the parameters in use, how the controls apply, and the run so far."""
    update_counter.get()
    t = lambda key, **kw: i18n.t(key, lang, **kw)  # noqa: E731
    df = _table(model)
    unmet = charts.unmet_so_far(df).iloc[-1] if len(df) else float("nan")
    shown = "-" if unmet != unmet else f"{unmet:.1%}"
    with solara.Column(style={"height": "100%", "overflow-y": "auto"}):  # never spill over the charts
        for message in getattr(model, "input_errors", []):
            solara.Error(t("dashboard.not_applied", message=message), dense=True)
        status = t(
            "dashboard.status",
            residents=f"{model.pop.n:,}",
            seed=model.seed,
            days=model.steps,
            spinup=model.day0,
            unmet=shown,
        )
        solara.HTML(tag="div", unsafe_innerHTML=_rich(status))
        solara.Text(
            t("dashboard.how_controls", interval=RENDER_INTERVAL),
            style={"font-size": "0.85em", "color": "#1565c0"},
        )
        solara.HTML(
            tag="div", unsafe_innerHTML=_rich(t("dashboard.in_use", levers=_lever_text(model, lang))),
            style={"font-size": "0.85em"},
        )  # fmt: skip


@solara.component
def NetworkView(model: DashboardModel, lang: str = "en") -> None:
    """The neighbourhood network of one grid, coloured by the chosen state."""
    update_counter.get()
    n_grids = len(model.pop.grid_community)
    names = {network_view.state_label(s, lang): s for s in network_view.STATES}
    shown = network_view.state_label(colour_by.value, lang)
    with solara.Row():
        solara.Select(
            i18n.t("network.colour_by", lang), value=shown, values=list(names),
            on_value=lambda v: colour_by.set(names[v]), dense=True,
        )  # fmt: skip
        solara.Select(i18n.t("network.grid", lang), value=grid_shown, values=list(range(n_grids)), dense=True)
    sample = network_view.sample_neighbourhood(model, grid=min(grid_shown.value, n_grids - 1), lang=lang)
    solara.Text(sample.note, style={"font-size": "0.75em", "color": "#555"})
    fig = network_view.draw(model, sample, colour_by.value, lang=lang)
    solara.FigureMatplotlib(fig, format="png")


@solara.component
def LoopChart(model: DashboardModel, lang: str = "en") -> None:
    update_counter.get()
    solara.FigureMatplotlib(charts.loop_figure(_table(model), lang), format="png")


@solara.component
def EquityChart(model: DashboardModel, lang: str = "en") -> None:
    update_counter.get()
    solara.FigureMatplotlib(charts.equity_figure(_table(model), lang), format="png")


@solara.component
def TrustChart(model: DashboardModel, lang: str = "en") -> None:
    update_counter.get()
    solara.FigureMatplotlib(charts.trust_figure(_table(model), lang), format="png")


def _initial_model() -> DashboardModel:
    defaults = {k: v["value"] for k, v in model_params().items()}
    return DashboardModel(**defaults)


@cache
def page_css() -> str:
    """The page's style: a wide sidebar, slider labels above full-width tracks, number boxes
    beside them, and the CJK font (cut to the catalogue's Chinese) first in the font stack."""
    chinese = "".join(i18n.catalogue("zh").values()) + "".join(LANG_NAMES.values())
    chinese += "".join(v for term in i18n.glossary().values() for v in term.values())
    return (
        fonts.font_face_css(chinese)
        + f"body,.v-application,.v-application .body-1,.v-application .text-h6{{font-family:{fonts.CSS_STACK}"
        " !important}"
        f".v-navigation-drawer{{width:{SIDEBAR_PX}px !important}}"
        f".v-main{{padding-left:{SIDEBAR_PX}px !important}}"
        ".govsim-lever .v-input__slot{flex-wrap:wrap}"
        ".govsim-lever .v-input__slot{height:auto !important}"
        ".govsim-lever .v-input__slot>.v-label{flex:0 0 100%;max-width:100%;white-space:normal;"
        "height:auto !important;line-height:1.3;margin-bottom:4px}"
        ".govsim-number{flex:0 0 92px !important;max-width:92px}"
    )


@solara.component
def LeverInput(spec: dict[str, Any], value: Any, on_value, lang: str) -> None:
    """One control: a slider over the lever's range with its value in an editable number box beside
    it (a typed value outside the slider's range is checked like --set when Reset applies it)."""
    kind = spec["type"]
    if kind in ("SliderInt", "SliderFloat"):
        slider, box = (
            (solara.SliderInt, solara.InputInt)
            if kind == "SliderInt"
            else (solara.SliderFloat, solara.InputFloat)
        )
        with solara.Row(style={"align-items": "flex-end", "width": "100%"}, gap="8px"):
            with solara.Column(classes=["govsim-lever"], style={"flex": "1 1 auto", "min-width": "0"}):
                slider(
                    spec["label"], value=value, on_value=on_value, min=spec["min"], max=spec["max"],
                    step=spec.get("step", 1), thumb_label=False,
                )  # fmt: skip
            box(
                i18n.t("dashboard.value", lang), value=value, on_value=on_value, continuous_update=False,
                classes=["govsim-number"], dense=True,
            )  # fmt: skip
    elif kind == "Select":
        solara.Select(spec["label"], value=value, on_value=on_value, values=spec["values"])
    elif kind == "Checkbox":
        solara.Checkbox(label=spec["label"], value=bool(value), on_value=on_value)
    else:
        solara.InputText(spec["label"], value=value, on_value=on_value)


@solara.component
def Page() -> None:
    """One model per browser session (a module-level model would be shared by all of them)."""
    lang = language.value
    t = lambda key, **kw: i18n.t(key, lang, **kw)  # noqa: E731
    first = solara.use_memo(_initial_model, [])
    model = solara.use_reactive(first)
    specs = model_params(lang=lang)
    values = solara.use_reactive({k: v["value"] for k, v in model_params().items()})
    render = solara.use_reactive(RENDER_INTERVAL)
    play = solara.use_reactive(PLAY_INTERVAL_MS)
    threads = solara.use_reactive(False)  # Mesa's controller reads .value of it
    solara.Style(page_css())
    solara.Title(t("dashboard.title"))
    with solara.AppBar():
        solara.AppBarTitle(t("dashboard.title"))
        solara.ToggleButtonsSingle(
            value=language, on_value=language.set,
            children=[solara.Button(name, value=code, text=True) for code, name in LANG_NAMES.items()],
        )  # fmt: skip
    with solara.Sidebar():
        with solara.Card(t("dashboard.controls")):
            ModelController(
                model,
                model_parameters=values,
                play_interval=play,
                render_interval=render,
                use_threads=threads,
            )
            interval = {"type": "SliderInt", "label": t("dashboard.render_interval"), "min": 1, "max": 100}
            LeverInput(interval, render.value, render.set, lang)
        with solara.Card(t("dashboard.parameters")):
            for name, spec in specs.items():

                def change(v, name=name):
                    values.value = {**values.value, name: v}

                LeverInput(spec, values.value[name], change, lang)
    m = model.value
    with solara.Columns([1, 1]):
        with solara.Card(style={"height": "470px"}):
            StatusCard(m, lang)
        with solara.Card(style={"height": "470px"}):
            NetworkView(m, lang)
    with solara.Columns([1, 1]):
        with solara.Card():
            LoopChart(m, lang)
        with solara.Card():
            EquityChart(m, lang)
    with solara.Columns([1, 1]), solara.Card():
        TrustChart(m, lang)
