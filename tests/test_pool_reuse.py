"""The process executor keeps its workers from one map to the next inside ``with``."""

import os
import time

from sim.experiments import Executor
from sim.experiments.task import RunOutput


class _Spec:
    def __init__(self, i: int) -> None:
        self.key = f"s{i}"


def _pid(spec) -> RunOutput:
    now = time.time()
    return RunOutput(spec.key, "done", now, now, summary={"pid": float(os.getpid())})


def _pids(ex: Executor, n: int) -> set[float]:
    return {out.summary["pid"] for _, out in ex.map(_pid, [_Spec(i) for i in range(n)])}


def test_workers_kept_between_maps_and_stopped_at_exit():
    ex = Executor("process", workers=2)
    with ex:
        first = _pids(ex, 1)  # one spec: one worker
        second = _pids(ex, 4)
        assert first <= second and len(second) <= 2
        pool = ex._pool
        kept = [w.process for w in pool._idle]
        assert kept and all(p.is_alive() for p in kept)
    assert ex._pool is None and not any(p.is_alive() for p in kept)
    assert not (_pids(ex, 2) & second)  # outside ``with``: fresh workers, stopped after the map
