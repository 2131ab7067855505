"""The notebooks: stored without outputs, parameters in one tagged cell, and each runs top to
bottom (small, with ``GOVSIM_NB_SMALL=1``); a bad parameter shows the command line's one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli import main

pytestmark = pytest.mark.slow  # make check skips this module

nbformat = pytest.importorskip("nbformat", reason="notebook tests need the dev extra")
nbclient = pytest.importorskip("nbclient", reason="notebook tests need the dev extra")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
ALL = sorted(NOTEBOOKS.glob("*.ipynb"))
EXPECTED = ["01_quickstart", "02_compare_policies", "03_sensitivity", "04_district"]


def _read(path: Path):
    return nbformat.read(path, as_version=4)


def _run(book, tmp_path, monkeypatch):
    """Execute ``book`` in the notebooks folder; temporary results go under ``tmp_path``."""
    monkeypatch.setenv("GOVSIM_NB_SMALL", "1")
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    client = nbclient.NotebookClient(
        book, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()
    return book


def _outputs(book) -> list[dict]:
    return [o for cell in book.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]


def test_the_four_notebooks_exist():
    assert [p.stem for p in ALL] == EXPECTED


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_stored_without_outputs(path):
    for i, cell in enumerate(_read(path).cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {i} has outputs: strip them before committing"
            assert cell.execution_count is None, f"{path.name} cell {i} has an execution count"


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_parameters_in_the_first_code_cell_tagged_parameters(path):
    code = [c for c in _read(path).cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert sum("parameters" in c.metadata.get("tags", []) for c in code) == 1


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_runs_top_to_bottom_small(path, tmp_path, monkeypatch):
    book = _run(_read(path), tmp_path, monkeypatch)  # raises CellExecutionError if a cell fails
    outputs = _outputs(book)
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "every notebook shows a plot"


BAD = [
    ("01_quickstart", "DAYS = -5", "govsim: error: days = -5: expected an integer >= 1"),
    ("02_compare_policies", "REPS = 0", "govsim: error: reps = 0: expected an integer >= 1"),
    ("03_sensitivity", "SEED = -1", "govsim: error: seed = -1: expected an integer >= 0"),
    ("04_district", "COMMUNITIES = 0", None),  # the same line as 'govsim run --set communities=0'
]


@pytest.mark.parametrize(("name", "assignment", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_parameter_shows_one_line_not_a_traceback(
    name, assignment, message, tmp_path, monkeypatch, capsys
):
    if message is None:
        assert main(["run", "--set", "communities=0", "--out", str(tmp_path / "cli")]) == 2
        message = capsys.readouterr().err.strip()
    book = _read(NOTEBOOKS / f"{name}.ipynb")
    first = next(i for i, c in enumerate(book.cells) if "parameters" in c.metadata.get("tags", []))
    book.cells.insert(first + 1, nbformat.v4.new_code_cell(assignment))  # as papermill injects parameters
    with pytest.raises(nbclient.exceptions.CellExecutionError):
        _run(book, tmp_path, monkeypatch)
    outputs = _outputs(book)
    assert [o.get("text") for o in outputs if o.output_type == "stream"] == [message + "\n"]
    assert not [o for o in outputs if o.output_type == "error"], "no traceback"
