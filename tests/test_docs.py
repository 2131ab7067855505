"""The documentation stays true to the code and self-contained (docs/ODD.md, docs/sources.md)."""

import dataclasses
import re
from pathlib import Path

import pytest

from sim import docgen
from sim.calibration import TARGETS
from sim.model import GovModel
from sim.params import Params

ROOT = Path(__file__).resolve().parent.parent
ODD = ROOT / "docs" / "ODD.md"
SOURCES = ROOT / "docs" / "sources.md"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(docgen.REGIONS))
def test_odd_generated_regions_are_current(name):
    """Each generated region of ODD.md is what `make docs` produces now."""
    regions = docgen.regions_in(ODD.read_text(encoding="utf-8"))
    assert name in regions, f"docs/ODD.md has no <!-- {name}:start --> region"
    assert regions[name] == docgen.render(name), f"docs/ODD.md region {name!r} is stale: run `make docs`"


def test_repository_cites_nothing_outside_it():
    """No file refers to the design brief or the directory outside the repository it lives in."""
    banned = ("DESIGN" + " §", "DESIGN" + ".md", "../" + "shared")
    files = [ROOT / "README.md", ROOT / "Makefile", ROOT / "pyproject.toml"]
    for folder in ("sim", "tests", "docs", ".ci"):
        files += [p for p in (ROOT / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    hits = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        hits += [f"{path.relative_to(ROOT)}: {b}" for b in banned if b in text]
    assert not hits, hits


def test_odd_submodels_follow_the_eq_keys():
    """Section 7 has one subsection per submodel key, numbered and ordered as docgen numbers them."""
    found = re.findall(r"^### (7\.\d+) `(\w+)`", ODD.read_text(encoding="utf-8"), re.M)
    assert found == [(docgen.section_of(k), k) for k in docgen.EQ_KEYS]


def test_odd_submodels_are_the_phases_in_run_order():
    """Section 7 describes every phase of the default model, in the order they run."""
    model = GovModel(Params().replace(households_per_community=300, households_per_grid=100), seed=0)
    phases = [p.name for p in model.phases]
    assert [k for k in docgen.EQ_KEYS if not k.startswith("build_") and k != "cost"] == phases


def test_parameter_eq_names_a_submodel():
    for f in dataclasses.fields(Params):
        eq = f.metadata.get("eq", "")
        assert not eq or eq in docgen.EQ_KEYS, (f.name, eq)


def test_sources_cover_sourced_parameters_and_calibration_targets():
    """Every parameter tagged [A] or [S], and every calibration target, is in docs/sources.md."""
    text = SOURCES.read_text(encoding="utf-8")
    sourced = [f.name for f in dataclasses.fields(Params) if f.metadata["tag"] in ("A", "S")]
    missing = [n for n in sourced if f"`{n}" not in text]
    missing += [t.name for t in TARGETS if f"`{t.name}`" not in text]
    assert not missing, missing
