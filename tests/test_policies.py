import pytest

from sim import GovModel, InputError, Params
from sim.policies import AddPartnerUnits, ParamChange, VolunteerDrive, policy_from_dict
from sim.providers import ProviderKind, ProviderState


def _units_active(m):
    pr = m.providers
    return int(((pr.kind == ProviderKind.UNIT) & (pr.state == ProviderState.ACTIVE)).sum())


def test_partner_units_join_and_leave_on_their_days():
    m = GovModel(Params(), seed=1, policies=[AddPartnerUnits(count=5, start_day=3, end_day=8)], collect=False)
    base = _units_active(m)
    m.run(3)
    assert _units_active(m) == base
    m.run(1)
    assert _units_active(m) == base + 5
    m.run(5)
    assert _units_active(m) == base


def test_param_change_is_time_phased():
    m = GovModel(
        Params(), seed=1, policies=[ParamChange(changes={"dispatch_rule": "none"}, start_day=2, end_day=4)]
    )
    rules = []
    for _ in range(6):
        m.step()
        rules.append(m.params.dispatch_rule)
    assert rules == ["closed_loop", "closed_loop", "none", "none", "closed_loop", "closed_loop"]


def test_volunteer_drive_registers_people():
    m = GovModel(Params(), seed=1, policies=[VolunteerDrive(recruits=0.1, start_day=0)], collect=False)
    before = m.providers.n
    m.step()
    assert m.providers.n > before + 300


@pytest.mark.parametrize(
    ("table", "needle"),
    [
        ({"kind": "add_canteens"}, "kind"),
        ({"kind": "add_partner_units", "cuont": 3}, "cuont"),
        ({"kind": "add_partner_units", "count": 3, "communities": [5]}, "community 5"),
        ({"kind": "add_partner_units", "count": -1}, "count"),
        ({"kind": "param_change", "changes": {"bogus": 1}}, "bogus"),
        ({"kind": "volunteer_drive", "recruits": 3.0}, "recruits"),
        ({"kind": "volunteer_drive", "start_day": 5, "end_day": 2}, "end_day"),
    ],
)
def test_bad_policies_are_rejected(table, needle):
    with pytest.raises(InputError, match=needle):
        policy = policy_from_dict(table)
        policy.validate(Params())
