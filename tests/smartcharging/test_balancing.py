"""Issue 13, real-time site load balancing: what the chargers of a balanced site receive.

A site of 10 single-EVSE 1.6 stations on a 100 A three-phase grid connection; sessions are started and
stopped by the services a charger's messages reach (Preparing before the start). The command port's
gateway is replaced by a recorder (as tests/dashboard/test_station.py's `charger`) that answers Accepted,
or refuses for the stations a test names; the frames it records are what the chargers would receive.
"""

from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone

from csms.ocpp import gateway
from csms.ocpp.commands import CommandRejected, SetChargingProfile, StationNotConnected
from csms.ocpp.v16 import commands as v16_commands
from csms.ocpp.v201 import commands as v201_commands
from csms.shared_cache import shared_cache
from sessions.meter import Sample
from sessions.models import DriverSession, IdTag
from sessions.services.meter_values import record_meter_values
from sessions.services.transactions import start_transaction, stop_transaction
from smartcharging import services, tasks
from smartcharging.models import BalancedSite, Circuit, ControlledEvse, EvseAllocation, GroupPriority
from stations.models import Location
from stations.services.boot import BootInfo, record_boot
from stations.services.connections import provision_station, station_connected, station_disconnected
from stations.services.status import StatusReport, record_status

pytestmark = pytest.mark.django_db

START = timezone.now().replace(microsecond=0) - timedelta(minutes=10)


@pytest.fixture(autouse=True)
def no_queued_replans():
    """A re-plan an earlier test queued (or a lock it held) must not debounce this test's: site ids recur."""
    cache = shared_cache()
    redis = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    for key in redis.scan_iter(match=cache.make_key("smartcharging:*")):
        redis.delete(key)


@pytest.fixture
def site(db):
    location = Location.objects.create(name="Car park", latitude=Decimal("52.5"), longitude=Decimal("13.4"))
    site = BalancedSite.objects.create(location=location, limit_a=100.0)
    for n in range(10):
        station = provision_station(charge_point_id=f"CP-SC-{n}", password="a-long-station-password", location=location)
        station_connected(station_id=station.pk, channel_name=f"specific.test!sc{n}", ocpp_version="1.6")
        ControlledEvse.objects.create(evse=station.evses.get(), site=site, phases=3, min_a=6.0, max_a=32.0)
    return site


@pytest.fixture
def charger():
    """Every SetChargingProfile the gateway is asked to carry, by station; stations in `refusing` answer
    Rejected, those in `unreachable` are gone before they answer."""
    sent: list[tuple[int, SetChargingProfile]] = []
    refusing: set[int] = set()
    unreachable: set[int] = set()

    async def dispatch(*, station_id, command):
        sent.append((station_id, command))
        if station_id in refusing:
            raise CommandRejected(f"station {station_id}", "SetChargingProfile", "Rejected", {})
        if station_id in unreachable:
            raise StationNotConnected(f"station {station_id}")
        return gateway.Reply(action=type(command).__name__, status="Accepted", data={})

    with mock.patch.object(gateway, "dispatch", dispatch):
        yield type("Charger", (), {"sent": sent, "refusing": refusing, "unreachable": unreachable})


def stations(site) -> list[int]:
    return list(site.evses.order_by("evse__station__charge_point_id").values_list("evse__station_id", flat=True))


def start(station_id: int, n: int):
    """A car plugs in (Preparing) and its card starts a session on EVSE 1."""
    IdTag.objects.get_or_create(id_tag=f"CARD-{n}")
    record_status(
        station_id=station_id,
        evse_number=1,
        connector_number=1,
        report=StatusReport(status="Preparing"),
        timestamp=START,
    )
    return start_transaction(
        station_id=station_id, evse_number=1, id_tag=f"CARD-{n}", meter_start_wh=0, started_at=START
    ).transaction


def limits(sent) -> dict[int, float]:
    """The TxProfile limit each station received last, in A."""
    out = {}
    for station_id, command in sent:
        assert command.profile.purpose == "Tx" and command.profile.rate_unit == "A"
        out[station_id] = command.profile.periods[0].limit
    return out


def test_four_sessions_on_100_a_get_25_a_each(site, charger):
    ids = stations(site)
    txs = {ids[n]: start(ids[n], n) for n in range(4)}

    services.replan(site_id=site.pk)

    assert limits(charger.sent) == {ids[n]: 25.0 for n in range(4)}
    for station_id, command in charger.sent:
        profile = command.profile
        assert command.evse_number == 1
        assert profile.transaction_id == txs[station_id].pk and profile.stack_level == services.TX_STACK_LEVEL
        assert profile.periods[0].phases == 3 and profile.kind == "Relative"
    # As a 1.6 charger reads it: a TxProfile on connector 1 for its transaction, 25 A on three phases.
    station_id, command = charger.sent[0]
    frame = v16_commands.set_charging_profile(command)
    assert frame.connector_id == 1
    assert frame.cs_charging_profiles == {
        "charging_profile_id": services.TX_PROFILE_BASE + ControlledEvse.objects.get(evse__station_id=station_id).pk,
        "transaction_id": txs[station_id].pk,
        "stack_level": 2,
        "charging_profile_purpose": "TxProfile",
        "charging_profile_kind": "Relative",
        "recurrency_kind": None,
        "valid_from": None,
        "valid_to": None,
        "charging_schedule": {
            "charging_rate_unit": "A",
            "charging_schedule_period": [{"start_period": 0, "limit": 25.0, "number_phases": 3}],
        },
    }
    rows = EvseAllocation.objects.filter(evse__site=site)
    assert sorted(r.status for r in rows) == ["charging"] * 4 + ["idle"] * 6
    assert {r.sent_limit for r in rows if r.status == "charging"} == {25.0}
    assert {r.answer for r in rows if r.status == "charging"} == {"Accepted"}


def test_a_session_stopping_gives_the_others_more(site, charger):
    ids = stations(site)
    txs = [start(ids[n], n) for n in range(5)]
    services.replan(site_id=site.pk)
    assert limits(charger.sent) == {ids[n]: 20.0 for n in range(5)}
    charger.sent.clear()

    stop_transaction(station_id=ids[0], transaction_id=txs[0].pk, meter_stop_wh=5_000, stopped_at=timezone.now())
    services.replan(site_id=site.pk)

    assert limits(charger.sent) == {ids[n]: 25.0 for n in range(1, 5)}


def test_a_charger_that_rejects_is_taken_at_its_max_and_not_asked_again(site, charger):
    ids = stations(site)
    for n in range(4):
        start(ids[n], n)
    charger.refusing.add(ids[0])

    services.replan(site_id=site.pk)

    # Each got 25 A first; station 0 refused, so it counts at 32 A and the other three share 68 A.
    sent_to_refuser = [c for s, c in charger.sent if s == ids[0]]
    assert len(sent_to_refuser) == 1
    assert limits([(s, c) for s, c in charger.sent[4:]]) == {ids[n]: 22.6 for n in range(1, 4)}
    refuser = EvseAllocation.objects.get(evse__evse__station_id=ids[0])
    assert refuser.status == "uncontrolled" and "Rejected" in refuser.answer
    charger.sent.clear()

    services.replan(site_id=site.pk)
    assert charger.sent == []


def test_an_offline_station_is_taken_at_its_max(site, charger):
    ids = stations(site)
    for n in range(4):
        start(ids[n], n)
    station_disconnected(station_id=ids[0], channel_name="specific.test!sc0")

    services.replan(site_id=site.pk)

    assert limits(charger.sent) == {ids[n]: 22.6 for n in range(1, 4)}
    assert EvseAllocation.objects.get(evse__evse__station_id=ids[0]).status == "uncontrolled"


def test_a_station_gone_before_it_answers_is_not_asked_again(site, charger):
    ids = stations(site)
    for n in range(4):
        start(ids[n], n)
    charger.unreachable.add(ids[0])

    services.replan(site_id=site.pk)
    services.replan(site_id=site.pk)

    assert [s for s, _ in charger.sent].count(ids[0]) == 1
    assert limits(charger.sent[4:]) == {ids[n]: 22.6 for n in range(1, 4)}


def test_an_unchanged_allocation_sends_nothing(site, charger):
    ids = stations(site)
    for n in range(4):
        start(ids[n], n)
    services.replan(site_id=site.pk)
    charger.sent.clear()

    services.replan(site_id=site.pk)

    assert charger.sent == []


def test_a_priority_group_gets_its_share_first(site, charger, django_user_model):
    ids = stations(site)
    fleet = Group.objects.create(name="fleet")
    GroupPriority.objects.create(group=fleet, priority=10)
    driver = django_user_model.objects.create_user("fleet@example.com", "fleet@example.com", "a-driver-password")
    driver.groups.add(fleet)
    txs = [start(ids[n], n) for n in range(4)]
    DriverSession.objects.create(
        driver=driver,
        id_tag=txs[0].id_tag,
        station_id=ids[0],
        connector=txs[0].connector,
        transaction=txs[0],
        state=DriverSession.State.ACTIVE,
    )

    services.replan(site_id=site.pk)

    assert limits(charger.sent) == {ids[0]: 32.0, **{ids[n]: 22.6 for n in range(1, 4)}}


def test_a_connecting_station_gets_a_safe_default(site, charger):
    ids = stations(site)

    services.station_connected(station_id=ids[0])

    # 100 A over 10 EVSEs if every one drew at once.
    [(station_id, command)] = charger.sent
    profile = command.profile
    assert station_id == ids[0] and command.evse_number == 1
    assert profile.purpose == "TxDefault" and profile.stack_level == services.DEFAULT_STACK_LEVEL
    assert profile.rate_unit == "A" and profile.periods[0].limit == 10.0 and profile.transaction_id is None
    assert EvseAllocation.objects.get(evse__evse__station_id=ids[0]).default_limit == 10.0


def test_the_safe_default_is_never_below_the_minimum(site, charger):
    site.limit_a = 50.0
    site.save()

    services.station_connected(station_id=stations(site)[3])

    # 5 A each would not charge a car: not every minimum fits, so each gets its minimum.
    [(_, command)] = charger.sent
    assert command.profile.periods[0].limit == 6.0


def test_a_connection_sets_defaults_and_replans_through_the_lifecycle(
    site, charger, eager_tasks, django_capture_on_commit_callbacks
):
    ids = stations(site)
    start(ids[1], 1)
    station_disconnected(station_id=ids[1], channel_name="specific.test!sc1")

    with django_capture_on_commit_callbacks(execute=True):
        station_connected(station_id=ids[1], channel_name="specific.test!sc1b", ocpp_version="1.6")

    purposes = [(s, c.profile.purpose, c.profile.periods[0].limit) for s, c in charger.sent]
    assert purposes == [(ids[1], "TxDefault", 10.0), (ids[1], "Tx", 32.0)]


def test_a_burst_of_readings_is_one_replan(site, charger, django_capture_on_commit_callbacks):
    ids = stations(site)
    tx = start(ids[0], 0)

    with mock.patch.object(tasks.replan_site, "apply_async") as queued:
        for second in range(10):
            at = START + timedelta(seconds=30 + second)
            with django_capture_on_commit_callbacks(execute=True):
                record_meter_values(
                    station_id=ids[0],
                    evse_number=1,
                    transaction_id=tx.pk,
                    samples=[Sample(timestamp=at, value=str(100 + second), unit="Wh")],
                )

    queued.assert_called_once_with((site.pk,), countdown=settings.SMART_CHARGING_DEBOUNCE_SECONDS)


def test_a_replan_waits_for_the_one_holding_the_site(site, charger):
    ids = stations(site)
    start(ids[0], 0)

    with services.site_lock(site.pk) as held, mock.patch.object(tasks.replan_site, "apply_async") as queued:
        assert held
        assert services.replan(site_id=site.pk) is None
        tasks.replan_site(site.pk)  # a worker's re-plan while another holds the site: queued again
    assert charger.sent == []
    queued.assert_called_once_with((site.pk,), countdown=settings.SMART_CHARGING_DEBOUNCE_SECONDS)

    tasks.replan_site(site.pk)
    assert limits(charger.sent) == {ids[0]: 32.0}


def test_a_station_accepted_at_its_boot_gets_its_safe_default(
    site, charger, eager_tasks, django_capture_on_commit_callbacks
):
    ids = stations(site)

    with django_capture_on_commit_callbacks(execute=True):
        record_boot(station_id=ids[2], info=BootInfo(vendor="Acme", model="Wallbox"), now=timezone.now())

    [(station_id, command)] = charger.sent
    assert station_id == ids[2] and command.profile.purpose == "TxDefault" and command.profile.periods[0].limit == 10.0


def test_a_dc_evse_is_limited_in_watts(site, charger):
    ids = stations(site)
    dc = ControlledEvse.objects.get(evse__station_id=ids[0])
    dc.dc, dc.min_kw, dc.max_kw = True, 5.0, 150.0
    dc.save()
    start(ids[0], 0)
    start(ids[1], 1)

    services.replan(site_id=site.pk)

    # 100 A at 230 V on three phases is 69 kW; shared max-min fair in A per phase with the 32 A AC EVSE.
    by_station = {s: c.profile for s, c in charger.sent}
    assert by_station[ids[0]].rate_unit == "W" and by_station[ids[0]].periods[0].phases is None
    assert by_station[ids[0]].periods[0].limit == round(3 * 230 * 68 / 1000, 1) * 1000
    assert by_station[ids[1]].periods[0].limit == 32.0


def test_a_car_drawing_less_than_its_limit_is_held_near_its_draw(site, charger):
    ids = stations(site)
    slow = start(ids[0], 0)
    for n in range(1, 4):
        start(ids[n], n)
    services.replan(site_id=site.pk)
    EvseAllocation.objects.update(sent_at=timezone.now() - timedelta(seconds=site.observation_s + 5))
    now = timezone.now()
    record_meter_values(
        station_id=ids[0],
        evse_number=1,
        transaction_id=slow.pk,
        samples=[
            Sample(timestamp=now - timedelta(seconds=5), value="10", measurand="Current.Import", unit="A", phase=p)
            for p in ("L1", "L2", "L3")
        ],
    )
    charger.sent.clear()

    services.replan(site_id=site.pk)

    # It draws 10 A of its 25: held at 10 + the 2 A buffer, the others share the rest (88 / 3, within 32).
    assert limits(charger.sent) == {ids[0]: 12.0, **{ids[n]: 29.3 for n in range(1, 4)}}


def test_a_drivers_own_power_limit_caps_the_allocation(site, charger, django_user_model):
    ids = stations(site)
    driver = django_user_model.objects.create_user("d@example.com", "d@example.com", "a-driver-password")
    txs = [start(ids[n], n) for n in range(2)]
    DriverSession.objects.create(
        driver=driver,
        id_tag=txs[0].id_tag,
        station_id=ids[0],
        connector=txs[0].connector,
        transaction=txs[0],
        state=DriverSession.State.ACTIVE,
        max_power_w=11_040,  # 16 A on three phases at 230 V
    )

    services.replan(site_id=site.pk)

    assert limits(charger.sent) == {ids[0]: 16.0, ids[1]: 32.0}


def test_a_stations_own_fuse_is_sent_as_its_station_max_profile(site, charger):
    ids = stations(site)
    supply = Circuit.objects.create(site=site, name="CP-SC-4 supply", limit_a=16.0, station_id=ids[4])
    ControlledEvse.objects.filter(evse__station_id=ids[4]).update(circuit=supply)

    services.station_connected(station_id=ids[4])

    (_, cap), (_, default) = charger.sent
    assert cap.evse_number == 0 and cap.profile.purpose == "StationMax" and cap.profile.periods[0].limit == 16.0
    assert default.profile.purpose == "TxDefault" and default.profile.periods[0].limit == 10.0
    supply.refresh_from_db()
    assert supply.station_max_answer == "Accepted"


def test_a_201_station_gets_its_transaction_by_its_own_id(site, charger):
    ids = stations(site)
    tx = start(ids[0], 0)
    tx.uid = "d3b07384-2.0.1-tx"
    tx.save(update_fields=["uid"])

    services.replan(site_id=site.pk)

    [(_, command)] = charger.sent
    frame = v201_commands.set_charging_profile(command)
    assert frame.evse_id == 1
    profile = frame.charging_profile
    assert profile["charging_profile_purpose"] == "TxProfile" and profile["transaction_id"] == "d3b07384-2.0.1-tx"
    assert profile["charging_schedule"][0]["charging_schedule_period"] == [
        {"start_period": 0, "limit": 32.0, "number_phases": 3}
    ]
