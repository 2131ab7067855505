"""The schedule is the whole truth: phases declare what they read and write, and it holds.

* Every phase reads only state that exists after the build or that an earlier phase
  writes on every day the reader runs (``today.*`` hand-offs are cleared each day).
* A phase changes only the state it declares it writes (checked by fingerprinting
  every state item before and after each phase over 95 simulated days, through the
  first month's reviews, a quarter's project needs, training and a joint meeting).
* A service is one class and one entry in the services tuple: a tiny "library
  visits" service is added without touching any other service's file.
"""

from __future__ import annotations

import hashlib
import pickle

import numpy as np
import pytest

from sim import DEFAULT_SERVICES, GovModel, InputError, Params, Phase, Service
from sim.metrics import report
from sim.schedule import WEEKLY
from sim.window import Metric, count

SMALL = Params().replace(households_per_community=600, households_per_grid=100)


def _fingerprint(obj) -> str:
    h = hashlib.blake2b(digest_size=16)

    def feed(x) -> None:
        if isinstance(x, np.ndarray):
            h.update(str((x.dtype, x.shape)).encode())
            h.update(np.ascontiguousarray(x).tobytes())
        elif isinstance(x, list | tuple):
            h.update(b"[")
            for y in x:
                feed(y)
            h.update(b"]")
        elif isinstance(x, dict):
            for k in sorted(x, key=repr):
                h.update(repr(k).encode())
                feed(x[k])
        elif hasattr(x, "__dict__") and not isinstance(x, Params):
            feed({k: v for k, v in vars(x).items() if k != "model" and not k.startswith("__")})
        else:
            h.update(pickle.dumps(x))

    feed(obj)
    return h.hexdigest()


def _allowed(written: str, phase: Phase, model: GovModel) -> bool:
    tokens = list(phase.writes)
    if "residents_changed" in tokens:
        tokens += [r for s in model.services for r in s.reacts]
    return any(t == "*" or written == t or written.startswith(t + ".") for t in tokens)


def _exists(read: str, items: dict[str, object]) -> bool:
    return read == "*" or any(k == read or k.startswith(read + ".") for k in items)


def test_every_read_was_built_or_written_earlier_that_day():
    model = GovModel(SMALL, seed=3)
    built = model.state_items()
    phases = model.phases
    for i, phase in enumerate(phases):
        for read in phase.reads:
            if read.startswith("today."):
                writers = [p for p in phases[:i] if read in p.writes]
                assert writers, f"{phase.name} reads {read}, which no earlier phase writes"
                for day in range(400):  # the writer runs on every day the reader runs
                    model.steps = day + 1
                    if phase.when(model):
                        assert any(w.when(model) for w in writers), f"{phase.name} on day {day}: no {read}"
            else:
                assert _exists(read, built), f"{phase.name} reads {read}, which the build does not make"
    model.steps = 0


@pytest.mark.slow
def test_a_phase_writes_only_what_it_declares():
    model = GovModel(SMALL, seed=4, collect=False)
    seen_run = set()
    for _ in range(95):
        model.steps += 1  # what Model.step does before calling step()
        model.today.clear()
        for phase in model.phases:
            if not phase.when(model):
                continue
            before = {k: _fingerprint(v) for k, v in model.state_items().items()}
            phase.fn(model)
            after = {k: _fingerprint(v) for k, v in model.state_items().items()}
            changed = {k for k in after if before.get(k) != after[k]}
            undeclared = sorted(k for k in changed if not _allowed(k, phase, model))
            assert not undeclared, f"day {model.day}: {phase.name} wrote {undeclared} undeclared"
            seen_run.add(phase.name)
    # The check saw the month's reviews, the quarter's needs and a joint meeting.
    expected = {"volunteer_reviews", "monthly_care", "monthly_jobs", "new_project_needs", "joint_meeting"}
    assert expected <= seen_run


def test_the_check_catches_an_undeclared_write():
    model = GovModel(SMALL, seed=4, collect=False)
    sneaky = Phase("sneaky", lambda m: m.pop.trust.__setitem__(0, 0.123), writes=("pop.awareness",))
    before = {k: _fingerprint(v) for k, v in model.state_items().items()}
    sneaky.fn(model)
    after = {k: _fingerprint(v) for k, v in model.state_items().items()}
    changed = [k for k in after if before[k] != after[k]]
    assert changed == ["pop.trust"] and not _allowed("pop.trust", sneaky, model)


class LibraryVisits(Service):
    """An example service: elders who can walk visit the community library once a week."""

    name = "library"
    keyed = ("library_visit",)
    outcomes = (
        Metric(
            "library_visits",
            "visits",
            "library visits by elders",
            lambda w, g: count((w.model.library.visit_day >= w.d0) & (w.model.library.visit_day <= w.d1)),
            label="Library visits",
            direction="higher",
        ),  # fmt: skip
    )

    def __init__(self, model: GovModel) -> None:
        super().__init__(model)
        self.visit_day = np.full(model.pop.n, -1, np.int32)

    def phases(self) -> tuple[Phase, ...]:
        return (
            Phase(
                "library_visits",
                self.visit,
                WEEKLY,
                reads=("pop.elder", "pop.care_level"),
                writes=("library.visit_day",),
                after="weekly_awareness",
            ),  # fmt: skip
        )

    def visit(self, model: GovModel) -> None:
        pop = model.pop
        u = model.streams.uniform("library_visit", pop.uid, model.day)
        go = pop.elder & (pop.care_level <= 1) & (u < 0.2)
        self.visit_day[go] = model.day


def test_a_new_service_is_one_class_and_one_tuple_entry():
    base = GovModel(SMALL, seed=5)
    base.run(28)
    model = GovModel(SMALL, seed=5, services=(*DEFAULT_SERVICES, LibraryVisits))
    model.run(28)
    names = [p.name for p in model.phases]
    assert names.index("library_visits") == names.index("weekly_awareness") + 1
    summary = report(model, 0, model.day)
    elders = int((model.pop.elder & (model.pop.care_level <= 1)).sum())
    assert 0 < summary["library_visits"] <= 4 * elders
    assert "library_visits_day" in model.datacollector.get_model_vars_dataframe()
    # It touches nothing else: every other outcome is what the model gives without it.
    plain = report(base, 0, base.day)
    assert {k: v for k, v in summary.items() if k != "library_visits"} == pytest.approx(plain, nan_ok=True)


def test_misplaced_or_clashing_services_are_refused():
    class Nowhere(LibraryVisits):
        name = "nowhere"
        keyed = ("nowhere_visit",)

        def phases(self):
            return (Phase("nowhere_visits", self.visit, after="no_such_phase"),)

    with pytest.raises(InputError, match="no_such_phase"):
        GovModel(SMALL, seed=1, services=(*DEFAULT_SERVICES, Nowhere))

    class Clash(LibraryVisits):
        name = "pop"

    with pytest.raises(InputError, match="taken"):
        GovModel(SMALL, seed=1, services=(*DEFAULT_SERVICES, Clash))

    class SameDraws(LibraryVisits):
        name = "other_library"
        keyed = ("meal_choice",)

    with pytest.raises(ValueError, match="meal_choice"):
        GovModel(SMALL, seed=1, services=(*DEFAULT_SERVICES, SameDraws))
