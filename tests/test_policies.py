import pytest

from sim import GovModel, InputError, Params
from sim.policies import AddPartnerUnits, ParamChange, VolunteerDrive, policy_from_dict
from sim.providers import ProviderKind, ProviderState


def _units_active(m):
    pr = m.providers
    return int(((pr.kind == ProviderKind.UNIT) & (pr.state == ProviderState.ACTIVE)).sum())


@pytest.mark.slow
def test_partner_units_join_and_leave_on_their_days():
    m = GovModel(Params(), seed=1, policies=[AddPartnerUnits(count=5, start_day=3, end_day=8)], collect=False)
    base = _units_active(m)
    m.run(3)
    assert _units_active(m) == base
    m.run(1)
    assert _units_active(m) == base + 5
    m.run(5)
    assert _units_active(m) == base


@pytest.mark.slow
def test_param_change_is_time_phased():
    m = GovModel(
        Params(), seed=1, policies=[ParamChange(changes={"dispatch_rule": "none"}, start_day=2, end_day=4)]
    )
    rules = []
    for _ in range(6):
        m.step()
        rules.append(m.params.dispatch_rule)
    assert rules == ["closed_loop", "closed_loop", "none", "none", "closed_loop", "closed_loop"]


@pytest.mark.slow
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
        ({"kind": "volunteer_drive", "start_day": True}, "start_day"),
    ],
)
def test_bad_policies_are_rejected(table, needle):
    with pytest.raises(InputError, match=needle):
        policy = policy_from_dict(table)
        policy.validate(Params())


@pytest.mark.slow
def test_ending_a_canteen_policy_closes_only_its_canteens_and_keeps_loss_records():
    from sim.policies import AddCanteen

    cheap = AddCanteen(count=1, price=1.0, start_day=0, end_day=150)
    m = GovModel(Params().replace(canteen_loss_tolerance=5000.0), seed=2, policies=[cheap], collect=False)
    m.run(200)
    c = m.canteens
    assert c.n == 2
    closed_on = c.closed[1] - m.day0  # policy days count from the end of the spin-up
    assert c.closed_for_losses[1] and 0 < closed_on < 150, "the cheap canteen closed for losses first"
    m2 = GovModel(Params(), seed=2, policies=[AddCanteen(count=1, start_day=0, end_day=50)], collect=False)
    m2.run(60)
    assert m2.canteens.closed[1] - m2.day0 == 50 and not m2.canteens.closed_for_losses[1]
    assert m2.canteens.closed[0] == -1 and m2.canteens.is_open(m2.day).sum() == 1


def test_param_change_refuses_build_time_parameters():
    with pytest.raises(InputError, match="'canteen_price' is fixed when the model is built"):
        policy_from_dict({"kind": "param_change", "changes": {"canteen_price": 12.0}}).validate(Params())
    policy_from_dict({"kind": "param_change", "changes": {"recognition": 0.9}}).validate(Params())


def test_a_drive_without_active_share_takes_the_recruit_active_share_parameter():
    drive = policy_from_dict({"kind": "volunteer_drive"})
    assert drive.active_share is None
    drive.validate(Params())
    with pytest.raises(InputError, match="active_share"):
        policy_from_dict({"kind": "volunteer_drive", "active_share": 1.5}).validate(Params())


def test_volunteers_have_no_per_agent_review():
    from sim.agents import Volunteer

    assert not hasattr(Volunteer, "monthly_review")
