"""Executors: run tasks sequentially, in a local process pool, or on a Dask cluster.

An executor is a context manager; :meth:`Executor.map` yields
``(spec, output)`` as runs finish, in any order, and the caller stores each
one as it arrives, so an interrupted sweep keeps every run finished before
the interruption. Results never depend on the executor: a run is a pure
function of its :class:`~sim.experiments.task.RunSpec`. A Dask scheduler is
contacted when the executor is opened, before anything is written.

A worker that dies fails only the run it was running, after one more try in a
fresh worker: the process executor uses :class:`~sim.experiments.pool.WorkerPool`,
the local Dask cluster ``allowed-failures = 1`` (its nannies restart workers).
"""

from __future__ import annotations

import logging
import os
import re
import traceback
from collections.abc import Callable, Iterator, Sequence

from .. import i18n
from .limits import MAX_WORKERS
from .pool import RETRIES, failed_output
from .task import RunOutput, RunSpec

EXECUTORS = ("sequential", "process", "dask")
Task = Callable[[RunSpec], RunOutput]


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def check_executor(name: str, workers: int | None, scheduler: str | None) -> None:
    """Reject bad executor options before anything is computed or written."""
    if name not in EXECUTORS:
        raise i18n.error("executor", value=repr(name), executors=", ".join(EXECUTORS))
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS
    ):
        raise i18n.error("workers", value=repr(workers), max=MAX_WORKERS)
    if scheduler is not None and name != "dask":
        raise i18n.error("scheduler_only_dask", scheduler=scheduler)
    if scheduler is not None:
        check_scheduler(scheduler)
    if name == "dask":
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise i18n.error("no_dask") from None


SCHEDULER = re.compile(
    r"(?P<protocol>tcp|tls)://(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?)"
    r":(?P<port>[0-9]{1,5})"
)


def check_scheduler(address: str) -> None:
    """A Dask scheduler address is ``tcp://HOST:PORT`` or ``tls://HOST:PORT`` (one-line error)."""
    m = SCHEDULER.fullmatch(address) if isinstance(address, str) else None
    if m is None or not 1 <= int(m["port"]) <= 65535:
        shown = address if isinstance(address, str) and len(address) <= 80 else f"{str(address)[:77]}..."
        raise i18n.error("scheduler", value=repr(shown))


class Executor:
    """Runs tasks with one of :data:`EXECUTORS`.

    Args:
        name: ``sequential``, ``process`` (local spawn pool) or ``dask``.
        workers: processes for ``process`` and a local Dask cluster (default: all cores).
        scheduler: a Dask scheduler address; None starts a LocalCluster.
    """

    def __init__(self, name: str = "sequential", workers: int | None = None, scheduler: str | None = None):
        check_executor(name, workers, scheduler)
        self.name, self.workers, self.scheduler = name, workers, scheduler
        self._client = self._cluster = None
        self._pool = None  # the process executor's workers, kept from one map to the next
        self._open = False

    def describe(self) -> dict:
        return {"executor": self.name, "workers": self.workers, "scheduler": self.scheduler}

    def __enter__(self) -> Executor:
        if self.name == "dask":
            self._open_dask()
        self._open = True
        return self

    def __exit__(self, *exc) -> None:
        self._open = False
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    def _open_dask(self) -> None:
        import dask
        from distributed import Client, LocalCluster

        if self.scheduler is None:
            # A task whose worker died is tried once more, on another worker, then fails
            # (KilledWorker); one task per worker at a time, so a death touches one run only.
            with dask.config.set(
                {
                    "distributed.scheduler.allowed-failures": RETRIES,
                    "distributed.scheduler.worker-saturation": 1.0,
                }
            ):
                self._cluster = LocalCluster(
                    n_workers=self.workers or default_workers(),
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
        try:
            self._client = Client(self._cluster or self.scheduler, timeout="20s")
        except Exception as err:  # unreachable, refused, TLS misconfigured: one line, not a traceback
            self.__exit__()
            reason = f"{type(err).__name__}: {err}".splitlines()[0]
            raise i18n.error("scheduler_connect", scheduler=self.scheduler, reason=reason) from None

    def map(self, task: Task, specs: Sequence[RunSpec]) -> Iterator[tuple[RunSpec, RunOutput]]:
        """Yield ``(spec, task(spec))`` for every spec as each run finishes."""
        if not specs:
            return
        if self.name == "sequential":
            for s in specs:
                yield s, _result(_Done(task, s), s)
        elif self.name == "process":
            yield from self._map_process(task, specs)
        else:
            yield from self._map_dask(task, specs)

    def _map_process(self, task: Task, specs: Sequence[RunSpec]) -> Iterator[tuple[RunSpec, RunOutput]]:
        """Inside ``with``, on one pool of workers kept for every map (the spin-ups, then the runs,
        reuse the processes and their imports); outside, on workers started for this map."""
        from .pool import WorkerPool

        workers = self.workers or default_workers()
        if not self._open:
            yield from WorkerPool(min(workers, len(specs))).map(task, specs)
            return
        if self._pool is None:
            self._pool = WorkerPool(workers, keep=True)
        yield from self._pool.map(task, specs, limit=len(specs))

    def _map_dask(self, task: Task, specs: Sequence[RunSpec]) -> Iterator[tuple[RunSpec, RunOutput]]:
        from distributed import as_completed

        name = getattr(task, "__name__", "task")  # one key per (task, run): a spin-up is not its run
        futures = {self._client.submit(task, s, key=f"govsim-{name}-{s.key}", pure=False): s for s in specs}
        try:
            for fut in as_completed(futures):
                yield futures[fut], _result(fut, futures[fut])
        finally:
            for fut in futures:
                fut.cancel()


class _Done:
    """A finished call that looks like a future, so sequential runs share :func:`_result`."""

    def __init__(self, task: Task, spec: RunSpec) -> None:
        self.task, self.spec = task, spec

    def result(self) -> RunOutput:
        return self.task(self.spec)


def _result(fut, spec: RunSpec) -> RunOutput:
    """A future's output; a task that raised or a worker that died is a failed run, not a lost sweep."""
    try:
        return fut.result()
    except Exception as err:
        if type(err).__name__ == "KilledWorker":  # Dask: its workers died, RETRIES + 1 times
            return failed_output(spec, f"worker process died while running it ({RETRIES + 1} tries)")
        error = f"{type(err).__name__}: {err}".splitlines()[0]
        return failed_output(spec, error, traceback.format_exc())
