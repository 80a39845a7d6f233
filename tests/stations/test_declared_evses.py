"""A station's EVSEs are the operator's plus the ones the station declared; a charger cannot invent more (item 15)."""

from datetime import UTC, datetime

import pytest

from stations.models import ConfigurationKey, Connector, DeviceModelVariable, Evse
from stations.services.connections import provision_station
from stations.services.evses import UnknownEvse, ensure_connector
from stations.services.status import StatusReport, record_status

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 21, 10, tzinfo=UTC)


def evse_numbers(station) -> list[int]:
    return list(Evse.objects.filter(station=station).order_by("number").values_list("number", flat=True))


def test_the_operators_evses_are_accepted_and_others_refused():
    station = provision_station(charge_point_id="CP-OWN", password="x" * 16, evse_count=2)
    assert ensure_connector(station_id=station.pk, evse_number=2).evse.number == 2
    for evse_number in (3, 99, 2**31 - 1):
        with pytest.raises(UnknownEvse):
            ensure_connector(station_id=station.pk, evse_number=evse_number)
    with pytest.raises(UnknownEvse):
        ensure_connector(station_id=station.pk, evse_number=1, connector_number=2)  # a second plug nobody declared
    assert evse_numbers(station) == [1, 2]


def test_an_evse_the_operator_adds_without_connectors_gets_its_first_connector():
    station = provision_station(charge_point_id="CP-ADMIN-EVSE", password="x" * 16, evse_count=1)
    Evse.objects.create(station=station, number=7)
    assert ensure_connector(station_id=station.pk, evse_number=7).number == 1


def test_a_16_station_declares_its_connectors_with_number_of_connectors(settings):
    settings.OCPP_MAX_DECLARED_EVSES = 8
    station = provision_station(charge_point_id="CP-NOC", password="x" * 16, evse_count=1)
    ConfigurationKey.objects.create(station=station, key="NumberOfConnectors", value="3", readonly=True)
    assert ensure_connector(station_id=station.pk, evse_number=3).evse.number == 3
    with pytest.raises(UnknownEvse):
        ensure_connector(station_id=station.pk, evse_number=4)
    ConfigurationKey.objects.filter(station=station).update(value="1000000")  # a broken value opens no million EVSEs
    ensure_connector(station_id=station.pk, evse_number=8)
    with pytest.raises(UnknownEvse):
        ensure_connector(station_id=station.pk, evse_number=9)
    assert evse_numbers(station) == [1, 3, 8]


def test_a_201_station_declares_evses_and_connectors_in_its_device_model():
    station = provision_station(charge_point_id="CP-DM", password="x" * 16, evse_count=1)
    DeviceModelVariable.objects.create(
        station=station, component="EVSE", evse_number=2, variable="AvailabilityState", value="Available"
    )
    DeviceModelVariable.objects.create(
        station=station,
        component="Connector",
        evse_number=2,
        connector_number=2,
        variable="ConnectorType",
        value="cCCS2",
    )
    assert ensure_connector(station_id=station.pk, evse_number=2).number == 1
    assert ensure_connector(station_id=station.pk, evse_number=2, connector_number=2).number == 2
    with pytest.raises(UnknownEvse):
        ensure_connector(station_id=station.pk, evse_number=2, connector_number=3)
    with pytest.raises(UnknownEvse):
        ensure_connector(station_id=station.pk, evse_number=3)


def test_a_status_for_an_unknown_evse_stores_nothing():
    station = provision_station(charge_point_id="CP-Z", password="x" * 16, evse_count=1)
    with pytest.raises(UnknownEvse):
        record_status(
            station_id=station.pk, evse_number=3, connector_number=1, report=StatusReport("Faulted"), timestamp=T0
        )
    assert evse_numbers(station) == [1]
    assert not Connector.objects.filter(evse__station=station, status="Faulted").exists()
    assert not station.status_events.exists()
