from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache

from csms import processes
from csms.ocpp.models import OcppMessage
from csms.ocpp.services import purge_message_log
from stations.models import ChargingStation, ConfigurationKey, Connector, StatusEvent
from stations.selectors.connections import command_route, station_online
from stations.services.boot import record_heartbeat
from stations.services.connections import (
    clear_dead_connections,
    mark_silent_stations_offline,
    provision_station,
    station_connected,
    station_disconnected,
)
from stations.services.status import StatusReport, record_status

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 21, 10, tzinfo=UTC)


def test_a_late_status_is_history_but_does_not_overwrite_a_newer_one():
    station = provision_station(charge_point_id="CP-S", password="x" * 16)
    record_status(
        station_id=station.pk, evse_number=1, connector_number=1, report=StatusReport("Charging"), timestamp=T0
    )
    record_status(
        station_id=station.pk,
        evse_number=1,
        connector_number=1,
        report=StatusReport("Preparing"),
        timestamp=T0 - timedelta(minutes=1),
    )
    connector = Connector.objects.get(evse__station=station, evse__number=1)
    assert connector.status == "Charging"
    assert list(StatusEvent.objects.filter(connector=connector).values_list("status", "previous_status")) == [
        ("Charging", ""),
        ("Preparing", "Charging"),
    ]


def test_status_of_connector_zero_is_the_station_and_declared_connectors_are_created():
    station = provision_station(charge_point_id="CP-Z", password="x" * 16, evse_count=1)
    ConfigurationKey.objects.create(station=station, key="NumberOfConnectors", value="3", readonly=True)
    record_status(
        station_id=station.pk, evse_number=0, connector_number=1, report=StatusReport("Unavailable"), timestamp=T0
    )
    record_status(
        station_id=station.pk,
        evse_number=3,
        connector_number=1,
        report=StatusReport("Faulted", error_code="GroundFailure", vendor_error_code="E42", info="RCD"),
        timestamp=T0,
    )
    station.refresh_from_db()
    assert station.status == "Unavailable"
    faulted = Connector.objects.get(evse__station=station, evse__number=3)
    assert (faulted.status, faulted.error_code, faulted.vendor_error_code, faulted.info) == (
        "Faulted",
        "GroundFailure",
        "E42",
        "RCD",
    )


def test_silent_stations_are_marked_offline(settings):
    settings.OCPP_HEARTBEAT_INTERVAL = 60
    quiet = provision_station(charge_point_id="CP-QUIET", password="x" * 16)
    lively = provision_station(charge_point_id="CP-LIVELY", password="x" * 16)
    now = datetime.now(UTC)
    ChargingStation.objects.filter(pk=quiet.pk).update(
        connection_channel="c1", last_heartbeat_at=now - timedelta(minutes=10)
    )
    ChargingStation.objects.filter(pk=lively.pk).update(connection_channel="c2", last_heartbeat_at=now)
    assert mark_silent_stations_offline(now=now) == 1
    assert list(ChargingStation.objects.exclude(connection_channel="").values_list("charge_point_id", flat=True)) == [
        "CP-LIVELY"
    ]


def test_message_log_retention(settings):
    settings.OCPP_MESSAGE_LOG_RETENTION_DAYS = 7
    now = datetime.now(UTC)
    for age in (1, 6, 8, 30):
        OcppMessage.objects.create(
            charge_point_id="CP", direction="in", payload="[]", created_at=now - timedelta(days=age)
        )
    assert purge_message_log(now=now) == 2
    assert OcppMessage.objects.count() == 2


def test_a_station_that_reconnects_after_a_long_absence_is_not_silent(settings):
    """Issue 9 #17: silence counts from the later of the last heartbeat and the connection."""
    settings.OCPP_HEARTBEAT_INTERVAL = 60
    back = provision_station(charge_point_id="CP-BACK", password="x" * 16)
    now = datetime.now(UTC)
    ChargingStation.objects.filter(pk=back.pk).update(
        connection_channel="specific.p!back",
        connected_at=now - timedelta(seconds=5),
        last_heartbeat_at=now - timedelta(days=2),
    )
    assert mark_silent_stations_offline(now=now) == 0
    assert ChargingStation.objects.get(pk=back.pk).connection_channel == "specific.p!back"


def test_the_newest_handshake_holds_the_station_whatever_order_they_are_recorded_in():
    """Issue 9 #17 (reconnect storm): an older handshake recorded after a newer one loses."""
    station = provision_station(charge_point_id="CP-STORMY", password="x" * 16)
    assert station_connected(
        station_id=station.pk, channel_name="specific.p!new", ocpp_version="1.6", since=T0 + timedelta(seconds=1)
    )
    assert not station_connected(station_id=station.pk, channel_name="specific.p!old", ocpp_version="1.6", since=T0)
    station_disconnected(station_id=station.pk, channel_name="specific.p!old")  # the loser's cleanup
    assert ChargingStation.objects.get(pk=station.pk).connection_channel == "specific.p!new"
    station_disconnected(station_id=station.pk, channel_name="specific.p!new")
    assert ChargingStation.objects.get(pk=station.pk).connection_channel == ""


def test_stations_of_a_dead_process_are_cleared_and_no_others(settings):
    """Issue 9 #17: a process seen alive once whose liveness key expired is dead; one never seen
    (keys lost) is not taken for dead."""
    settings.OCPP_PROCESS_TTL = 30
    processes.keep_alive("specific.live-process!x")
    cache.set("ocpp-process:specific.dead-process:seen", 1, timeout=60)  # alive once, its key expired
    channels = {
        "CP-ON-DEAD": "specific.dead-process!a",
        "CP-ON-LIVE": "specific.live-process!b",
        "CP-ON-UNKNOWN": "specific.never-seen!c",
    }
    for charge_point_id, channel in channels.items():
        station = provision_station(charge_point_id=charge_point_id, password="x" * 16)
        ChargingStation.objects.filter(pk=station.pk).update(connection_channel=channel)
    dead = ChargingStation.objects.get(charge_point_id="CP-ON-DEAD")
    assert not station_online(station=dead) and command_route(station_id=dead.pk).channel == ""
    assert clear_dead_connections() == 1
    assert set(ChargingStation.objects.exclude(connection_channel="").values_list("charge_point_id", flat=True)) == {
        "CP-ON-LIVE",
        "CP-ON-UNKNOWN",
    }
    assert ChargingStation.objects.get(pk=dead.pk).disconnected_at is not None


def test_a_heartbeat_over_a_live_socket_records_it_again_after_a_sweep_cleared_it():
    """A live process taken for dead (its liveness key lost) had its stations cleared: the next
    heartbeat over the socket puts the station back online; one heartbeat from a closing
    connection does not, and a station held by another socket keeps that one."""
    station = provision_station(charge_point_id="CP-RECLAIM", password="x" * 16)
    record_heartbeat(station_id=station.pk, now=T0, channel_name="")
    assert ChargingStation.objects.get(pk=station.pk).connection_channel == ""
    record_heartbeat(station_id=station.pk, now=T0, channel_name="specific.p!a")
    assert ChargingStation.objects.get(pk=station.pk).connection_channel == "specific.p!a"
    record_heartbeat(station_id=station.pk, now=T0, channel_name="specific.p!older")
    assert ChargingStation.objects.get(pk=station.pk).connection_channel == "specific.p!a"
