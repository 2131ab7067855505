"""No bare behavioural literals in the process modules: every constant of an equation is a
declared parameter (sim/params.py) with unit, range, provenance and submodel.

The guard parses each module with ``ast`` and flags every float literal, and every int
literal that is an operand of arithmetic or a bound of ``min``/``max``/``clip``, unless
its value is allowed everywhere (``ALLOWED``) or at that place (``ALLOWED_AT``). Integer
comparisons (``age >= 18``), indices, enum values, bit widths and sizes are not
arithmetic on a behaviour and are not flagged.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parents[1] / "sim"

CHECKED_MODULES = (
    "loop.py",
    "agents.py",
    "population.py",
    "providers.py",
    "network.py",
    "needs.py",
    "policies.py",
    "lists.py",
    "schedule.py",
    "model.py",
    "services/base.py",
    "services/canteens.py",
    "services/canteen_outcomes.py",
    "services/care.py",
    "services/jobs.py",
    "services/projects.py",
    "services/activities.py",
)

# Values allowed anywhere (ints and floats alike); 0 and 1 cover -1 too (a unary minus).
ALLOWED = {
    0.0: "nothing; none of a share",
    1.0: "certainty, all of a share, one unit: the identity",
    7.0: "days per week",
    12.0: "months per year",
    30.0: "days per month",
    365.0: "days per year",
    1000.0: "metres per kilometre",
    1e-6: "guard: no division by zero hours",
    1e-12: "guard: finite logs of a uniform, no division by zero",
}
# Values allowed only in one scope of one module: (module, scope, value).
ALLOWED_AT = {
    ("loop.py", "serve", 0.5): "centres motivation on the midpoint of its 0-1 scale",
    ("loop.py", "_Acceptance.__init__", 0.5): "centres motivation on the midpoint of its 0-1 scale",
    ("agents.py", "review_volunteers", 0.5): "centres a uniform draw on its midpoint",
    ("agents.py", "PartnerUnit.monthly_review", 0.5): "centres a uniform draw on its midpoint",
    ("network.py", "_community_network", 2.0): "each tie has two ends",
    ("network.py", "TieNetwork._build_csr", 2.0): "the CSR lists each tie in both directions",
    ("network.py", "clustering_sample", 2.0): "pairs among k neighbours: k (k - 1) / 2",
    ("needs.py", "NeedBook._grow", 2.0): "the book's capacity doubles as it grows",
    ("policies.py", "VolunteerDrive", 0.03): "the drive's default size: the policy's own argument",
    ("policies.py", "VolunteerDrive.validate", 0.5): "the largest drive the policy accepts",
    ("needs.py", "longest_open_days", 2.0): "two days' margin on a bound, not a behaviour",
    ("model.py", "check_fits_in_memory", 2.0): "2**30 bytes per GiB",
    ("services/canteens.py", "Canteens.record", 2.0): "the books' capacity doubles as they grow",
}
_ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_BOUNDS = {"min", "max", "minimum", "maximum", "clip"}


def _scopes(tree: ast.AST) -> dict[ast.AST, str]:
    """The qualified scope ("Class.method", "function", "<module>") of every node."""
    scope: dict[ast.AST, str] = {}

    def visit(node: ast.AST, name: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                inner = child.name if name == "<module>" else f"{name}.{child.name}"
                scope[child] = name
                visit(child, inner)
            else:
                scope[child] = name
                visit(child, name)

    visit(tree, "<module>")
    return scope


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _int_in_arithmetic(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    parent = parents.get(node)
    while isinstance(parent, ast.UnaryOp):
        node, parent = parent, parents.get(parent)
    if isinstance(parent, ast.BinOp):
        return isinstance(parent.op, _ARITHMETIC)
    if isinstance(parent, ast.Call) and node in parent.args:
        func = parent.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return name in _BOUNDS
    return False


def bare_literals(source: str, module: str) -> list[tuple[int, float, str]]:
    """(line, value, scope) of every literal in ``source`` that the allow-lists do not cover."""
    tree = ast.parse(source)
    scopes, parents = _scopes(tree), _parents(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or isinstance(node.value, bool):
            continue
        value = node.value
        if isinstance(value, float):
            pass
        elif isinstance(value, int):
            if not _int_in_arithmetic(node, parents):
                continue
        else:
            continue
        scope = scopes[node]
        if float(value) in ALLOWED or (module, scope, float(value)) in ALLOWED_AT:
            continue
        found.append((node.lineno, value, scope))
    return sorted(found)


@pytest.mark.parametrize("module", CHECKED_MODULES)
def test_process_modules_have_no_bare_behavioural_literals(module):
    bare = bare_literals((SIM / module).read_text(), module)
    listing = "; ".join(f"sim/{module}:{line}: {value!r} in {scope}" for line, value, scope in bare)
    assert not bare, f"declare these as parameters in sim/params.py (or allow-list them): {listing}"


def test_every_place_allowed_still_holds_its_literal():
    """An allow-list entry whose literal has gone is stale and must be removed."""
    for module, scope, value in ALLOWED_AT:
        assert module in CHECKED_MODULES, module
        tree = ast.parse((SIM / module).read_text())
        scopes = _scopes(tree)
        here = [
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant)
            and isinstance(n.value, int | float)
            and not isinstance(n.value, bool)
            and float(n.value) == value
            and scopes[n] == scope
        ]
        assert here, f"ALLOWED_AT entry ({module}, {scope}, {value}) matches no literal: remove it"


def test_the_guard_catches_bare_literals():
    source = """
import numpy as np

def serve(skill, motivation, ties, wait, x_m, rate_year):
    q = 0.45 + 0.15 * skill + 0.2 * (motivation - 0.5) - 0.02 * wait
    capped = np.minimum(ties, 5) / 5
    km = x_m / 1000.0
    month = 1.0 - (1.0 - rate_year) ** (1.0 / 12.0)
    adult = ties >= 18
    return q, capped, km, month, adult, -3 * wait, max(wait, 1)
"""
    found = sorted((value, scope) for _, value, scope in bare_literals(source, "example.py"))
    assert found == [(0.02, "serve"), (0.15, "serve"), (0.2, "serve"), (0.45, "serve"), (0.5, "serve"),
                     (3, "serve"), (5, "serve"), (5, "serve")]  # fmt: skip
    # The same 0.5 is allowed where ALLOWED_AT says so, and only there.
    assert (0.5, "serve") not in [(v, s) for _, v, s in bare_literals(source, "loop.py")]
