"""Morris screening over the priors (sim.screening), end to end on a tiny community."""

import json

import numpy as np
import pytest

from sim import screening
from sim.params import Params

NAMES = ["grid_worker_cost_day", "rate_care", "tie_min_age", "first_meeting_day"]
TINY = Params().replace(households_per_community=400, households_per_grid=100)


@pytest.fixture(scope="module")
def tiny():
    return screening.screen(NAMES, r=2, spinup_days=30, window_days=30, base=TINY, noise_seeds=2)


def test_tiny_screening_has_the_right_shape(tiny):
    k = len(NAMES)
    assert tiny.names == NAMES
    assert tiny.runs == (k + 1) * 2 + 2
    assert set(tiny.outcomes) | set(tiny.skipped) == set(screening.outcome_names())
    assert any(o.startswith("pattern:") for o in tiny.outcomes) and "unmet_need_rate" in tiny.outcomes
    for a in (tiny.mu_star, tiny.mu_star_conf, tiny.mu, tiny.sigma, tiny.normalised):
        assert a.shape == (len(tiny.outcomes), k) and np.isfinite(a).all()
    assert tiny.noise.shape == (len(tiny.outcomes),)
    assert (tiny.mu_star >= np.abs(tiny.mu) - 1e-12).all()  # mean |EE| >= |mean EE|
    norm = tiny.normalised
    assert ((norm >= 0) & (norm <= 1)).all()
    assert all(np.isclose(norm[i].max(), 1.0) for i in range(len(tiny.outcomes)) if tiny.mu_star[i].max() > 0)


def test_known_drivers_rank_first(tiny):
    """A wage moves the cost and nothing else (common random numbers: the runs are identical);
    the rate at which care needs arise moves the services served."""
    i = tiny.outcomes.index
    assert tiny.ranking("cost_yuan")[0] == "grid_worker_cost_day"
    wage = NAMES.index("grid_worker_cost_day")
    assert tiny.mu_star[i("served"), wage] == 0 and tiny.mu_star[i("unmet_need_rate"), wage] == 0
    assert tiny.ranking("served")[0] == "rate_care"
    assert tiny.mu[i("served"), NAMES.index("rate_care")] > 0  # more care needs, more services
    assert "grid_worker_cost_day" not in tiny.worth()  # it moves no pattern
    assert "grid_worker_cost_day" in tiny.headline_only()


def test_the_document_and_its_numbers_round_trip(tiny, tmp_path):
    text = screening.to_markdown(tiny, "python -m sim.screening (test)")
    rows = [line for line in text.splitlines() if line.startswith("| ") and line.split("|")[3].strip() == "1"]
    assert len(rows) == len(tiny.outcomes)  # one rank-1 row per outcome
    assert text.count("\n| ") >= len(NAMES)
    screening.save(tiny, tmp_path / "s.json")
    again = screening.load(tmp_path / "s.json")
    assert screening.to_markdown(again, "python -m sim.screening (test)") == text


def test_bad_input_exits_2_with_one_line(tmp_path, capsys):
    (tmp_path / "bad.json").write_text(json.dumps({"names": []}))
    cases = [
        ["--params", "canteen_price", "--r", "2"],
        ["--params", "rate_care", "--spinup-days", "-5"],
        ["--params", "rate_care", "--threshold", "2"],
        ["--load", str(tmp_path / "missing.json")],
        ["--load", str(tmp_path / "bad.json")],
    ]
    for args in cases:
        assert screening.main([*args, "--out", str(tmp_path / "s.md")]) == 2, args
        err = capsys.readouterr().err
        assert err.startswith("govsim: error: ") and err.count("\n") == 1, (args, err)
        assert not (tmp_path / "s.md").exists()


def test_group_screening_ranks_the_groups():
    """Morris with groups: one factor per priors group, (groups + 1) x r runs."""
    names = ["grid_worker_cost_day", "staff_cost_day", "rate_care", "rate_repair", "tie_min_age"]
    s = screening.screen(names, r=2, spinup_days=20, window_days=20, base=TINY, noise_seeds=2, groups=True)
    assert s.names == ["group:costs", "group:need_rates", "group:network_integers"]
    assert s.runs == (3 + 1) * 2 + 2 and s.mu_star.shape == (len(s.outcomes), 3)
    assert s.config["groups"]["costs"] == ["grid_worker_cost_day", "staff_cost_day"]
    assert s.ranking("cost_yuan")[0] == "group:costs"
    assert s.ranking("served")[0] == "group:need_rates"
    assert s.mu_star[s.outcomes.index("served"), 0] == 0  # wages move no service
