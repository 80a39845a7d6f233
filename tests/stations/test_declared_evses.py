"""A station's EVSEs are the operator's plus the ones the station declared; a charger cannot invent more (item 15)."""

from datetime import UTC, datetime

import pytest

from stations.models import ConfigurationKey, Connector, DeviceModelVariable, Evse
from stations.services import StatusReport, UnknownEvse, ensure_connector, provision_station, record_status

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 21, 10, tzinfo=UTC)


def evse_numbers(station) -> list[int]:
    return list(Evse.objects.filter(station=station).order_by("evse_id").values_list("evse_id", flat=True))


def test_the_operators_evses_are_accepted_and_others_refused():
    station = provision_station(charge_point_id="CP-OWN", password="x" * 16, evse_count=2)
    assert ensure_connector(station_id=station.pk, evse_id=2).evse.evse_id == 2
    for evse_id in (3, 99, 2**31 - 1):
        with pytest.raises(UnknownEvse):
            ensure_connector(station_id=station.pk, evse_id=evse_id)
    with pytest.raises(UnknownEvse):
        ensure_connector(station_id=station.pk, evse_id=1, connector_id=2)  # a second plug nobody declared
    assert evse_numbers(station) == [1, 2]


def test_an_evse_the_operator_adds_without_connectors_gets_its_first_connector():
    station = provision_station(charge_point_id="CP-ADMIN-EVSE", password="x" * 16, evse_count=1)
    Evse.objects.create(station=station, evse_id=7)
    assert ensure_connector(station_id=station.pk, evse_id=7).connector_id == 1


def test_a_16_station_declares_its_connectors_with_number_of_connectors(settings):
    settings.OCPP_MAX_DECLARED_EVSES = 8
    station = provision_station(charge_point_id="CP-NOC", password="x" * 16, evse_count=1)
    ConfigurationKey.objects.create(station=station, key="NumberOfConnectors", value="3", readonly=True)
    assert ensure_connector(station_id=station.pk, evse_id=3).evse.evse_id == 3
    with pytest.raises(UnknownEvse):
        ensure_connector(station_id=station.pk, evse_id=4)
    ConfigurationKey.objects.filter(station=station).update(value="1000000")  # a broken value opens no million EVSEs
    ensure_connector(station_id=station.pk, evse_id=8)
    with pytest.raises(UnknownEvse):
        ensure_connector(station_id=station.pk, evse_id=9)
    assert evse_numbers(station) == [1, 3, 8]


def test_a_201_station_declares_evses_and_connectors_in_its_device_model():
    station = provision_station(charge_point_id="CP-DM", password="x" * 16, evse_count=1)
    DeviceModelVariable.objects.create(
        station=station, component="EVSE", evse_id=2, variable="AvailabilityState", value="Available"
    )
    DeviceModelVariable.objects.create(
        station=station, component="Connector", evse_id=2, connector_id=2, variable="ConnectorType", value="cCCS2"
    )
    assert ensure_connector(station_id=station.pk, evse_id=2).connector_id == 1
    assert ensure_connector(station_id=station.pk, evse_id=2, connector_id=2).connector_id == 2
    with pytest.raises(UnknownEvse):
        ensure_connector(station_id=station.pk, evse_id=2, connector_id=3)
    with pytest.raises(UnknownEvse):
        ensure_connector(station_id=station.pk, evse_id=3)


def test_a_status_for_an_unknown_evse_stores_nothing():
    station = provision_station(charge_point_id="CP-Z", password="x" * 16, evse_count=1)
    with pytest.raises(UnknownEvse):
        record_status(station_id=station.pk, evse_id=3, connector_id=1, report=StatusReport("Faulted"), timestamp=T0)
    assert evse_numbers(station) == [1]
    assert not Connector.objects.filter(evse__station=station, status="Faulted").exists()
    assert not station.status_events.exists()
