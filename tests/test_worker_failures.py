"""Failures are isolated per run and reported: a dead worker, exit status 3, no orphans."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.cli import main
from sim.experiments import Executor, RunSpec, build_matrix, load_scenarios, run_matrix
from sim.experiments.task import execute

DAYS = 5


class DieOn:
    """A task whose worker process exits (``os._exit``) on one run, leaving a mark per attempt."""

    def __init__(self, folder: Path, scenario: str, rep: int) -> None:
        self.folder, self.scenario, self.rep = folder, scenario, rep

    def __call__(self, spec: RunSpec):
        if spec.scenario.name == self.scenario and spec.rep == self.rep:
            (self.folder / f"attempt-{os.getpid()}").touch()
            os._exit(1)
        return execute(spec)


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["process", "dask"])
def test_a_dead_worker_fails_only_its_run_after_one_retry(tiny, tmp_path, executor):
    marks = tmp_path / "marks"
    marks.mkdir()
    specs = build_matrix(load_scenarios(tiny), reps=3, days=DAYS)
    task = DieOn(marks, "small_no_loop", 1)
    res = run_matrix(specs, tmp_path / "out", executor=Executor(executor, 2), progress=False, task=task)
    bad = next(s for s in specs if s.scenario.name == "small_no_loop" and s.rep == 1)
    assert list(res.failed) == [bad.key], res.failed  # was: 8 of 12 BrokenProcessPool
    assert "worker process" in res.failed[bad.key] and "2 tries" in res.failed[bad.key]
    assert len(res.done) == 5 and all(res.store.is_done(s) for s in res.done)
    assert len(list(marks.iterdir())) == 2  # tried once more, in another process
    record = json.loads((tmp_path / "out" / "runs" / f"{bad.key}.json").read_text())
    assert record["status"] == "failed" and record["error"] == res.failed[bad.key]


def _break_one(monkeypatch, scenario: str, rep: int) -> None:
    """Make one run raise in this process (sequential executor)."""
    from sim.experiments import task

    real = task.simulate

    def simulate(s, seed, days, *rest):
        if s.name == scenario and seed == build_matrix([s], rep + 1, days)[rep].seed:
            raise RuntimeError("simulated crash in the model")
        return real(s, seed, days, *rest)

    monkeypatch.setattr(task, "simulate", simulate)


@pytest.mark.slow
def test_compare_and_sweep_exit_3_when_a_run_failed_and_say_how_to_retry(tiny, tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    argv = ["compare", *tiny, "--reps", "2", "--days", str(DAYS), "--executor", "sequential", "--quiet"]
    argv += ["--no-plots", "--out", str(out)]
    with monkeypatch.context() as m:
        _break_one(m, "small_no_loop", 1)
        assert main(argv) == 3  # was 0
    captured = capsys.readouterr()
    assert "failed: small_no_loop rep 1: RuntimeError: simulated crash in the model" in captured.out
    last = captured.err.strip().splitlines()[-1]
    assert last.startswith("govsim: 1 of 4 runs failed") and "run the same command again" in last
    assert main(argv) == 0  # the retry computes only the failed run
    assert "runs: 4 (1 computed, 3 cached, 0 failed)" in capsys.readouterr().out

    sweep = ["sweep", tiny[0], "--lever", "recognition=0.2,0.4", "--reps", "1", "--days", str(DAYS)]
    sweep += ["--executor", "sequential", "--quiet", "--no-plots", "--out", str(tmp_path / "sw")]
    with monkeypatch.context() as m:
        from sim.experiments import task

        m.setattr(task, "simulate", lambda *a: 1 / 0)
        assert main(sweep) == 3
    assert "govsim: 2 of 2 runs failed" in capsys.readouterr().err


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie has ended; only its exit status is left


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("executor", ["process", "dask"])
def test_sigkill_leaves_no_orphaned_workers_and_is_marked_interrupted(tiny, tmp_path, executor):
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "sim.cli", "compare", *tiny, "--reps", "4", "--days", "3000"]
    argv += ["--executor", executor, "--workers", "2", "--quiet", "--no-plots", "--out", str(out)]
    parent = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kids: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while len(_children(parent.pid)) < 3 and time.monotonic() < deadline:  # 2 workers + tracker
            time.sleep(0.1)
        kids = _children(parent.pid)
        assert len(kids) >= 2, "the workers did not start"
        time.sleep(1.0 if executor == "process" else 5.0)  # the workers are inside a run
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 10
        while any(_alive(k) for k in kids) and time.monotonic() < deadline:
            time.sleep(0.1)
        orphans = [k for k in kids if _alive(k)]
    finally:
        for k in {*_children(parent.pid), *kids}:  # never leave a process behind, even on failure
            if _alive(k):
                os.kill(k, signal.SIGKILL)
        parent.kill()
    assert not orphans, f"orphaned workers: {orphans}"  # was: 2 workers and the resource tracker
    m = json.loads((out / "manifest.json").read_text())
    assert m["invocations"][0]["status"] == "running"  # it could not say otherwise
    assert (
        main(
            ["compare", *tiny, "--reps", "1", "--days", "3", "--executor", "sequential", "--quiet"]
            + [
                "--no-plots",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    m = json.loads((out / "manifest.json").read_text())
    assert [i["status"] for i in m["invocations"]] == ["interrupted", "finished"]


@pytest.mark.slow
def test_a_run_that_cannot_be_sent_to_a_worker_is_a_failed_run(tiny, tmp_path):
    specs = build_matrix(load_scenarios(tiny[:1]), reps=2, days=DAYS)
    res = run_matrix(
        specs, tmp_path / "out", executor=Executor("process", 2), progress=False, task=lambda s: s
    )
    assert len(res.failed) == 2 and all("cannot send the run" in e for e in res.failed.values())
