"""The command line: outputs, listings and one-line errors with status 2."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from sim import metrics
from sim.cli import main
from sim.params import describe


def _govsim(*args):
    return subprocess.run([sys.executable, "-m", "sim.cli", *args], capture_output=True, text=True)


@pytest.mark.slow
def test_run_writes_tidy_series_and_flat_summary(tmp_path, capsys):
    assert (
        main(["run", "--days", "20", "--seed", "3", "--set", "recognition=0.7", "--out", str(tmp_path)]) == 0
    )
    shown = capsys.readouterr().out
    assert "unmet need" in shown and "elderly_alone" in shown
    daily = pd.read_csv(tmp_path / "daily.csv")
    assert list(daily.columns) == ["day", "metric", "group", "value"]
    assert daily["day"].min() == 0 and daily["day"].max() == 19
    assert set(daily["group"]) == set(metrics.GROUPS)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert set(summary) == set(metrics.metric_names())
    assert all(v is None or isinstance(v, int | float) for v in summary.values())
    by_community = pd.read_csv(tmp_path / "communities.csv")
    assert list(by_community["community"]) == [0]
    assert by_community["unmet_need_rate"][0] == pytest.approx(summary["unmet_need_rate"])
    run_info = json.loads((tmp_path / "run.json").read_text())
    assert run_info["params"]["recognition"] == 0.7 and run_info["days"] == 20


@pytest.mark.slow
def test_per_community_table_adds_up_to_the_district():
    from sim import Params, run

    r = run(Params().replace(communities=3), seed=2, days=60)
    t = r.by_community
    assert len(t) == 3 and t["residents"].sum() == r.residents
    assert (t["unmet_need_rate"] * t["needs_closed"]).sum() / t["needs_closed"].sum() == pytest.approx(
        r.summary["unmet_need_rate"]
    )
    assert t["served"].sum() == r.summary["served"]
    assert t["volunteers_active"].sum() == r.summary["volunteers_active"]


@pytest.mark.slow
def test_parquet_output(tmp_path):
    assert main(["run", "--days", "5", "--format", "parquet", "--quiet", "--out", str(tmp_path)]) == 0
    assert len(pd.read_parquet(tmp_path / "daily.parquet")) > 0


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--days", "-3"], "--days"),
        (["--days", "ten"], "--days"),
        (["--days", "36501"], "from 1 to 36,500"),
        (["--communities", "0"], "--communities"),
        (["--communities", "194"], "limit is first_community + communities <= 193"),
        (["--communities", "194"], "~1,350,822 residents needing ~1.5 GiB"),
        (["--communities", "5", "--set", "first_community=190"], "limit is first_community + communities"),
        (["--seed", "-1"], "--seed"),
        (["--set", "no_such_key=1"], "no_such_key"),
        (["--set", "trust_gain=9"], "trust_gain"),
        (["--set", "partner_units=many"], "partner_units"),
        (["--set", "recognition"], "KEY=VALUE"),
        # loose values that used to be accepted silently
        (["--set", "trust_gain=0.1", "--set", "trust_gain=0.2"], "--set trust_gain: given twice"),
        (["--set", "communities=2", "--communities", "3"], "give the number of communities once"),
        (["--set", "trust_gain=\uff10.\uff15"], "trust_gain"),  # full-width "0.5"
        (["--set", "partner_units=1_2"], "partner_units"),
        (["--days", "\uff13"], "--days"),  # full-width "3"
    ],
)
@pytest.mark.slow
def test_bad_input_exits_2_with_one_line(tmp_path, args, needle):
    out = tmp_path / "out"
    r = _govsim("run", *args, "--out", str(out))
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], r.stderr
    assert "Traceback" not in r.stderr
    assert not out.exists(), "bad input writes nothing"


@pytest.mark.slow
def test_params_and_metrics_listings():
    r = _govsim("params", "--json")
    rows = json.loads(r.stdout)
    assert [row["name"] for row in rows] == [row["name"] for row in describe()]
    assert all(row["unit"] and row["range"] and row["tag"] in "ASE" for row in rows)
    m = json.loads(_govsim("metrics", "--json").stdout)
    assert {x["name"] for x in m["metrics"]} == {x.name for x in metrics.METRICS}
    assert set(m["groups"]) == set(metrics.GROUPS)


SMALL = ["--days", "3", "--set", "households_per_community=50", "--quiet"]


def test_run_out_refuses_a_folder_it_did_not_write_and_the_empty_path(tmp_path, monkeypatch, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "daily.csv").write_text("my own data\n")
    assert main(["run", *SMALL, "--out", str(mine)]) == 2  # was 0, overwriting daily.csv
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not empty" in err and str(mine) in err
    assert [p.name for p in mine.iterdir()] == ["daily.csv"]
    assert (mine / "daily.csv").read_text() == "my own data\n"
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    for cmd in (
        ["run", *SMALL],
        ["compare", "baseline", "more_partner_units"],
        ["sweep", "--lever", "x=1:2"],
    ):
        assert main([*cmd, "--out", ""]) == 2, cmd  # was: run wrote into the working directory
        err = capsys.readouterr().err
        assert err.startswith("govsim: error: argument --out: '' is not allowed") and err.count("\n") == 1
    assert list(cwd.iterdir()) == []
    store = tmp_path / "store"
    store.mkdir()
    (store / "manifest.json").write_text('{"format": "govsim-experiments/1"}')
    assert main(["run", *SMALL, "--out", str(store)]) == 2
    assert "compare or sweep results folder" in capsys.readouterr().err


def test_run_out_replaces_its_own_files_in_a_folder_it_wrote(tmp_path):
    out = tmp_path / "out"
    assert main(["run", *SMALL, "--seed", "1", "--out", str(out)]) == 0
    (out / "notes.txt").write_text("mine")
    assert main(["run", *SMALL, "--seed", "2", "--format", "parquet", "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["communities.csv", "daily.parquet", "notes.txt", "run.json", "summary.json"]
    run_info = json.loads((out / "run.json").read_text())
    assert run_info["format"] == "govsim-run/1" and run_info["complete"] and run_info["seed"] == 2
    assert not list(out.glob(".*"))  # no temporary files left


def test_lever_values_are_ascii_numbers(tmp_path, capsys):
    argv = ["sweep", "--lever", "trust_gain=\uff10.1:0.2", "--reps", "1", "--days", "1"]
    assert main([*argv, "--executor", "sequential", "--quiet", "--out", str(tmp_path / "o")]) == 2
    assert "--lever 'trust_gain=" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
