"""The results store never trusts a bad file: checksums verified on reuse, ``govsim verify``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main

DAYS = "5"


def _compare(tiny, out: Path) -> list[str]:
    return ["compare", *tiny, "--reps", "2", "--days", DAYS, "--executor", "sequential"] + [
        "--quiet",
        "--no-plots",
        "--out",
        str(out),
    ]


def _table(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(next((out / "comparisons").iterdir()) / f"{name}.csv")


def _one(out: Path, table: str, scenario: str, rep: int) -> Path:
    return next((out / table / f"scenario={scenario}" / f"rep={rep}").glob("*.parquet"))


@pytest.mark.slow
def test_garbage_in_a_cached_table_is_recomputed_with_a_note(tiny, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(_compare(tiny, out)) == 0
    capsys.readouterr()
    before = _table(out, "summaries")
    bad = _one(out, "summary", "small", 0)
    bad.write_bytes(b"garbage, not parquet")  # was: ArrowInvalid on every rerun
    _one(out, "daily", "small_no_loop", 1).unlink()
    assert main(_compare(tiny, out)) == 0
    captured = capsys.readouterr()
    notes = captured.err.strip().splitlines()
    assert len(notes) == 2 and all(n.startswith("govsim: note: stored run") for n in notes), notes
    assert any(str(bad.relative_to(out)) in n and "checksum" in n for n in notes)
    assert any("daily/scenario=small_no_loop/rep=1" in n and "missing" in n for n in notes)
    assert "runs: 4 (2 computed, 2 cached, 0 failed)" in captured.out
    pd.testing.assert_frame_equal(_table(out, "summaries"), before)


def test_a_tampered_but_valid_table_is_not_used(tiny, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(_compare(tiny, out)) == 0
    before = _table(out, "differences")
    path = _one(out, "summary", "small", 1)
    frame = pd.read_parquet(path)
    frame["unmet_need_rate"] = 0.999  # a valid Parquet with an edited value
    frame.to_parquet(path, index=False)
    capsys.readouterr()
    assert main(_compare(tiny, out)) == 0
    captured = capsys.readouterr()
    assert "does not match its checksum" in captured.err
    assert "runs: 4 (1 computed, 3 cached, 0 failed)" in captured.out  # was "0 computed, 4 cached"
    pd.testing.assert_frame_equal(_table(out, "differences"), before)
    assert pd.read_parquet(path)["unmet_need_rate"].iloc[0] != 0.999


def test_records_carry_checksums_and_a_record_without_them_is_not_trusted(tiny, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(_compare(tiny, out)) == 0
    records = sorted((out / "runs").glob("*.json"))
    rec = json.loads(records[0].read_text())
    assert set(rec["checksums"]) == set(rec["files"]) and len(rec["files"]) == 3
    for rel, entry in rec["checksums"].items():
        assert len(entry["sha256"]) == 64 and entry["bytes"] == (out / rel).stat().st_size
    del rec["checksums"]  # as an older govsim wrote it
    records[0].write_text(json.dumps(rec))
    records[1].write_text("{ not json")
    capsys.readouterr()
    assert main(_compare(tiny, out)) == 0
    captured = capsys.readouterr()
    assert "no checksums" in captured.err and "is unreadable" in captured.err
    assert "runs: 4 (2 computed, 2 cached, 0 failed)" in captured.out


def test_verify_reports_what_is_damaged(tiny, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(_compare(tiny, out)) == 0
    capsys.readouterr()
    assert main(["verify", str(out)]) == 0
    assert capsys.readouterr().out.strip().endswith("4 runs: 4 intact, 0 damaged, 0 failed, 0 pending")
    _one(out, "grid", "small", 0).write_bytes(b"x")
    frame = pd.read_parquet(_one(out, "summary", "small_no_loop", 0))
    frame.to_parquet(_one(out, "summary", "small_no_loop", 0), index=False, compression="gzip")
    assert main(["verify", str(out)]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    damaged = [line for line in lines if line.startswith("damaged: ")]
    assert len(damaged) == 2, lines
    assert any("small rep 0" in d and "grid/scenario=small/rep=0" in d for d in damaged)
    assert any("small_no_loop rep 0" in d and "summary/" in d for d in damaged)
    assert "4 runs: 2 intact, 2 damaged, 0 failed, 0 pending" in lines[-2]
    assert main(["verify", str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().err.startswith("govsim: error: verify ")


def _small_specs(tiny, days=int(DAYS)):
    from sim.experiments import build_matrix, load_scenarios

    return build_matrix(load_scenarios(tiny), reps=2, days=days)


def test_the_lock_is_held_until_the_last_write_of_a_comparison(tiny, tmp_path, monkeypatch):
    from sim import InputError
    from sim.experiments import Store, compare, comparison, load_scenarios

    out = tmp_path / "out"
    seen = []
    real = comparison.cost_table

    def second_writer_during_analyse(*args, **kwargs):
        # between the runs and the brief and manifest: another compare must be refused
        with pytest.raises(InputError, match="another govsim .* is writing there"):
            Store(out).begin(_small_specs(tiny, days=3), {"kind": "intruder"})
        seen.append(True)
        return real(*args, **kwargs)

    monkeypatch.setattr(comparison, "cost_table", second_writer_during_analyse)
    held = []
    flush = Store.flush

    def flush_under_lock(self, force=True):
        held.append((out / ".lock").exists())
        flush(self, force)

    monkeypatch.setattr(Store, "flush", flush_under_lock)
    compare(load_scenarios(tiny), out=out, reps=2, days=int(DAYS), progress=False, plots=False)
    assert seen == [True]
    assert held and all(held), held  # every manifest write, the last one included, under the lock
    manifest = json.loads((out / "manifest.json").read_text())
    assert [inv["kind"] for inv in manifest["invocations"]] == ["compare"]
    assert manifest["invocations"][0]["status"] == "finished"
    assert not (out / ".lock").exists()


def test_a_writer_that_opened_the_folder_earlier_keeps_the_others_record(tiny, tmp_path):
    from sim.experiments import Store, run_matrix

    out = tmp_path / "out"
    early = Store(out)  # reads the (empty) manifest now, writes later
    run_matrix(_small_specs(tiny), out, progress=False, info={"kind": "first"})
    early.begin(_small_specs(tiny, days=3), {"kind": "second"})
    early.finish("finished", {})
    manifest = json.loads((out / "manifest.json").read_text())
    assert [inv["kind"] for inv in manifest["invocations"]] == ["first", "second"]
    assert manifest["invocations"][0]["status"] == "finished"
    assert sum(r["status"] == "done" for r in manifest["runs"].values()) == 4


def test_a_killed_invocation_is_marked_interrupted_by_the_next(tiny, tmp_path, capsys):
    import subprocess
    import sys

    from sim.experiments import run_matrix

    out = tmp_path / "out"
    killed = (
        "import os, sys\nfrom sim.experiments import Store, build_matrix, load_scenarios\n"
        "specs = build_matrix(load_scenarios(sys.argv[2:]), 1, 3)\n"
        "Store(sys.argv[1]).begin(specs, {'kind': 'killed'})\n"
        "os.kill(os.getpid(), 9)\n"
    )
    r = subprocess.run([sys.executable, "-c", killed, str(out), *tiny], capture_output=True, text=True)
    assert r.returncode == -9, r.stderr
    assert (out / ".lock").exists()  # left behind by the killed writer
    run_matrix(_small_specs(tiny), out, progress=False, info={"kind": "next"})
    assert "invocation 0 was killed before it finished; marked interrupted" in capsys.readouterr().err
    manifest = json.loads((out / "manifest.json").read_text())
    assert [(i["kind"], i["status"]) for i in manifest["invocations"]] == [
        ("killed", "interrupted"),
        ("next", "finished"),
    ]
