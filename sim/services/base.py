"""The service component: one object per service, owning its state, phases and outcomes.

A service (the canteens, elderly care, jobs and training, joint projects,
activities) is built from the model's shared state — population, network,
need book, providers, streams — and keeps everything it adds to the model on
itself. It declares:

* ``phases()``: its steps, each a :class:`~sim.schedule.Phase` with its cadence,
  the state it reads and writes, and where in the day it runs (``after``);
* ``outcomes``: its metrics (:class:`~sim.window.Metric`), declared once with
  label, unit, direction and whether they are headline outcomes;
* ``keyed``: the names of the keyed random decisions it draws.

It may answer three questions the shared outcomes ask every service
(:meth:`reached`, :meth:`cost_yuan`) and react to two events of the shared state
(:meth:`residents_changed`, :meth:`params_changed`). :class:`EventLog` is the
append-only record services keep of their events. ``docs/design.md``
("Adding a service") has the checklist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

if TYPE_CHECKING:
    from ..model import GovModel
    from ..schedule import Phase
    from ..window import Metric, Window


class Service:
    """Base class of a service component.

    Args:
        model: the model being built; its shared state (population, network,
            need book, providers, streams, derived arrays) is ready.
    """

    name: ClassVar[str] = ""
    keyed: ClassVar[tuple[str, ...]] = ()
    outcomes: ClassVar[tuple[Metric, ...]] = ()
    reacts: ClassVar[tuple[str, ...]] = ()  # state its residents_changed/params_changed write

    def __init__(self, model: GovModel) -> None:
        self.model = model

    def phases(self) -> tuple[Phase, ...]:
        """The service's steps, in the order they run among themselves."""
        return ()

    # --- what the shared outcomes ask every service --------------------------------
    def reached(self, window: Window) -> np.ndarray | None:
        """Residents the service reached in the window (a mask over residents), or None."""
        return None

    def cost_yuan(self, window: Window) -> float:
        """Yuan the service cost in the window, beyond the shared staff and loop costs."""
        return 0.0

    # --- events of the shared state ---------------------------------------------------
    def residents_changed(self) -> None:
        """Residents' care levels, cooking or employment changed (monthly processes)."""

    def params_changed(self) -> None:
        """The model's parameters were swapped mid-run (a policy)."""

    def state_items(self) -> dict[str, object]:
        """The service's state items by name (for the schedule's read/write check).

        By default every public attribute but the model; caches start with ``_``.
        """
        return {k: v for k, v in vars(self).items() if k != "model" and not k.startswith("_")}


class EventLog:
    """Append-only columns of events (one row per person per event), read as arrays.

    Args:
        names: the column names.
    """

    def __init__(self, *names: str) -> None:
        self._parts: dict[str, list[np.ndarray]] = {n: [] for n in names}
        self._arrays: dict[str, np.ndarray] = {}

    def add(self, **columns: np.ndarray) -> None:
        for name, values in columns.items():
            self._parts[name].append(np.asarray(values, np.int64))
        self._arrays.clear()

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._arrays:
            parts = self._parts[name]
            self._arrays[name] = np.concatenate(parts) if parts else np.empty(0, np.int64)
        return self._arrays[name]
