"""Shared fixtures: small runs reused across tests to keep the suite fast."""

from __future__ import annotations

import pytest

from sim import GovModel, Params


@pytest.fixture(scope="session")
def year_model() -> GovModel:
    """The default community run for a year, seed 11."""
    model = GovModel(Params(), seed=11)
    model.run(365)
    return model


@pytest.fixture
def tiny(tmp_path) -> list[str]:
    """Two small scenarios (50 households, one with the loop off) as files."""
    files = []
    for name, extra in (("small", ""), ("small_no_loop", 'dispatch_rule = "none"\n')):
        f = tmp_path / f"{name}.toml"
        f.write_text(f'name = "{name}"\n[params]\nhouseholds_per_community = 50\n{extra}')
        files.append(str(f))
    return files
