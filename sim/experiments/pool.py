"""A local pool of ``spawn`` worker processes in which a worker's death fails only its own run.

:class:`concurrent.futures.ProcessPoolExecutor` marks every pending future
``BrokenProcessPool`` when one worker exits, healthy runs included, and its
workers outlive a parent that is killed. Here each worker is a process with
its own pipe: the parent sends one run at a time and waits on every busy
worker's pipe and process sentinel. A worker that dies (``os._exit``, a
segfault, the out-of-memory killer) fails only the run it was running; that
run is tried once more in a fresh worker and then recorded as failed with the
reason, and the other runs go on.

Workers end with their parent: each one arms ``PR_SET_PDEATHSIG`` (SIGKILL)
on Linux, or else polls its parent pid from a thread, before doing anything
else (:func:`watch_parent`). They ignore SIGINT, so Ctrl-C is handled once,
by the parent, which then stops them.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence

from .task import RunOutput, RunSpec

RETRIES = 1  # a run whose worker died is tried this many more times, each in a fresh worker
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

Task = Callable[[RunSpec], RunOutput]


def watch_parent(parent: int) -> None:
    """End this process as soon as process ``parent`` (the one that started it) dies.

    On Linux the kernel sends SIGKILL on the parent's death (``prctl(PR_SET_PDEATHSIG)``);
    elsewhere, or if that fails, a daemon thread checks ``os.getppid()`` every second.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
        if armed:
            if os.getppid() != parent:  # it died before the signal was armed
                os._exit(1)
            return

    def poll() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=poll, name="govsim-watch-parent", daemon=True).start()


def failed_output(spec: RunSpec, error: str, tb: str | None = None) -> RunOutput:
    now = time.time()
    return RunOutput(spec.key, "failed", now, now, error=error, traceback=tb)


def call(task: Task, spec: RunSpec) -> RunOutput:
    """``task(spec)``; an exception becomes a failed run with its first line and traceback."""
    try:
        return task(spec)
    except Exception as err:
        return failed_output(spec, f"{type(err).__name__}: {err}".splitlines()[0], traceback.format_exc())


def _worker(conn, parent: int) -> None:
    """A worker's loop: receive ``(task, spec)``, send back the run's output; None stops it."""
    watch_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:  # stop: nothing is left to save, so skip the interpreter's teardown
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        task, spec = job
        out = call(task, spec)
        try:
            conn.send(out)
        except Exception as err:  # the output would not pickle: say so instead
            conn.send(failed_output(spec, f"cannot send the run's output: {type(err).__name__}: {err}"))


def death(exitcode: int | None) -> str:
    """How a worker ended, in words."""
    if exitcode is None:
        return "worker process vanished"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"worker process killed by {name}"
    return f"worker process exited with status {exitcode}"


class _Worker:
    def __init__(self, ctx) -> None:
        self.conn, child = ctx.Pipe(duplex=True)
        self.process = ctx.Process(
            target=_worker, args=(child, os.getpid()), daemon=True, name="govsim-worker"
        )
        self.process.start()
        child.close()

    def ask_to_stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(None)

    def stop(self, wait: float, asked: bool = False) -> None:
        """Ask (unless ``asked`` already) and wait up to ``wait`` s; then kill."""
        if not asked:
            self.ask_to_stop()
        self.process.join(wait)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        self.conn.close()


class WorkerPool:
    """``workers`` spawn processes running tasks one at a time (see the module docstring).

    Args:
        workers: at most this many processes at once.
        note: called with a one-line message when a run is retried after its worker died.
        keep: keep the idle workers between calls of :meth:`map` (until :meth:`close`), so
            a second batch of tasks (the runs after their spin-ups) does not pay for starting
            processes and importing the model again; otherwise each call stops its workers.
    """

    def __init__(self, workers: int, note: Callable[[str], None] | None = None, keep: bool = False) -> None:
        self.workers = max(1, workers)
        self.note = note or (lambda msg: print(msg, file=sys.stderr))
        self.keep = keep
        self._idle: list[_Worker] = []
        self._ctx = multiprocessing.get_context("spawn")  # no forked copies of threads or open files

    def close(self) -> None:
        """Stop the workers kept between calls (all asked first, so they end together)."""
        for worker in self._idle:
            worker.ask_to_stop()
        while self._idle:
            self._idle.pop().stop(10, asked=True)

    def map(
        self, task: Task, specs: Sequence[RunSpec], limit: int | None = None
    ) -> Iterator[tuple[RunSpec, RunOutput]]:
        """Yield ``(spec, output)`` for every spec as each run finishes, on at most ``limit``
        workers at once (default: ``workers``)."""
        from multiprocessing.connection import wait

        limit = self.workers if limit is None else max(1, min(limit, self.workers))
        queue = deque(specs)
        deaths: dict[str, int] = {}
        idle = self._idle
        busy: dict[_Worker, RunSpec] = {}
        try:
            while queue or busy:
                while queue and len(busy) < limit:
                    worker, spec = idle.pop() if idle else _Worker(self._ctx), queue.popleft()
                    try:
                        busy[self._send(worker, task, spec)] = spec
                    except (pickle.PicklingError, TypeError, AttributeError) as err:  # nothing was sent
                        idle.append(worker)
                        yield spec, failed_output(spec, f"cannot send the run to a worker: {err}")
                if not busy:
                    continue
                ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
                for worker in [w for w in busy if w.conn in ready or w.process.sentinel in ready]:
                    spec = busy.pop(worker)
                    out = _receive(worker)
                    if out is not None:
                        idle.append(worker)
                        yield spec, out
                        continue
                    worker.process.join(5)
                    why = death(worker.process.exitcode)
                    worker.conn.close()
                    deaths[spec.key] = deaths.get(spec.key, 0) + 1
                    if deaths[spec.key] <= RETRIES:
                        self.note(
                            f"govsim: note: {why} while running {spec.scenario.name} rep {spec.rep}; "
                            "trying it again in a fresh worker"
                        )
                        busy[self._send(_Worker(self._ctx), task, spec)] = spec
                    else:
                        tries = deaths[spec.key]
                        yield (
                            spec,
                            failed_output(spec, f"{why} while running it ({tries} tries, fresh workers)"),
                        )
        finally:
            for worker in busy:  # interrupted: nothing to wait for
                worker.stop(0)
            if not self.keep:
                self.close()

    def _send(self, worker: _Worker, task: Task, spec: RunSpec) -> _Worker:
        """Give ``worker`` a run; a worker found dead before it started one is replaced."""
        try:
            worker.conn.send((task, spec))
            return worker
        except OSError:
            worker.stop(0)
            fresh = _Worker(self._ctx)
            fresh.conn.send((task, spec))
            return fresh


def _receive(worker: _Worker) -> RunOutput | None:
    """The output a worker sent, or None if it died first."""
    try:
        if worker.conn.poll():
            return worker.conn.recv()
    except (EOFError, OSError):
        pass
    return None
