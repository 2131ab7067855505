"""Every size a user types is bounded, and a job that cannot fit is refused in one line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import namedtuple

import pytest

from sim import InputError
from sim.cli import main
from sim.experiments import build_matrix, load_scenarios

DAYS = "5"


def _govsim(*args, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "sim.cli", *args], capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["compare", "baseline", "no_closed_loop", "--reps", "1000000000"], "from 1 to 10,000"),
        (["sweep", "--lever", "trust_gain=0:1", "--design", "lhs", "--points", "10000000000"], "--points"),
        (["compare", "baseline", "no_closed_loop", "--workers", "100000"], "from 1 to 256"),
    ],
)
@pytest.mark.slow
def test_sizes_typed_on_the_command_line_are_bounded(tmp_path, args, needle):
    out = tmp_path / "out"
    r = _govsim(*args, "--days", "1", "--out", str(out), timeout=30)  # was: hangs, memory growing
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], r.stderr
    assert not out.exists()


def test_the_total_number_of_runs_is_bounded():
    base = load_scenarios(["baseline"])[0]
    eleven = [base.with_params({}, name=f"copy{i}") for i in range(11)]
    with pytest.raises(InputError, match="11 scenarios x 10,000 replications = 110,000 runs; at most"):
        build_matrix(eleven, reps=10_000, days=1)
    with pytest.raises(InputError, match="--reps 1,000,000,000: at most 10,000"):
        build_matrix([base], reps=10**9, days=1)  # was: building a billion specs


def test_a_job_that_would_not_fit_on_the_disk_is_refused(tiny, tmp_path, monkeypatch, capsys):
    Usage = namedtuple("Usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10**12, 10**12 - 10**6, 10**6))
    out = tmp_path / "out"
    argv = ["compare", *tiny, "--reps", "4", "--days", DAYS, "--executor", "sequential", "--quiet"]
    assert main([*argv, "--out", str(out)]) == 2  # was: ran until the disk was full
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "8 runs needs ~" in err and "976.6 KiB" not in err and "free" in err
    assert not out.exists()
    assert main(["run", "--days", "400", "--quiet", "--out", str(out)]) == 2
    assert "--days 400 needs ~" in capsys.readouterr().err


@pytest.mark.slow
def test_workers_are_bounded_by_memory(tiny, tmp_path, monkeypatch, capsys):
    real = os.sysconf
    pages = 500 * 2**20 // 4096  # a 500 MiB machine: one small run at a time fits (200 MiB each)

    def sysconf(name):
        return {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": pages}.get(name) or real(name)

    monkeypatch.setattr(os, "sysconf", sysconf)
    out = tmp_path / "out"
    argv = ["compare", *tiny, "--reps", "2", "--days", DAYS, "--quiet", "--no-plots", "--out", str(out)]
    assert main([*argv, "--executor", "process", "--workers", "2"]) == 2  # was: 2 workers started
    err = capsys.readouterr().err
    assert "--workers 2: 2 runs at once need ~" in err and "use --workers 1" in err
    assert main([*argv, "--executor", "process"]) == 0  # the default is lowered to what fits
    inv = json.loads((out / "manifest.json").read_text())["invocations"][-1]
    assert inv["executor"] == "process" and inv["workers"] == 1
