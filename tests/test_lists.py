"""The three lists agree with the model's state."""

import numpy as np

from sim import GovModel, Params
from sim.lists import three_lists
from sim.needs import NeedState
from sim.projects import ProjectState


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
    assert all(x.resources["active_volunteer"] > 0 and x.resources["hours_meal"] >= 0 for x in lists)
    assert sum(x.resources["pooled_money"] for x in lists) == sum(m.projects.pool.values())
