"""Run matrix, executors and the results store: pairing, caching, resuming, failures, safety."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim import InputError
from sim.experiments import Executor, RunSpec, Store, build_matrix, load_scenarios, run_matrix, simulate
from sim.experiments.task import execute

DAYS = 15


@pytest.fixture(scope="module")
def pair():
    return load_scenarios(["baseline", "no_closed_loop"])


def test_replication_seeds_are_paired_across_scenarios(pair):
    three = [*pair, load_scenarios(["more_partner_units"])[0]]
    specs = build_matrix(three, reps=3, days=DAYS, base_seed=7)
    by_rep = {}
    for s in specs:
        by_rep.setdefault(s.rep, set()).add(s.seed)
    assert all(len(seeds) == 1 for seeds in by_rep.values())  # same seed in every scenario
    assert len({next(iter(v)) for v in by_rep.values()}) == 3  # distinct across replications
    other = build_matrix(three, reps=3, days=DAYS, base_seed=8)
    assert {s.seed for s in specs}.isdisjoint({s.seed for s in other})
    assert len({s.key for s in specs}) == len(specs)


@pytest.mark.slow
def test_simulate_agrees_with_sim_run(pair):
    daily, summary, grid = simulate(pair[0], seed=5, days=DAYS)
    ref = sim.run(sim.Params(), seed=5, days=DAYS)
    pd.testing.assert_frame_equal(daily, ref.daily)
    for k, v in ref.summary.items():
        assert summary[k] == pytest.approx(v, nan_ok=True), k
    assert grid.unmet.sum() == pytest.approx(summary["unmet_need_rate"] * grid.needs_closed.sum())


def _tables(root: Path) -> dict[str, pd.DataFrame]:
    return {str(p.relative_to(root)): pd.read_parquet(p) for p in sorted(root.rglob("*.parquet"))}


@pytest.mark.slow
def test_results_do_not_depend_on_executor_or_workers(tmp_path, pair):
    specs = build_matrix(pair, reps=2, days=DAYS)
    outs = {}
    for name, ex in (
        ("sequential", Executor("sequential")),
        ("process", Executor("process", workers=2)),
        ("dask", Executor("dask", workers=2)),
    ):
        res = run_matrix(specs, tmp_path / name, executor=ex, progress=False)
        assert not res.failed and len(res.computed) == 4
        outs[name] = _tables(tmp_path / name)
    assert len(outs["sequential"]) == 12  # 3 tables x 2 scenarios x 2 replications
    for name in ("process", "dask"):
        assert outs[name].keys() == outs["sequential"].keys()
        for path, frame in outs["sequential"].items():
            pd.testing.assert_frame_equal(outs[name][path], frame, check_exact=True, obj=f"{name}:{path}")


@pytest.mark.slow
def test_finished_runs_are_never_recomputed_and_a_sweep_resumes(tmp_path, pair):
    out = tmp_path / "out"
    first = run_matrix(build_matrix(pair, reps=2, days=DAYS), out, progress=False)
    assert len(first.computed) == 4
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*.parquet")}
    full = run_matrix(build_matrix(pair, reps=4, days=DAYS), out, progress=False)
    assert len(full.computed) == 4 and len(full.cached) == 4
    assert {s.rep for s in full.specs if s.key in full.computed} == {2, 3}
    assert all(p.stat().st_mtime_ns == t for p, t in mtimes.items())  # old files untouched
    again = run_matrix(build_matrix(pair, reps=4, days=DAYS), out, progress=False)
    assert again.computed == [] and len(again.cached) == 8


class _Interrupt:
    """A task that is interrupted (Ctrl-C) when it reaches its ``at``-th run."""

    def __init__(self, at: int) -> None:
        self.at, self.calls = at, 0

    def __call__(self, spec: RunSpec):
        self.calls += 1
        if self.calls == self.at:
            raise KeyboardInterrupt
        return execute(spec)


def test_interrupted_sweep_keeps_finished_runs_and_resumes(tmp_path, pair):
    out = tmp_path / "out"
    specs = build_matrix(pair, reps=3, days=DAYS)
    with pytest.raises(KeyboardInterrupt):
        run_matrix(specs, out, progress=False, task=_Interrupt(at=4))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["invocations"][-1]["status"] == "interrupted"
    statuses = [manifest["runs"][s.key]["status"] for s in specs]
    assert statuses.count("done") == 3 and statuses.count("pending") == 3
    assert not (out / ".lock").exists()
    counting = _Interrupt(at=0)
    resumed = run_matrix(specs, out, progress=False, task=counting)
    assert counting.calls == 3 and len(resumed.computed) == 3 and len(resumed.cached) == 3


def _fail_no_loop_rep1(spec: RunSpec):
    if spec.scenario.name == "no_closed_loop" and spec.rep == 1:
        raise RuntimeError("simulated crash in the model")
    return execute(spec)


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["sequential", "process"])
def test_a_run_that_raises_is_recorded_and_the_rest_completes(tmp_path, pair, executor):
    out = tmp_path / "out"
    specs = build_matrix(pair, reps=3, days=DAYS)
    res = run_matrix(specs, out, progress=False, task=_fail_no_loop_rep1, executor=Executor(executor, 2))
    bad = next(s for s in specs if s.scenario.name == "no_closed_loop" and s.rep == 1)
    assert res.failed == {bad.key: "RuntimeError: simulated crash in the model"}
    assert len(res.done) == 5 and all(res.store.is_done(s) for s in res.done)
    record = json.loads((out / "runs" / f"{bad.key}.json").read_text())
    assert record["status"] == "failed" and "simulated crash" in record["traceback"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs"][bad.key]["status"] == "failed"
    assert manifest["invocations"][-1]["status"] == "finished with failures"
    assert manifest["invocations"][-1]["counts"] == {"runs": 6, "cached": 0, "computed": 6, "failed": 1}
    retry = run_matrix(specs, out, progress=False)  # only the failed run is tried again
    assert retry.computed == [bad.key] and not retry.failed


@pytest.mark.slow
def test_manifest_records_provenance(tmp_path, pair):
    res = run_matrix(
        build_matrix(pair, reps=2, days=DAYS, base_seed=3), tmp_path, progress=False, info={"x": 1}
    )
    m = json.loads((tmp_path / "manifest.json").read_text())
    inv = m["invocations"][-1]
    assert inv["x"] == 1 and inv["versions"]["mesa"] and inv["versions"]["python"]
    assert inv["versions"]["scipy"] and inv["versions"]["SALib"] and inv["versions"]["solara"]
    assert inv["environment"]["packages"]["scipy"] and "differs_from_lock" in inv["environment"]
    assert inv["code_version"] == res.specs[0].code_version and "revision" in inv["git"]
    assert inv["seeds"] == {str(s.rep): s.seed for s in res.specs}
    assert inv["started"] <= inv["finished"]
    for s in pair:
        assert m["scenarios"][s.hash]["params"] == s.params
        assert m["scenarios"][s.hash]["description"] == s.description
    for spec in res.specs:
        run = m["runs"][spec.key]
        assert run["status"] == "done" and run["seed"] == spec.seed and run["scenario"] == spec.scenario.name
        assert len(run["files"]) == 3


@pytest.mark.slow
def test_store_layout_is_partitioned_and_readable_as_a_dataset(tmp_path, pair):
    res = run_matrix(build_matrix(pair, reps=2, days=DAYS), tmp_path, progress=False)
    summary = pd.read_parquet(tmp_path / "summary")
    assert len(summary) == 4 and set(summary.scenario.astype(str)) == {"baseline", "no_closed_loop"}
    spec = res.specs[0]
    assert (tmp_path / f"daily/scenario=baseline/rep=0/{spec.key}.parquet").exists()
    assert not list(tmp_path.rglob("*.tmp"))


def test_cache_key_changes_with_code_version_days_and_content(pair):
    s = build_matrix(pair[:1], reps=1, days=DAYS)[0]
    keys = {
        s.key,
        RunSpec(s.scenario, 0, s.seed, DAYS + 1, s.code_version).key,
        RunSpec(s.scenario, 0, s.seed, DAYS, "other-code").key,
        RunSpec(s.scenario.with_params({"trust_gain": 0.1}), 0, s.seed, DAYS, s.code_version).key,
        RunSpec(s.scenario, 0, s.seed + 1, DAYS, s.code_version).key,
    }
    assert len(keys) == 5


def test_store_refuses_unsafe_output_folders(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        Store(tmp_path / "file")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty and has no govsim manifest"):
        Store(tmp_path / "full")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "manifest.json").write_text("{not json")
    with pytest.raises(InputError, match="unreadable"):
        Store(tmp_path / "other")
    store = Store(tmp_path / "new")
    with pytest.raises(InputError, match="outside the output folder"):
        store.path("..", "escape.txt")
    with pytest.raises(InputError, match="outside the output folder"):
        store.write_text("../../escape.txt", "x")
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path / "new").exists()


def test_bad_executor_options_are_input_errors():
    with pytest.raises(InputError, match="--executor 'threads'"):
        Executor("threads")
    with pytest.raises(InputError, match="--workers 0"):
        Executor("process", workers=0)
    with pytest.raises(InputError, match="only used with --executor dask"):
        Executor("process", scheduler="tcp://x:1")
    with pytest.raises(InputError, match="--reps 0"):
        build_matrix([], reps=0, days=1)


def test_grid_table_counts_every_unmet_need(pair):
    _, summary, grid = simulate(pair[1], seed=2, days=DAYS)
    assert len(grid) > 1 and np.isfinite(grid[["x_m", "y_m"]].to_numpy()).all()
    closed = sum(summary[k] for k in ("served", "served_informally", "met_by_own_means", "expired", "lapsed"))
    assert grid.needs_closed.sum() == closed
    assert grid.unmet.sum() == summary["expired"] + summary["lapsed"]
    assert grid.unmet.sum() >= summary["residents_unmet"] > 0


def test_code_version_tracks_the_model_not_the_front_ends(tmp_path, monkeypatch):
    from sim.experiments import task

    files = ["model.py", "cli.py", "dashboard/app.py", "experiments/plots.py", "experiments/task.py"]
    for f in files:
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f).write_text("x = 1\n")
    monkeypatch.setattr(task, "SIM_DIR", tmp_path)
    version = task.code_version.__wrapped__
    v0 = version()
    for f in files[1:4]:  # front ends and presentation: runs stay valid
        (tmp_path / f).write_text("x = 2\n")
        assert version() == v0, f
    for f in ("model.py", "experiments/task.py"):  # what a run executes: a new version
        (tmp_path / f).write_text("x = 3\n")
        assert version() != v0, f
        v0 = version()


@pytest.mark.parametrize("address", ["tcp://h", "tcp://h:99999", "h:8786", "http://h:80", "tcp://h:1/x", ""])
def test_a_malformed_scheduler_is_one_line(tmp_path, address):
    import subprocess
    import sys

    out = tmp_path / "out"
    argv = [sys.executable, "-m", "sim.cli", "compare", "baseline", "no_closed_loop", "--executor", "dask"]
    r = subprocess.run([*argv, "--scheduler", address, "--out", str(out)], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr  # was: ValueError, 55 lines
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("govsim: error: --scheduler"), r.stderr
    assert "tcp://HOST:PORT" in lines[0] and not out.exists()


def test_the_documented_dask_cluster_listens_on_loopback_only():
    text = (Path(__file__).parents[1] / "docs" / "experiments.md").read_text()
    commands = [
        line.strip()
        for line in text.splitlines()
        if line.strip().startswith(("dask scheduler", "dask worker"))
    ]
    assert {c.split()[1] for c in commands} == {"scheduler", "worker"}
    for c in commands:  # was: "dask scheduler" alone, listening on every interface
        assert "--host 127.0.0.1" in c and "--dashboard-address 127.0.0.1:" in c, c
    assert "has no login" in text and "Never expose a scheduler" in text
