"""District scale: communities are the same alone and inside the district, and fit in memory.

Each community is built from its own streams and every run-time draw is keyed by
district-wide ids, so a community's outcomes inside a model of many communities
equal those of the same community built alone (``first_community``), except for
what partner units shared within a subdistrict (``unit_sharing``) change.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from sim import GovModel, Params
from sim.params import BYTES_PER_RESIDENT, DISTRICT_COMMUNITIES
from sim.runner import community_table

pytestmark = pytest.mark.slow  # make check skips this module

# Scale identity is a property of the build and the keyed draws: these tests start from the
# built state (no spin-up), where a community's need arrivals do not yet depend on how its
# care levels have drifted with the service it received.
BUILT = Params().replace(spinup_days=0)


def _table(params: Params, seed: int, days: int) -> pd.DataFrame:
    model = GovModel(params, seed, collect=False)
    model.run(days)
    return community_table(model).set_index("community")


def _alone(params: Params, communities, seed: int, days: int) -> pd.DataFrame:
    parts = [_table(params.replace(communities=1, first_community=c), seed, days) for c in communities]
    return pd.concat(parts)


def _unmet(t: pd.DataFrame) -> pd.Series:
    return (t["unmet_need_rate"] * t["needs_closed"]).round()


def test_a_community_is_the_same_alone_and_inside_the_district():
    """Units serving only their own community: every per-community outcome is identical."""
    p = BUILT.replace(unit_sharing="community")
    inside = _table(p.replace(communities=4, first_community=20), seed=3, days=90)
    alone = _alone(p, range(20, 24), seed=3, days=90)
    assert inside["needs_closed"].min() > 1000  # a real quarter of need and service
    pd.testing.assert_frame_equal(inside, alone, check_exact=True)


def test_shared_units_explain_the_difference_from_a_community_built_alone():
    """Units serving their subdistrict: what arises is identical; services and unmet needs
    differ by no more than the unit services that crossed community lines."""
    p = BUILT  # unit_sharing = subdistrict
    assert p.unit_sharing == "subdistrict"
    inside = _table(p.replace(communities=6), seed=3, days=90)
    alone = _alone(p, range(6), seed=3, days=90)
    assert (inside["subdistrict"] == 0).all()  # the six share subdistrict 0
    for col in ("residents", "needs_arisen"):
        assert (inside[col] == alone[col]).all(), col
    assert (alone["served_by_other_communities_units"] == 0).all()
    crossed = inside["served_by_other_communities_units"] + inside["units_services_elsewhere"]
    assert (inside["served_by_other_communities_units"] > 0).all()  # sharing does something
    assert not inside["served_by_units"].equals(alone["served_by_units"])
    assert ((inside["served"] - alone["served"]).abs() <= crossed).all()
    assert ((_unmet(inside) - _unmet(alone)).abs() <= crossed).all()


_DISTRICT = textwrap.dedent(
    """
    import json, resource, sys
    from sim import GovModel, Params
    from sim.runner import community_table
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    model = GovModel(Params().replace(communities=193, spinup_days=0), seed=11)
    model.run(int(sys.argv[1]))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    table = community_table(model)
    daily = model.datacollector.get_model_vars_dataframe()
    print(json.dumps({
        "kib_before": before, "kib_peak": peak, "residents": int(model.pop.n),
        "subdistricts": int(model.pop.comm_subdistrict.max()) + 1,
        "daily_shape": list(daily.shape), "table": table.to_dict(orient="list"),
    }))
    """
)


@pytest.fixture(scope="module")
def district():
    """The whole district, 193 communities, 3 days, in a fresh process (for its peak memory)."""
    out = subprocess.run(
        [sys.executable, "-c", _DISTRICT, "3"], capture_output=True, text=True, check=True, timeout=600
    )
    return json.loads(out.stdout)


def test_the_district_builds_and_runs_with_aggregated_outputs(district):
    table = pd.DataFrame(district["table"])
    assert len(table) == DISTRICT_COMMUNITIES and district["subdistricts"] == 17
    assert table["community"].tolist() == list(range(DISTRICT_COMMUNITIES))
    assert 1_300_000 <= district["residents"] <= 1_400_000  # ~1.34 M (docs/sources.md)
    assert table["residents"].sum() == district["residents"]
    sizes = table.groupby("subdistrict").size()
    assert sizes.min() >= 11 and sizes.max() <= 12  # 193 communities in 17 subdistricts
    days, columns = district["daily_shape"]
    assert days == 3 and columns < 400  # a row a day of aggregates and running totals, not per resident


def test_memory_per_resident_stays_under_the_stated_bound(district):
    grown = (district["kib_peak"] - district["kib_before"]) * 1024
    per_resident = grown / district["residents"]
    assert per_resident < BYTES_PER_RESIDENT, f"{per_resident:.0f} bytes per resident"


def test_district_communities_match_their_builds_alone(district):
    """Three communities across the district (first, middle, last), 3 days: arrivals
    identical, services within the unit services that crossed community lines."""
    inside = pd.DataFrame(district["table"]).set_index("community")
    picks = [0, 96, DISTRICT_COMMUNITIES - 1]
    alone = _alone(BUILT, picks, seed=11, days=3)
    inside = inside.loc[picks]
    for col in ("residents", "needs_arisen"):
        assert np.array_equal(inside[col], alone[col]), col
    crossed = inside["served_by_other_communities_units"] + inside["units_services_elsewhere"]
    assert ((inside["served"] - alone["served"]).abs() <= crossed).all()
    assert ((_unmet(inside) - _unmet(alone)).abs() <= crossed).all()


def test_policies_name_the_models_own_community_indices():
    from sim.errors import InputError
    from sim.policies import AddCanteen

    params = Params().replace(communities=2, first_community=12)
    expected = r"allowed 0\.\.1 \(2 communities; index 0 is district community 12\)"
    with pytest.raises(InputError, match=expected):
        GovModel(params, 0, policies=[AddCanteen(communities=(2,))])
