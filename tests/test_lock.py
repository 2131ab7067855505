"""The lock file pins every dependency, the environment was installed from it, and results
record every package that produced them."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from sim.versions import LOCK, installed, locked, versions

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)[0]).lower()


def test_the_lock_pins_every_dependency_of_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        wanted |= {_name(r) for r in extra}
    pins = locked(LOCK)
    assert pins and len(pins) > 100
    missing = sorted(wanted - set(pins))
    assert not missing, f"not in {LOCK.name}: {missing}; run make lock"
    assert all(re.fullmatch(r"[0-9][0-9A-Za-z.+!]*", v) for v in pins.values())
    text = LOCK.read_text()
    assert "--index-url" not in text and "/opt/" not in text, "no machine-specific index in the lock"


def test_this_environment_was_installed_from_the_lock():
    differs = versions()["differs_from_lock"]
    assert not differs, f"installed versions differ from {LOCK.name}: {differs}; run make (or make lock)"
    assert {"scipy", "salib", "solara", "mesa", "numpy", "pandas"} <= set(installed())


def test_a_run_records_every_package(tmp_path):
    from sim.cli import main

    out = tmp_path / "run"
    args = ["run", "--quiet", "--days", "2", "--set", "households_per_community=200"]
    assert main([*args, "--set", "households_per_grid=100", "--set", "spinup_days=0", "--out", str(out)]) == 0
    env = json.loads((out / "run.json").read_text())["environment"]
    assert env["packages"]["scipy"] and env["packages"]["salib"] and env["packages"]["solara"]
    assert env["lock_sha256"] and env["python"]
