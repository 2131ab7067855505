"""The posterior file: written, read back, and every damaged or foreign file refused in one line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sim import posterior
from sim.errors import InputError
from sim.params import Params

PROV = {"method": "test", "patterns": [], "seed": 1, "commit": "abc", "created": "2026-12-01"}


def _write(tmp_path, n=5):
    names = ["rate_care", "hidden_lapse_days"]
    sets = [{"rate_care": 0.01 + 0.001 * i, "hidden_lapse_days": np.int64(10 + i)} for i in range(n)]
    return posterior.write(
        tmp_path / "post.json", names, sets, list(range(n)), [{"p": float(i)} for i in range(n)], PROV
    )


def test_written_file_reads_back_with_types_and_provenance(tmp_path):
    post = _write(tmp_path)
    assert len(post) == 5 and post.parameters == ("rate_care", "hidden_lapse_days")
    assert post.sets[3] == {"rate_care": pytest.approx(0.013), "hidden_lapse_days": 13}
    assert isinstance(post.sets[3]["hidden_lapse_days"], int)
    assert post.params(3).hidden_lapse_days == 13
    assert post.params(3, Params(canteens_per_community=2)).canteens_per_community == 2
    assert post.seeds == (0, 1, 2, 3, 4) and post.patterns[2] == {"p": 2.0}
    assert post.describe()["sha256"] == post.sha256 and post.provenance["method"] == "test"


def test_assignment_is_a_seeded_permutation_independent_of_anything_else(tmp_path):
    post = _write(tmp_path, 5)
    a = post.assign(5, base_seed=0)
    assert sorted(a) == [0, 1, 2, 3, 4]  # no repeats while reps <= sets
    assert post.assign(5, base_seed=0) == a  # deterministic
    assert post.assign(12, base_seed=0)[:5] == a and post.assign(12, 0)[5:10] == a  # cycles
    assert post.assign(5, base_seed=1) != a


def _damage(tmp_path, edit):
    good = _write(tmp_path)
    data = json.loads(good.path.read_text())
    edit(data)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    return bad


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda d: d.update(version=2), "version 1"),
        (lambda d: d.update(schema="other"), "'govsim-posterior'"),
        (lambda d: d.update(parameters=["rate_care", "no_such_param"]), "'no_such_param' is not a govsim"),
        (lambda d: d.pop("provenance"), "lacks the key 'provenance'"),
        (lambda d: d.update(extra=1), "unknown key 'extra'"),
        (lambda d: d.update(sets=[]), "'sets' must be a non-empty list"),
        (lambda d: d["sets"][2]["values"].pop("rate_care"), "sets[2].values"),
        (lambda d: d["sets"][1]["values"].update(rate_care=-5.0), "sets[1]: parameter 'rate_care'"),
        (lambda d: d["sets"][0].update(seed=-1), "sets[0].seed"),
        (lambda d: d["sets"][4]["patterns"].update(p="x"), "sets[4].patterns"),
    ],
)
def test_incompatible_files_are_refused_naming_file_and_fault(tmp_path, edit, needle):
    bad = _damage(tmp_path, edit)
    with pytest.raises(InputError) as err:
        posterior.load(bad)
    text = str(err.value)
    assert str(bad) in text and needle in text and "\n" not in text


def test_missing_and_corrupt_files_are_refused(tmp_path):
    with pytest.raises(InputError, match="posterior file not found"):
        posterior.load(tmp_path / "nope.json")
    good = _write(tmp_path)
    cut = tmp_path / "cut.json"
    cut.write_bytes(good.path.read_bytes()[:200])
    with pytest.raises(InputError, match=r"not valid JSON \(line"):
        posterior.load(cut)
    junk = tmp_path / "junk.json"
    junk.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match="not valid JSON"):
        posterior.load(junk)


def test_uncertainty_choice_is_checked(tmp_path):
    assert posterior.resolve("none") is None
    with pytest.raises(InputError, match="--uncertainty maybe: expected one of posterior, none"):
        posterior.resolve("maybe")
