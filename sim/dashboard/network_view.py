"""The neighbourhood network as a picture: which residents to show and what colour they are.

Pure functions of model state (numpy, networkx and matplotlib only), shared by
the dashboard and the notebooks. A whole community (~7,000 residents) is too
many dots to read, so :func:`sample_neighbourhood` shows whole buildings of one
grid, in building order, up to ``max_nodes`` residents; ties to residents
outside the sample are not drawn, and :attr:`Sample.note` says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
from matplotlib import rc_context
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .. import fonts, i18n
from ..needs import UNMET
from ..providers import ProviderState

if TYPE_CHECKING:
    from ..model import GovModel

MAX_NODES = 450
VOLUNTEER_LABELS = ("not_volunteer", "active", "inactive", "dropped")  # catalogue ids network.<id>
VOLUNTEER_COLOURS = ("#d9d9d9", "#2a9d4b", "#f0a202", "#6a3d9a")
# state name -> (catalogue id of its label, colormap, vmin, vmax); vmax None = from the data.
# The names are the English of the catalogue's network.<id> ("unmet need" = network.unmet_need).
STATES = {
    "unmet need": ("unmet_label", "Reds", 0.0, None),
    "satisfaction": ("satisfaction_label", "RdYlGn", 0.0, 1.0),
    "trust": ("trust_label", "RdYlGn", 0.0, 1.0),
    "volunteer status": ("volunteer_label", ListedColormap(VOLUNTEER_COLOURS), -0.5, 3.5),
}


def state_label(state: str, lang: str = "en") -> str:
    """A state's name in ``lang`` (the Select's entries)."""
    return i18n.t(f"network.{state.replace(' ', '_')}", lang)


@dataclass(frozen=True)
class Sample:
    """Residents to draw and a sentence saying what the picture leaves out."""

    nodes: np.ndarray
    grid: int
    note: str


def sample_neighbourhood(
    model: GovModel, grid: int = 0, max_nodes: int = MAX_NODES, lang: str = "en"
) -> Sample:
    """Residents of whole buildings of ``grid``, in building order, at most ``max_nodes`` of them.

    All residents are shown when the model has no more than ``max_nodes``.
    """
    pop = model.pop
    n_grids = len(pop.grid_community)
    if not 0 <= grid < n_grids:
        grid = 0
    if pop.n <= max_nodes:
        return Sample(np.arange(pop.n), grid, i18n.t("network.all_shown", lang, n=f"{pop.n:,}"))
    rows = np.flatnonzero(pop.grid == grid)
    buildings, counts = np.unique(pop.building[rows], return_counts=True)
    keep = buildings[np.cumsum(counts) <= max_nodes]
    # A single building larger than the cap: its first residents.
    nodes = rows[np.isin(pop.building[rows], keep)] if len(keep) else rows[:max_nodes]
    note = i18n.t(
        "network.sample", lang, k=f"{len(nodes):,}", n=f"{pop.n:,}", b=len(keep), buildings=len(buildings),
        grid=grid, community=int(pop.grid_community[grid]),
    )  # fmt: skip
    return Sample(nodes, grid, note)


def resident_state(model: GovModel, state: str) -> np.ndarray:
    """One value per resident for colouring: see :data:`STATES`.

    ``unmet need`` counts the resident's needs that expired unserved or lapsed unreported
    so far; ``volunteer status`` is 0 (none), 1 (active), 2 (inactive) or 3 (dropped out).
    """
    pop = model.pop
    if state == "unmet need":
        needs = model.needs
        unmet = np.isin(needs.state, UNMET)
        return np.bincount(needs.resident[unmet], minlength=pop.n).astype(float)
    if state == "satisfaction":
        return pop.satisfaction.astype(float)
    if state == "trust":
        return pop.trust.astype(float)
    if state == "volunteer status":
        pid = model.provider_of_resident
        out = np.zeros(pop.n)
        has = pid >= 0
        st = model.providers.state[pid[has]]
        out[has] = np.select(
            [st == ProviderState.ACTIVE, st == ProviderState.INACTIVE], [1.0, 2.0], default=3.0
        )
        return out
    raise ValueError(f"state {state!r}: expected one of {', '.join(STATES)}")


def layout(model: GovModel, nodes: np.ndarray, seed: int = 0) -> dict[int, np.ndarray]:
    """Positions of the sample: buildings on a grid in their map order, households round a circle.

    Each building is a ring of its households (members of a household side by side), so
    ties inside a building, across buildings and within households read apart. ``seed``
    turns the rings (display only; never the model's random streams).
    """
    pop = model.pop
    nodes = np.asarray(nodes)
    buildings = np.unique(pop.building[nodes])
    order = np.lexsort((pop.x[nodes], -pop.y[nodes]))  # top row first, left to right
    ranked = list(dict.fromkeys(pop.building[nodes][order].tolist()))
    cols = int(np.ceil(np.sqrt(len(buildings))))
    slot = {b: np.array([i % cols, -(i // cols)], float) for i, b in enumerate(ranked)}
    turn = np.random.default_rng(seed).uniform(0, 2 * np.pi, len(ranked))
    pos: dict[int, np.ndarray] = {}
    for k, b in enumerate(ranked):
        members = nodes[pop.building[nodes] == b]
        households = list(dict.fromkeys(pop.household[members].tolist()))
        for h_i, h in enumerate(households):
            angle = turn[k] + 2 * np.pi * h_i / max(len(households), 1)
            centre = slot[b] + 0.36 * np.array([np.cos(angle), np.sin(angle)])
            people = members[pop.household[members] == h]
            for p_i, person in enumerate(people.tolist()):
                offset = 0.035 * (p_i - (len(people) - 1) / 2)
                pos[person] = centre + offset * np.array([-np.sin(angle), np.cos(angle)])
    return pos


def draw(
    model: GovModel,
    sample: Sample,
    state: str,
    pos: dict[int, np.ndarray] | None = None,
    fig: Figure | None = None,
    lang: str = "en",
) -> Figure:
    """Draw the sample's ties and residents coloured by ``state``; elderly living alone as squares."""
    with rc_context({"font.family": fonts.families()}):  # text objects keep the CJK-capable family list
        return _draw(model, sample, state, pos, fig, lang)


def _draw(model, sample, state, pos, fig, lang) -> Figure:
    key, cmap, vmin, vmax = STATES[state]
    label = i18n.t(f"network.{key}", lang)
    graph = model.net.to_networkx(model.pop, nodes=sample.nodes)
    pos = pos if pos is not None else layout(model, sample.nodes)
    pos = {k: v for k, v in pos.items() if k in graph}
    for node in graph:  # a resident who joined the sample's ties after the layout was made
        pos.setdefault(node, np.zeros(2))
    values = resident_state(model, state)
    if vmax is None:
        vmax = max(1.0, float(values[sample.nodes].max()))
    fig = fig or Figure(figsize=(6.4, 3.5), layout="constrained")
    ax = fig.add_subplot()
    household = [(u, v) for u, v, k in graph.edges(data="kind") if k == "household"]
    others = [(u, v) for u, v, k in graph.edges(data="kind") if k != "household"]
    nx.draw_networkx_edges(graph, pos, edgelist=others, ax=ax, width=0.4, edge_color="#9e9e9e", alpha=0.6)
    nx.draw_networkx_edges(graph, pos, edgelist=household, ax=ax, width=1.2, edge_color="#4d4d4d")
    alone = model.group_masks["elderly_alone"]
    artist = None
    for mask, marker, size in ((~alone, "o", 22), (alone, "s", 46)):
        nodes = [int(i) for i in sample.nodes if mask[i]]
        if nodes:
            artist = nx.draw_networkx_nodes(
                graph, pos, nodelist=nodes, node_color=values[nodes], cmap=cmap, vmin=vmin, vmax=vmax,
                node_size=size, node_shape=marker, linewidths=0.3, edgecolors="#333333", ax=ax,
            )  # fmt: skip
    if state == "volunteer status":
        handles = [
            Line2D(
                [],
                [],
                marker="o",
                ls="",
                color=c,
                markeredgecolor="#333333",
                label=i18n.t(f"network.{t}", lang),
            )
            for c, t in zip(VOLUNTEER_COLOURS, VOLUNTEER_LABELS, strict=True)
        ]
        ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7, frameon=False)
    elif artist is not None:
        bar = fig.colorbar(artist, ax=ax, shrink=0.8)
        bar.set_label(label, fontsize=7)
        bar.ax.tick_params(labelsize=7)
    ax.set_title(i18n.t("network.title", lang, days=model.steps, label=label), fontsize=9)
    ax.set_axis_off()
    return fig
