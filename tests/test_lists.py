"""The three lists agree with the model's state."""

import numpy as np
import pytest

from sim import GovModel, Params
from sim.lists import three_lists
from sim.needs import NeedState
from sim.services.projects import ProjectState


@pytest.mark.slow
def test_three_lists_add_up_across_communities():
    m = GovModel(Params().replace(communities=2), seed=4, collect=False)
    m.run(120)
    lists = [three_lists(m, c) for c in range(2)]
    b = m.needs
    open_total = int(np.isin(b.state, [NeedState.HIDDEN, NeedState.OPEN, NeedState.ACCEPTED]).sum())
    assert sum(sum(v for k, v in x.needs.items() if k.startswith("open_")) for x in lists) == open_total
    states = m.projects.arrays("state")
    assert sum(sum(v for k, v in x.projects.items() if k.startswith("done_")) for x in lists) == int(
        (states == ProjectState.DONE).sum()
    )
    waiting = sum(sum(v for k, v in x.needs.items() if k.startswith("project_")) for x in lists)
    assert waiting == int((states == ProjectState.WAITING).sum())
    from sim import metrics

    active = metrics.report(m, m.day, m.day)["volunteers_active"]
    assert sum(x.resources["active_volunteer"] for x in lists) == active
    book = m.projects
    for x in lists:  # the pool is what was pledged minus what projects took
        pledged = sum(y for _, _, c, y in book.pledges if c == x.community)
        taken = sum(
            cost
            for c, cost, st in zip(book.community, book.cost, book.state, strict=True)
            if c == x.community and st in (ProjectState.FUNDED, ProjectState.DONE)
        )
        assert x.resources["pooled_money"] == pytest.approx(pledged - taken)


@pytest.mark.slow
def test_resident_view_reads_and_writes_its_row():
    m = GovModel(Params(), seed=1, collect=False)
    r = m.resident(10)
    assert r.age == int(m.pop.age[10]) and r.household == int(m.pop.household[10])
    r.trust = 0.25
    assert m.pop.trust[10] == np.float32(0.25) and m.pop.trust[11] != np.float32(0.25)
    assert set(r.ties().tolist()) == set(m.net.neighbours(np.array([10]))[1].tolist())
