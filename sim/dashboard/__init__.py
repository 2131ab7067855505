"""The interactive dashboard (``govsim dashboard``): Mesa's SolaraViz around the model.

This package imports the model; the model never imports it. Solara is loaded
only by :mod:`sim.dashboard.app`; the helpers re-exported here — the
neighbourhood sample and its colours (:mod:`~sim.dashboard.network_view`), the
live charts (:mod:`~sim.dashboard.charts`), the levers
(:mod:`~sim.dashboard.levers`) — work in a notebook without the ``viz`` extra.
They are imported on first use, so ``govsim`` starts fast.
"""

from importlib import import_module

_EXPORTS = {
    "LEVERS": "levers",
    "build_params": "levers",
    "STATES": "network_view",
    "Sample": "network_view",
    "draw": "network_view",
    "layout": "network_view",
    "resident_state": "network_view",
    "sample_neighbourhood": "network_view",
    "equity_figure": "charts",
    "funnel_totals": "charts",
    "loop_figure": "charts",
    "trust_figure": "charts",
    "unmet_so_far": "charts",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
