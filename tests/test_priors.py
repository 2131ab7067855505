"""Priors of the [E] parameters (sim/data/priors.toml, sim.priors): coverage, bounds, sampling,
SALib, bad files and the generated table."""

import dataclasses
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from SALib.sample import latin

from sim import priors
from sim.errors import InputError
from sim.params import Params

ROOT = Path(__file__).resolve().parent.parent
FIELDS = {f.name: f for f in dataclasses.fields(Params)}
ESTIMATES = {n for n, f in FIELDS.items() if f.metadata["tag"] == "E"}


def test_every_estimate_has_a_prior_and_nothing_else_does():
    table = priors.load_priors()
    assert set(table) == ESTIMATES
    assert all(FIELDS[n].metadata["tag"] == "E" for n in table)


def test_prior_bounds_inside_validity_and_around_the_default():
    for name, p in priors.load_priors().items():
        f, m = FIELDS[name], FIELDS[name].metadata
        assert p.reason.strip(), name
        if m["choices"] or isinstance(f.default, bool):
            assert p.dist in ("categorical", "fixed"), name
            continue
        if not p.uncertain:
            assert p.lo == p.hi == f.default, name
            continue
        assert m["lo"] <= p.lo < p.hi <= m["hi"], (name, p.lo, p.hi)
        assert p.lo <= f.default <= p.hi, (name, f.default)
        if p.dist == "triangular":
            assert p.mode == f.default, name
        if f.type in ("int", int):
            assert p.integer and isinstance(p.lo, int) and isinstance(p.hi, int), name
        else:
            assert not p.integer, name


def test_fixed_parameters_are_few_and_say_why():
    fixed = [n for n, p in priors.load_priors().items() if not p.uncertain]
    assert "spinup_days" in fixed  # a setting of the experiment, never sampled
    assert len(fixed) <= 10, fixed


def test_sample_gives_valid_params_within_the_priors():
    table = priors.load_priors()
    drawn = priors.sample(40, seed=5)
    assert len(drawn) == 40 and all(isinstance(p, Params) for p in drawn)
    for name, p in table.items():
        values = [getattr(d, name) for d in drawn]
        if p.integer:
            assert all(type(v) is int for v in values), name
        if not p.uncertain:
            assert set(values) == {FIELDS[name].default}, name
        elif not p.compose:
            assert all(p.lo <= v <= p.hi for v in values), name
            assert len(set(values)) > 1, name  # it is actually varied
    for gid in {p.group for p in table.values() if p.compose}:
        members = [n for n, p in table.items() if p.group == gid]
        assert all(math.isclose(sum(getattr(d, n) for n in members), 1.0, abs_tol=1e-9) for d in drawn)


def test_sample_is_reproducible_and_stratified():
    names = ["rate_care", "order_base", "social_workers"]
    a = priors.sample(20, seed=3, names=names)
    assert a == priors.sample(20, seed=3, names=names)
    assert a != priors.sample(20, seed=4, names=names)
    assert all(d.trust_gain == Params().trust_gain for d in a)  # names not listed stay at the default
    p = priors.load_priors()["order_base"]  # uniform: a Latin hypercube puts one draw in each 20th
    strata = sorted(int((d.order_base - p.lo) / (p.hi - p.lo) * 20) for d in a)
    assert strata == list(range(20))
    sobol = priors.sample(16, seed=1, names=names, method="sobol")
    assert len(sobol) == 16
    with pytest.raises(InputError, match="power of 2"):
        priors.sample(10, seed=1, names=names, method="sobol")


def test_integer_draws_cover_every_integer_evenly():
    p = priors.load_priors()["training_size"]
    drawn = priors.sample(400, seed=2, names=["training_size"])
    counts = np.bincount([d.training_size for d in drawn], minlength=p.hi + 1)[p.lo :]
    assert len(counts) == p.hi - p.lo + 1 and counts.min() > 0
    assert counts.max() - counts.min() <= 1  # equal quantile widths: a Latin hypercube hits them evenly


def test_distributions_have_their_shape():
    table = priors.load_priors()
    u = (np.arange(2000) + 0.5) / 2000
    log = table["rate_care"]
    assert log.dist == "loguniform"
    assert math.isclose(np.median(log.ppf(u)), math.sqrt(log.lo * log.hi), rel_tol=0.01)
    tri = table["hours_repair"]
    assert tri.dist == "triangular"
    hist, edges = np.histogram(tri.ppf(u), bins=10, range=(tri.lo, tri.hi))
    assert edges[np.argmax(hist)] <= tri.mode <= edges[np.argmax(hist) + 1]


def test_scipy_distributions_are_the_ones_sampled():
    """Prior.scipy() (for EMA Workbench and anyone else) describes what sample() draws."""
    u = (np.arange(4000) + 0.5) / 4000
    for name, p in priors.load_priors().items():
        if not p.uncertain:
            continue
        d = p.scipy()
        if not p.integer:
            assert np.allclose(d.ppf(u), p.ppf(u), rtol=1e-9, atol=1e-12), name
            continue
        drawn = np.clip(np.round(p.ppf(u)), p.lo, p.hi)
        ks = np.arange(p.lo, p.hi + 1)
        share = np.array([(drawn == k).mean() for k in ks])
        assert np.allclose(share, d.pmf(ks), atol=2e-3), name


def test_ema_workbench_uncertainties_from_the_priors():
    pytest.importorskip("ema_workbench")
    table = priors.load_priors()
    found = priors.ema_uncertainties()
    assert [u.name for u in found] == priors.uncertain()
    for u in found:
        p = table[u.name]
        assert (u.lower_bound, u.upper_bound) == (pytest.approx(p.lo), pytest.approx(p.hi)), u.name
        assert type(u).__name__ == ("IntegerParameter" if p.integer else "RealParameter"), u.name


def test_unknown_or_fixed_names_are_refused():
    with pytest.raises(InputError, match="'canteen_price' has no prior"):
        priors.sample(4, seed=0, names=["canteen_price"])
    with pytest.raises(InputError, match="'spinup_days' is fixed"):
        priors.salib_problem(["spinup_days"])


def test_salib_problem_from_the_priors():
    problem = priors.salib_problem()
    table = priors.load_priors()
    assert problem["names"] == priors.uncertain() and problem["num_vars"] == len(problem["names"])
    for name, dist, b in zip(problem["names"], problem["dists"], problem["bounds"], strict=True):
        p = table[name]
        assert dist == {"uniform": "unif", "loguniform": "logunif", "triangular": "triang"}[p.dist]
        if dist == "triang":
            assert 0 < b[2] < 1 and b[1] >= 0
    x = latin.sample(problem, 30, seed=1)
    drawn = priors.to_params(x, problem["names"])
    assert len(drawn) == 30
    values = [d.care_centre_staff for d in drawn]
    assert all(table["care_centre_staff"].lo <= v <= table["care_centre_staff"].hi for v in values)


# --- bad files -------------------------------------------------------------------------------------
GOOD = (ROOT / "sim" / "data" / "priors.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda t: t.replace("schema = 1", "schema = 7"), "schema"),
        (lambda t: t + "\n[[group]\n", "not valid TOML"),
        (lambda t: t.replace('"rate_care",', '"rate_cares",'), "unknown parameter 'rate_cares'"),
        (lambda t: t.replace('"rate_care",', '"canteen_price", "rate_care",'), "'canteen_price': tagged [A]"),
        (lambda t: t.replace('"rate_care",', ""), "no prior for [E] parameter 'rate_care'"),
        (lambda t: t.replace('"rate_care",', '"rate_care", "rate_care",'), "'rate_care' already has a prior"),
        (lambda t: t.replace("order_base = [-5.0, -3.0]", "order_base = [-11.0, -3.0]"), "validity range"),
        (lambda t: t.replace("order_base = [-5.0, -3.0]", "order_base = [-3.5, -3.0]"), "the default -4.0"),
        (lambda t: t.replace("order_base = [-5.0, -3.0]", 'order_base = "wide"'), "bounds must be [lo, hi]"),
        (lambda t: t.replace("training_size = [5, 12]", "training_size = [5.5, 12]"), "whole-number"),
        (lambda t: t.replace('dist = "loguniform"', 'dist = "gamma"', 1), "dist 'gamma'"),
        (lambda t: t.replace('id = "care_cap"', 'id = "care_cap"\ncolour = 1'), "unknown key 'colour'"),
    ],
)
def test_a_damaged_priors_file_is_refused_with_one_line(tmp_path, change, says):
    path = tmp_path / f"priors-{abs(hash(says))}.toml"
    text = change(GOOD)
    assert text != GOOD
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        priors.load_priors(path)
    message = str(err.value)
    assert str(path) in message and says in message and "\n" not in message


def test_cli_writes_the_table_and_refuses_a_bad_file(tmp_path, capsys):
    out = tmp_path / "priors.md"
    assert priors.main(["--out", str(out)]) == 0
    rows = [
        line for line in out.read_text().splitlines() if line.startswith("| ") and "parameter |" not in line
    ]
    assert len(rows) == len(ESTIMATES)
    capsys.readouterr()
    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD.replace("schema = 1", "schema = 2"), encoding="utf-8")
    assert priors.main(["--file", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(bad) in err and "schema" in err
    run = subprocess.run(  # the module as a program: exit status 2, one line, no traceback
        [sys.executable, "-m", "sim.priors", "--file", str(bad)], cwd=ROOT, capture_output=True, text=True
    )
    assert run.returncode == 2 and run.stderr == err and "Traceback" not in run.stderr


def test_docs_priors_table_is_current():
    """docs/priors.md is what `make priors` writes now (the header line with the commit aside)."""
    committed = (ROOT / "docs" / "priors.md").read_text(encoding="utf-8").splitlines()
    fresh = priors.to_markdown().splitlines()
    assert committed[3:] == fresh[3:], "docs/priors.md is stale: run `make priors`"


def test_salib_problem_and_ema_uncertainties_straight_from_params_json():
    """An outside client needs nothing but ``govsim params --json``: the priors it prints
    make a SALib problem and an EMA Workbench uncertainty list, and every draw is valid."""
    import json
    import subprocess
    import sys

    from ema_workbench import IntegerParameter, RealParameter
    from SALib.sample import latin

    out = subprocess.run(
        [sys.executable, "-m", "sim.cli", "params", "--json"], capture_output=True, text=True, check=True
    ).stdout
    table = json.loads(out)
    rows = table if isinstance(table, list) else table["parameters"]
    uncertain = [
        r for r in rows if r["prior"] and r["prior"]["dist"] in ("uniform", "loguniform", "triangular")
    ]
    assert len(uncertain) > 200 and all(r["tag"] == "E" for r in uncertain)
    names, bounds, dists = [], [], []
    free = [r for r in uncertain if not r["prior"]["compose"]]  # compositions are rescaled together
    for r in free[:12]:
        pr, half = r["prior"], 0.5 if r["prior"]["integer"] else 0.0
        lo, hi = pr["lo"] - half, pr["hi"] + half
        names.append(r["name"])
        if pr["dist"] == "triangular":
            dists.append("triang")
            bounds.append([lo, hi, (pr["mode"] - lo) / (hi - lo)])
        else:
            dists.append({"uniform": "unif", "loguniform": "logunif"}[pr["dist"]])
            bounds.append([lo, hi])
    problem = {"num_vars": len(names), "names": names, "bounds": bounds, "dists": dists}
    x = latin.sample(problem, 16, seed=3)
    for row in x:
        values = {
            n: (int(round(v)) if r["type"] == "int" else float(v))
            for n, v, r in zip(names, row, free, strict=False)
        }
        Params().replace(**values)  # every draw is a valid parameter set
    ema = [
        IntegerParameter(r["name"], r["prior"]["lo"], r["prior"]["hi"])
        if r["type"] == "int"
        else RealParameter(r["name"], r["prior"]["lo"], r["prior"]["hi"])
        for r in uncertain
    ]
    assert len(ema) == len(uncertain) and {u.name for u in ema} == {r["name"] for r in uncertain}
