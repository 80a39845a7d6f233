"""Locations as a partner sees them: one OCPI Location per site, the EVSEs of all its stations, eMI3 ids."""

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from roaming import schemas
from roaming.mapping.locations import connector_object, evse_object, location_object
from stations.models import (
    ChargingStation,
    Connector,
    ConnectorStatus,
    Evse,
    Location,
    PowerType,
    RegistrationStatus,
)
from tests.roaming.ocpi_shapes import assert_ocpi

T0 = datetime(2025, 3, 1, 8, 0, 0, 123456, tzinfo=UTC)
OPENING_HOURS = {
    "twentyfourseven": False,
    "regular_hours": [{"weekday": d, "period_begin": "07:00", "period_end": "22:00"} for d in range(1, 6)],
    "exceptional_closings": [{"period_begin": "2025-12-24T23:00:00Z", "period_end": "2025-12-26T23:00:00Z"}],
}


def station(location, charge_point_id, *, created, online=True, status="", registration=RegistrationStatus.ACCEPTED):
    s = ChargingStation.objects.create(
        charge_point_id=charge_point_id,
        location=location,
        connection_channel="specific.test!channel" if online else "",
        status=status,
        registration_status=registration,
    )
    ChargingStation.objects.filter(pk=s.pk).update(created_at=created)  # auto_now_add ignores what we pass
    return s


def connector(evse, number=1, *, status="Available", at=None, **hardware):
    return Connector.objects.create(evse=evse, number=number, status=status, status_updated_at=at, **hardware)


def reloaded(location, *, updated_at=T0):
    """The location as a list view loads it, its rows (location, EVSEs, connectors) last changed at `updated_at`."""
    Location.objects.filter(pk=location.pk).update(updated_at=updated_at)  # auto_now ignores what we pass
    Evse.objects.filter(station__location=location).update(updated_at=updated_at)
    Connector.objects.filter(evse__station__location=location).update(updated_at=updated_at)
    return Location.objects.prefetch_related("stations__evses__connectors").get(pk=location.pk)


@pytest.fixture
def depot(db):
    """Two accepted stations with three EVSEs between them, and a pending one partners must not see."""
    location = Location.objects.create(
        name="Voltstack Depot",
        address="Friedrichstraße 1",
        city="Berlin",
        postal_code="10117",
        country="DEU",
        latitude=Decimal("52.520008"),
        longitude=Decimal("13.404954"),
        time_zone="Europe/Berlin",
        opening_hours=OPENING_HOURS,
    )
    ac = station(location, "AC-1", created=T0)
    dc = station(location, "DC-1", created=T0 + timedelta(minutes=1))
    pending = station(location, "NEW-1", created=T0, registration=RegistrationStatus.PENDING)
    connector(Evse.objects.create(station=pending, number=1))
    ac1, ac2 = Evse.objects.create(station=ac, number=1), Evse.objects.create(station=ac, number=2)
    dc1 = Evse.objects.create(station=dc, number=1)
    connector(ac1, status="Charging", at=T0 + timedelta(hours=1))
    connector(
        ac2,
        status="Available",
        at=T0 + timedelta(hours=2),
        format="CABLE",
        power_type=PowerType.AC_1_PHASE,
        max_power_w=7_400,
    )
    connector(
        dc1,
        1,
        status="Available",
        standard="IEC_62196_T2_COMBO",
        format="CABLE",
        power_type=PowerType.DC,
        max_power_w=150_000,
        at=T0 + timedelta(hours=3),
    )
    connector(
        dc1, 2, status="Unavailable", standard="CHADEMO", format="CABLE", power_type=PowerType.DC, max_power_w=50_000
    )
    return reloaded(location), ac, dc, (ac1, ac2, dc1)


# What our Commands and ChargingProfiles receivers take for any EVSE; never RFID_READER, which we cannot know.
EVERY_EVSE_CAN = ["CHARGING_PROFILE_CAPABLE", "REMOTE_START_STOP_CAPABLE", "RESERVABLE", "UNLOCK_CAPABLE"]


def test_a_location_with_two_stations_and_three_evses(depot, django_assert_num_queries):
    location, ac, dc, (ac1, ac2, dc1) = depot
    with django_assert_num_queries(0):  # everything came with the prefetch
        data = location_object(location, country_code="DE", party_id="VST")
    assert data == {
        "country_code": "DE",
        "party_id": "VST",
        "id": str(location.pk),
        "publish": True,
        "name": "Voltstack Depot",
        "address": "Friedrichstraße 1",
        "city": "Berlin",
        "postal_code": "10117",
        "country": "DEU",
        "coordinates": {"latitude": "52.520008", "longitude": "13.404954"},
        "time_zone": "Europe/Berlin",
        "opening_times": OPENING_HOURS,
        "evses": [
            {
                "uid": str(ac1.pk),
                "evse_id": f"DE*VST*E{ac.pk:05d}*1",
                "status": "CHARGING",
                "capabilities": EVERY_EVSE_CAN,
                "connectors": [
                    {
                        "id": "1",
                        "standard": "IEC_62196_T2",
                        "format": "SOCKET",
                        "power_type": "AC_3_PHASE",
                        "max_voltage": 230,
                        "max_amperage": 32,
                        "max_electric_power": 22_000,
                        "last_updated": "2025-03-01T09:00:00Z",
                    }
                ],
                "last_updated": "2025-03-01T09:00:00Z",
            },
            {
                "uid": str(ac2.pk),
                "evse_id": f"DE*VST*E{ac.pk:05d}*2",
                "status": "AVAILABLE",
                "capabilities": EVERY_EVSE_CAN,
                "connectors": [
                    {
                        "id": "1",
                        "standard": "IEC_62196_T2",
                        "format": "CABLE",
                        "power_type": "AC_1_PHASE",
                        "max_voltage": 230,
                        "max_amperage": 33,
                        "max_electric_power": 7_400,
                        "last_updated": "2025-03-01T10:00:00Z",
                    }
                ],
                "last_updated": "2025-03-01T10:00:00Z",
            },
            {
                "uid": str(dc1.pk),
                "evse_id": f"DE*VST*E{dc.pk:05d}*1",
                "status": "AVAILABLE",  # one of its connectors can charge
                "capabilities": EVERY_EVSE_CAN,
                "connectors": [
                    {
                        "id": "1",
                        "standard": "IEC_62196_T2_COMBO",
                        "format": "CABLE",
                        "power_type": "DC",
                        "max_voltage": 400,
                        "max_amperage": 375,
                        "max_electric_power": 150_000,
                        "last_updated": "2025-03-01T11:00:00Z",
                    },
                    {
                        "id": "2",
                        "standard": "CHADEMO",
                        "format": "CABLE",
                        "power_type": "DC",
                        "max_voltage": 400,
                        "max_amperage": 125,
                        "max_electric_power": 50_000,
                        "last_updated": "2025-03-01T08:01:00Z",  # never reported: its station's creation
                    },
                ],
                "last_updated": "2025-03-01T11:00:00Z",
            },
        ],
        "last_updated": "2025-03-01T11:00:00Z",
    }
    assert_ocpi(schemas.LOCATION, data)


def test_an_edited_row_is_newer_for_partners_up_to_its_location(depot):
    location, ac, dc, (ac1, ac2, dc1) = depot
    plug = dc1.connectors.get(number=2)
    plug.max_power_w = 60_000
    plug.save()  # an operator's edit: auto_now stamps it
    fresh = Location.objects.prefetch_related("stations__evses__connectors").get(pk=location.pk)
    data = location_object(fresh, country_code="DE", party_id="VST")
    edited = plug.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert edited > "2025-03-01T11:00:00Z"
    evse = next(e for e in data["evses"] if e["uid"] == str(dc1.pk))
    assert [c["last_updated"] for c in evse["connectors"]] == ["2025-03-01T11:00:00Z", edited]
    assert (evse["last_updated"], data["last_updated"]) == (edited, edited)
    other = next(e for e in data["evses"] if e["uid"] == str(ac1.pk))
    assert other["last_updated"] == "2025-03-01T09:00:00Z"  # untouched


def test_empty_opening_hours_are_open_around_the_clock_and_long_texts_are_cut_to_ocpi_lengths(db):
    location = Location.objects.create(
        name="N" * 255, address="A" * 60, city="C" * 50, postal_code="", latitude=-33.9, longitude=-151.2
    )
    data = location_object(reloaded(location), country_code="DE", party_id="VST")
    assert data["opening_times"] == {"twentyfourseven": True}
    assert (data["address"], data["city"]) == ("A" * 45, "C" * 45)
    assert "postal_code" not in data  # OCPI: omitted where a location has none
    assert data["coordinates"] == {"latitude": "-33.900000", "longitude": "-151.200000"}
    assert data["evses"] == [] and data["last_updated"] == "2025-03-01T08:00:00Z"  # its row's last change
    assert_ocpi(schemas.LOCATION, data)


# What an EVSE with one connector shows for each status its connector reports (station online, connector 0 fine).
EVSE_STATUS = {
    ConnectorStatus.AVAILABLE: "AVAILABLE",
    ConnectorStatus.PREPARING: "CHARGING",  # OCPI's CHARGING is "in use": a vehicle is plugged in
    ConnectorStatus.CHARGING: "CHARGING",
    ConnectorStatus.SUSPENDED_EV: "CHARGING",
    ConnectorStatus.SUSPENDED_EVSE: "CHARGING",
    ConnectorStatus.FINISHING: "CHARGING",
    ConnectorStatus.OCCUPIED: "CHARGING",
    ConnectorStatus.RESERVED: "RESERVED",
    ConnectorStatus.UNAVAILABLE: "INOPERATIVE",
    ConnectorStatus.FAULTED: "OUTOFORDER",
}


def test_the_table_covers_every_connector_status():
    assert set(EVSE_STATUS) == set(ConnectorStatus)


def one_evse(status, *, online=True, station_status=""):
    location = Location.objects.create(name="Site", latitude=52.5, longitude=13.4)
    s = station(location, "CP-1", created=T0, online=online, status=station_status)
    evse = Evse.objects.create(station=s, number=3)
    connector(evse, status=status)
    return Evse.objects.select_related("station").prefetch_related("connectors").get(pk=evse.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("status, expected", [*EVSE_STATUS.items(), ("", "UNKNOWN")])
def test_evse_status_from_the_connector(status, expected):
    data = evse_object(one_evse(status), country_code="DE", party_id="VST")
    assert data["status"] == expected
    assert_ocpi(schemas.EVSE, data)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "online, station_status, expected",
    [
        (False, "", "UNKNOWN"),  # offline: whatever the connector last said
        (True, "Faulted", "OUTOFORDER"),  # connector 0, the whole station
        (True, "Unavailable", "INOPERATIVE"),
        (True, "Available", "AVAILABLE"),
    ],
)
def test_evse_status_from_the_station(online, station_status, expected):
    evse = one_evse("Available", online=online, station_status=station_status)
    assert evse_object(evse, country_code="DE", party_id="VST")["status"] == expected


@pytest.mark.django_db
def test_emi3_evse_id_uses_our_party_and_the_station_pk():
    evse = one_evse("Available")
    data = evse_object(evse, country_code="NL", party_id="ABC")
    assert data["evse_id"] == f"NL*ABC*E{evse.station_id:05d}*3"
    assert data["uid"] == str(evse.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "power_type, power_w, voltage, amperage",
    [
        (PowerType.AC_3_PHASE, 11_000, 230, 16),
        (PowerType.AC_2_PHASE, 7_400, 230, 17),
        (PowerType.AC_2_PHASE_SPLIT, 9_600, 120, 40),
        (PowerType.AC_1_PHASE, 3_700, 230, 17),
        (PowerType.DC, 50_000, 400, 125),
    ],
)
def test_voltage_and_amperage_from_power_and_power_type(power_type, power_w, voltage, amperage):
    evse = one_evse("Available")
    plug = Connector.objects.create(evse=evse, number=2, power_type=power_type, max_power_w=power_w)
    data = connector_object(plug, tariff_ids=["DEMO-AC"])
    assert (data["max_voltage"], data["max_amperage"], data["max_electric_power"]) == (voltage, amperage, power_w)
    assert data["tariff_ids"] == ["DEMO-AC"]
    assert_ocpi(schemas.CONNECTOR, data)


@pytest.mark.django_db
def test_the_demo_locations_are_ocpi_locations():
    call_command("seed_demo", stdout=io.StringIO())
    locations = Location.objects.prefetch_related("stations__evses__connectors")
    assert locations
    for location in locations:
        assert_ocpi(schemas.LOCATION, location_object(location, country_code="DE", party_id="VST"))
