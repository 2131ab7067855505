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
