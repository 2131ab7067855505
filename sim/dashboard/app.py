"""The govsim dashboard: Mesa's SolaraViz around :class:`DashboardModel`.

Serve it with ``govsim dashboard`` (loopback only unless ``--allow-remote``),
or ``solara run sim.dashboard.app``. Every browser session gets its own model.
The sidebar's controls are the main policy levers (:mod:`sim.dashboard.levers`);
like every SolaraViz model parameter they apply when Reset is pressed. The main
area shows what was rejected (one-line messages, never a traceback), the
neighbourhood network coloured by a chosen state, and live charts of the loop,
the equity gaps, trust and satisfaction.
"""

from __future__ import annotations

from typing import Any

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from ..metrics import day_values
from ..model import GovModel
from . import charts, network_view
from .levers import LEVERS, build_params, model_params

RENDER_INTERVAL = 7  # days per press of Step (the sidebar's Render Interval slider changes it)


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


# Per-session choices of the network view (solara.reactive values are per browser session).
colour_by = solara.reactive("unmet need")
grid_shown = solara.reactive(0)


def _table(model: GovModel):
    return day_values(model.datacollector.get_model_vars_dataframe())


def _lever_text(model: DashboardModel) -> str:
    """The levers' values in the running model, e.g. ``Partner units per community: `12` · ...``."""

    def show(value) -> str:
        return value if isinstance(value, str) else f"{value:g}"

    return " · ".join(
        f"{label.split(' (')[0]}: `{show(getattr(model.params, name))}`"
        for name, (_, label, *_) in LEVERS.items()
    )


@solara.component
def StatusCard(model: DashboardModel) -> None:
    """Rejected inputs, the parameters in use, how the controls apply, and the run so far."""
    update_counter.get()
    df = _table(model)
    unmet = charts.unmet_so_far(df).iloc[-1] if len(df) else float("nan")
    shown = "-" if unmet != unmet else f"{unmet:.1%}"
    with solara.Column(style={"height": "100%", "overflow-y": "auto"}):  # never spill over the charts
        for message in getattr(model, "input_errors", []):
            solara.Error(f"govsim: error: {message} (not applied)", dense=True)
        solara.Markdown(
            f"**{model.pop.n:,} residents**, seed {model.seed} · days simulated: "
            f"**{model.steps}** (after a {model.day0}-day spin-up) · "
            f"unmet need so far: **{shown}**"
        )
        solara.Text(
            f"The sidebar's controls apply when you press Reset. Step runs as many days as the "
            f"Render Interval (default {RENDER_INTERVAL}); ▶ plays.",
            style={"font-size": "0.85em", "color": "#1565c0"},
        )
        solara.Markdown(f"In use: {_lever_text(model)}", style={"font-size": "0.85em"})


@solara.component
def NetworkView(model: DashboardModel) -> None:
    """The neighbourhood network of one grid, coloured by the chosen state."""
    update_counter.get()
    n_grids = len(model.pop.grid_community)
    with solara.Row():
        solara.Select("colour by", value=colour_by, values=list(network_view.STATES), dense=True)
        solara.Select("grid", value=grid_shown, values=list(range(n_grids)), dense=True)
    sample = network_view.sample_neighbourhood(model, grid=min(grid_shown.value, n_grids - 1))
    solara.Text(sample.note, style={"font-size": "0.75em", "color": "#555"})
    fig = network_view.draw(model, sample, colour_by.value)
    solara.FigureMatplotlib(fig, format="png")


@solara.component
def LoopChart(model: DashboardModel) -> None:
    update_counter.get()
    solara.FigureMatplotlib(charts.loop_figure(_table(model)), format="png")


@solara.component
def EquityChart(model: DashboardModel) -> None:
    update_counter.get()
    solara.FigureMatplotlib(charts.equity_figure(_table(model)), format="png")


@solara.component
def TrustChart(model: DashboardModel) -> None:
    update_counter.get()
    solara.FigureMatplotlib(charts.trust_figure(_table(model)), format="png")


COMPONENTS = [(StatusCard, 0), (NetworkView, 0), (LoopChart, 0), (EquityChart, 0), (TrustChart, 0)]


def _initial_model() -> DashboardModel:
    defaults = {k: v["value"] for k, v in model_params().items()}
    return DashboardModel(**defaults)


@solara.component
def Page() -> None:
    """One model per browser session (a module-level model would be shared by all of them)."""
    first = solara.use_memo(_initial_model, [])
    model = solara.use_reactive(first)
    SolaraViz(
        model,
        components=COMPONENTS,
        model_params=model_params(),
        name="govsim: community governance, Tiexi District",
        render_interval=RENDER_INTERVAL,
        play_interval=200,
    )
