"""GET /api/v1/stations/{charge_point_id} and .../evses/{evse_number}; OCPP statuses as OCPI EVSE statuses."""

from urllib.parse import quote

import pytest
from rest_framework.test import APIClient

from stations.models import RegistrationStatus
from stations.selectors.status import EvseStatus, ocpi_evse_status
from tests.stations.conftest import Plug

ODD_ID = "DE*VLT*E 0001:a"  # charge point ids are strings, not numbers


def station_url(station_id: str, *rest: str) -> str:
    return "/".join(["/api/v1/stations", quote(station_id), *rest])


def test_a_station_by_its_charge_point_id(api, site):
    site(ODD_ID, 52.52, 13.405, Plug(status="Available"), Plug("IEC_62196_T2_COMBO", 150_000, "Faulted"))
    response = api.get(station_url(ODD_ID))
    assert response.status_code == 200
    station = response.json()
    assert station["id"] == ODD_ID and "distance_m" not in station
    assert [(e["evse_id"], e["status"]) for e in station["evses"]] == [(1, "AVAILABLE"), (2, "OUTOFORDER")]
    assert station["coordinates"] == {"latitude": 52.52, "longitude": 13.405}


def test_a_station_without_a_location_can_still_be_opened_from_its_qr_code(api, site):
    station = site("CP-NOWHERE", 0, 0)
    station.location = None
    station.save()
    body = api.get(station_url("CP-NOWHERE")).json()
    assert (body["name"], body["location"], body["coordinates"]) == ("CP-NOWHERE", None, None)


@pytest.mark.parametrize("registration_status", [RegistrationStatus.PENDING, RegistrationStatus.REJECTED])
def test_unknown_or_not_accepted_stations_are_not_found(api, site, registration_status):
    site("CP-WAITING", 52.52, 13.405, registration_status=registration_status)
    for url in (station_url("CP-WAITING"), station_url("NO-SUCH"), station_url("CP-WAITING", "evses", "1")):
        response = api.get(url)
        assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_the_evse_a_qr_code_names(api, site):
    site("CP-QR", 52.52, 13.405, Plug(status="Available"), Plug("IEC_62196_T2_COMBO", 150_000, "Preparing"))
    body = api.get(station_url("CP-QR", "evses", "2")).json()
    assert body["station"]["id"] == "CP-QR" and "evses" not in body["station"]
    assert body["station"]["location"]["name"] == "Site CP-QR"
    evse = body["evse"]
    assert (evse["evse_id"], evse["status"], evse["connectors"][0]["standard"]) == (2, "CHARGING", "IEC_62196_T2_COMBO")
    missing = api.get(station_url("CP-QR", "evses", "3"))
    assert missing.status_code == 404 and missing.json() == {
        "code": "not_found",
        "message": "This station has no such EVSE.",
    }


def test_anonymous_is_refused(site, db):
    site("CP-1", 52.52, 13.405)
    assert APIClient().get(station_url("CP-1")).status_code == 401


@pytest.mark.parametrize(
    "statuses, expected",
    [
        (["Available"], EvseStatus.AVAILABLE),
        (["Preparing"], EvseStatus.CHARGING),
        (["Charging"], EvseStatus.CHARGING),
        (["SuspendedEV"], EvseStatus.CHARGING),
        (["SuspendedEVSE"], EvseStatus.CHARGING),
        (["Finishing"], EvseStatus.CHARGING),
        (["Occupied"], EvseStatus.CHARGING),  # OCPP 2.0.1
        (["Reserved"], EvseStatus.RESERVED),
        (["Unavailable"], EvseStatus.INOPERATIVE),
        (["Faulted"], EvseStatus.OUTOFORDER),
        ([""], EvseStatus.UNKNOWN),
        ([], EvseStatus.UNKNOWN),
        (["Something"], EvseStatus.UNKNOWN),
        (["Charging", "Unavailable"], EvseStatus.CHARGING),  # 2.0.1: the other connector is blocked by the one in use
        (["Faulted", "Available"], EvseStatus.AVAILABLE),
    ],
)
def test_ocpp_statuses_as_ocpi_evse_statuses(statuses, expected):
    assert ocpi_evse_status(connector_statuses=statuses, station_online=True) == expected


def test_a_station_offline_or_down_as_a_whole_overrides_its_connectors():
    assert ocpi_evse_status(connector_statuses=["Available"], station_online=False) == EvseStatus.UNKNOWN
    assert (
        ocpi_evse_status(connector_statuses=["Available"], station_online=True, station_status="Faulted")
        == EvseStatus.OUTOFORDER
    )
    assert (
        ocpi_evse_status(connector_statuses=["Available"], station_online=True, station_status="Unavailable")
        == EvseStatus.INOPERATIVE
    )
    assert (
        ocpi_evse_status(connector_statuses=["Available"], station_online=True, station_status="Available")
        == EvseStatus.AVAILABLE
    )
