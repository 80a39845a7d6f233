from datetime import datetime, timedelta, timezone

import pytest

from csms.ocpp.models import OcppMessage
from csms.ocpp.services import purge_message_log
from stations.models import ChargingStation, ConfigurationKey, Connector, StatusEvent
from stations.services import StatusReport, mark_silent_stations_offline, provision_station, record_status

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 21, 10, tzinfo=timezone.utc)


def test_a_late_status_is_history_but_does_not_overwrite_a_newer_one():
    station = provision_station(charge_point_id="CP-S", password="x" * 16)
    record_status(station_id=station.pk, evse_id=1, connector_id=1, report=StatusReport("Charging"), timestamp=T0)
    record_status(station_id=station.pk, evse_id=1, connector_id=1, report=StatusReport("Preparing"), timestamp=T0 - timedelta(minutes=1))
    connector = Connector.objects.get(evse__station=station, evse__evse_id=1)
    assert connector.status == "Charging"
    assert list(StatusEvent.objects.filter(connector=connector).values_list("status", "previous_status")) == [
        ("Charging", ""),
        ("Preparing", "Charging"),
    ]


def test_status_of_connector_zero_is_the_station_and_declared_connectors_are_created():
    station = provision_station(charge_point_id="CP-Z", password="x" * 16, evse_count=1)
    ConfigurationKey.objects.create(station=station, key="NumberOfConnectors", value="3", readonly=True)
    record_status(station_id=station.pk, evse_id=0, connector_id=1, report=StatusReport("Unavailable"), timestamp=T0)
    record_status(
        station_id=station.pk, evse_id=3, connector_id=1,
        report=StatusReport("Faulted", error_code="GroundFailure", vendor_error_code="E42", info="RCD"), timestamp=T0,
    )
    station.refresh_from_db()
    assert station.status == "Unavailable"
    faulted = Connector.objects.get(evse__station=station, evse__evse_id=3)
    assert (faulted.status, faulted.error_code, faulted.vendor_error_code, faulted.info) == ("Faulted", "GroundFailure", "E42", "RCD")


def test_silent_stations_are_marked_offline(settings):
    settings.OCPP_HEARTBEAT_INTERVAL = 60
    quiet = provision_station(charge_point_id="CP-QUIET", password="x" * 16)
    lively = provision_station(charge_point_id="CP-LIVELY", password="x" * 16)
    now = datetime.now(timezone.utc)
    ChargingStation.objects.filter(pk=quiet.pk).update(connection_channel="c1", last_heartbeat_at=now - timedelta(minutes=10))
    ChargingStation.objects.filter(pk=lively.pk).update(connection_channel="c2", last_heartbeat_at=now)
    assert mark_silent_stations_offline(now=now) == 1
    assert list(ChargingStation.objects.exclude(connection_channel="").values_list("charge_point_id", flat=True)) == ["CP-LIVELY"]


def test_message_log_retention(settings):
    settings.OCPP_MESSAGE_LOG_RETENTION_DAYS = 7
    now = datetime.now(timezone.utc)
    for age in (1, 6, 8, 30):
        OcppMessage.objects.create(charge_point_id="CP", direction="in", payload="[]", created_at=now - timedelta(days=age))
    assert purge_message_log(now=now) == 2
    assert OcppMessage.objects.count() == 2
