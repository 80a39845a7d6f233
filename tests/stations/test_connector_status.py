"""What a connector status means is decided beside ConnectorStatus, once for every app that asks."""

from stations.models import ConnectorStatus as S


def test_every_status_means_one_thing_to_a_driver():
    """A vehicle at it, free, reserved, or out of service: exactly one for each status."""
    kinds = [S.in_use(), {S.AVAILABLE}, {S.RESERVED}, S.out_of_service()]
    for status in S:
        assert [status in kind for kind in kinds].count(True) == 1, status


def test_a_session_runs_while_charging_or_suspended_and_not_around_it():
    assert S.charging() == {S.CHARGING, S.SUSPENDED_EV, S.SUSPENDED_EVSE}
    assert S.charging().isdisjoint(S.plugged_in_idle())
    assert S.in_use() == S.charging() | S.plugged_in_idle()


def test_preparing_is_the_moment_to_start_not_a_vehicle_in_the_way():
    assert S.PREPARING in S.without_transaction() and S.PREPARING not in S.held_by_a_vehicle()
    assert S.held_by_a_vehicle() == S.in_use() - {S.PREPARING}
    assert S.without_transaction() == {S.AVAILABLE, S.PREPARING}


def test_an_ev_idle_in_its_session_is_suspended_or_finishing():
    assert S.ev_idle_in_session() == S.suspended() | {S.FINISHING}
    assert S.CHARGING not in S.ev_idle_in_session()
