"""An eMSP's commands end to end: the independent partner sends START_SESSION, STOP_SESSION, UNLOCK_CONNECTOR,
RESERVE_NOW and CANCEL_RESERVATION to a real server; a Celery worker asks a simulated 1.6 or 2.0.1 station
through the command port; the CommandResult arrives at the partner's response_url."""

from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from roaming.models import Command, Partner
from roaming.selectors.session_authorisation import Authorised, session_authorisation
from roaming.services import registration
from sessions.models import Reservation, Transaction
from simulator import ChargerOptions, ChargerOptions201, SimulatedCharger, SimulatedCharger201
from stations.models import ChargingStation, Location
from stations.services.connections import provision_station
from tests.conftest import eventually
from tests.ocpp_client import STATION_PASSWORD

pytestmark = pytest.mark.e2e

UID = "04A2B3C4D5E6F7"
TOKEN = {
    "country_code": "NL", "party_id": "EMS", "uid": UID, "type": "RFID", "contract_id": "NL-EMS-C12345678-X",
    "issuer": "Partner eMSP", "valid": True, "whitelist": "ALLOWED", "last_updated": "2026-12-01T10:00:00Z",
}  # fmt: skip


@pytest.fixture
async def emsp(ocpi_server, celery_worker, ocpi_partner):
    """The partner, registered with the server."""
    partner = await sync_to_async(Partner.objects.create)(name="Partner eMSP")
    token_a = await sync_to_async(registration.issue_token_a)(partner=partner)
    versions_url = f"{ocpi_server.http_url}/ocpi/versions"
    registered = await ocpi_partner.acontrol("POST", "/register", {"versions_url": versions_url, "token_a": token_a})
    assert registered["registered"], registered
    return ocpi_partner


async def online(server, charge_point_id: str, version: str):
    """A station at a location, with its simulated charger connected and booted: (location, station, charger)."""
    location = await sync_to_async(Location.objects.create)(name="Depot", latitude=52.52, longitude=13.405)
    station = await sync_to_async(provision_station)(
        charge_point_id=charge_point_id, password=STATION_PASSWORD, location=location, evse_count=2
    )
    common: dict[str, Any] = {"password": STATION_PASSWORD, "connectors": 2, "meter_interval": 0, "speedup": 600}
    if version == "1.6":
        charger = SimulatedCharger(charge_point_id, server.ocpp_url, ChargerOptions(**common, id_tag="OWN-CARD"))
    else:
        charger = SimulatedCharger201(charge_point_id, server.ocpp_url, ChargerOptions201(**common, id_tag="OWN"))
    await charger.connect()
    await charger.boot()

    def registered():
        """the server holds the station's socket"""
        found = ChargingStation.objects.get(pk=station.pk)
        return found if found.connection_channel and found.ocpp_version == version else None

    return location, await eventually(registered), charger


async def command(emsp, name: str, body: dict) -> str:
    """Send a command from the partner; it must be ACCEPTED at once. Its uid (in its response_url)."""
    sent = await emsp.acontrol("POST", f"/commands/{name}", body)
    assert sent["http_status"] == 200 and sent["response"]["status_code"] == 1000, sent
    assert sent["response"]["data"]["result"] == "ACCEPTED" and sent["response"]["data"]["timeout"] > 0, sent
    return sent["uid"]


async def result(emsp, uid: str) -> dict:
    """The CommandResult the partner got for the command."""

    def arrived():
        """the partner got the CommandResult"""
        return emsp.control("GET", "/state")["commands"][uid].get("result")

    return await eventually(arrived, timeout=15)


def evse_uid(station: ChargingStation, number: int) -> str:
    return str(station.evses.get(number=number).pk)


@pytest.mark.parametrize(
    ("version", "start_action"), [("1.6", "RemoteStartTransaction"), ("2.0.1", "RequestStartTransaction")]
)
async def test_start_session_charges_on_the_partners_token_and_stop_session_ends_it(
    ocpi_server, emsp, version, start_action
):
    location, station, charger = await online(ocpi_server, f"CP-OCPI-{version}", version)
    body = {"token": TOKEN, "location_id": str(location.pk), "authorization_reference": "emsp-auth-42"}
    body["evse_uid"] = await sync_to_async(evse_uid)(station, 1)
    uid = await command(emsp, "START_SESSION", body)
    assert (await result(emsp, uid))["result"] == "ACCEPTED"

    [start] = charger.exchanges(start_action, incoming=True)
    if version == "1.6":
        assert (start.request.payload["idTag"], start.request.payload["connectorId"]) == (UID, 1)
    else:
        assert start.request.payload["idToken"] == {"idToken": UID, "type": "ISO14443"}
        assert start.request.payload["evseId"] == 1

    def started():
        """the charger started the session on the partner's token"""
        return Transaction.objects.filter(station=station, status="active", id_tag_value=UID).first()

    tx = await eventually(started)

    def linked():
        """the START_SESSION keeps the transaction it started"""
        return Command.objects.filter(command="START_SESSION", transaction=tx).exists()

    await eventually(linked)
    assert await sync_to_async(session_authorisation)(tx) == Authorised("COMMAND", "emsp-auth-42")

    uid = await command(emsp, "STOP_SESSION", {"session_id": str(tx.pk)})
    assert (await result(emsp, uid))["result"] == "ACCEPTED"

    def stopped():
        """the charger stopped the session"""
        return Transaction.objects.filter(pk=tx.pk).exclude(status="active").exists()

    await eventually(stopped, timeout=15)
    await charger.close()


async def test_unlock_reserve_and_cancel_reach_a_16_station(ocpi_server, emsp):
    location, station, charger = await online(ocpi_server, "CP-OCPI-RES", "1.6")
    evse2 = await sync_to_async(evse_uid)(station, 2)

    unlock = {"location_id": str(location.pk), "evse_uid": evse2, "connector_id": "1"}
    uid = await command(emsp, "UNLOCK_CONNECTOR", unlock)
    assert (await result(emsp, uid))["result"] == "ACCEPTED"
    [frame] = charger.exchanges("UnlockConnector", incoming=True)
    assert frame.request.payload == {"connectorId": 2}

    expiry = (timezone.now() + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    reserve = {"token": TOKEN, "expiry_date": expiry, "reservation_id": "emsp-res-7", "location_id": str(location.pk)}
    uid = await command(emsp, "RESERVE_NOW", {**reserve, "evse_uid": evse2})
    assert (await result(emsp, uid))["result"] == "ACCEPTED"
    reservation = await sync_to_async(Reservation.objects.get)(station=station)
    [frame] = charger.exchanges("ReserveNow", incoming=True)
    assert (frame.request.payload["reservationId"], frame.request.payload["idTag"]) == (reservation.pk, UID)
    assert frame.request.payload["connectorId"] == 2

    uid = await command(emsp, "CANCEL_RESERVATION", {"reservation_id": "emsp-res-7"})
    assert (await result(emsp, uid))["result"] == "ACCEPTED"
    [frame] = charger.exchanges("CancelReservation", incoming=True)
    assert frame.request.payload == {"reservationId": reservation.pk}
    assert (await sync_to_async(Reservation.objects.get)(pk=reservation.pk)).status == "cancelled"

    def reservation_session():
        """the partner holds the reservation's Session (id "R" + our reservation id), completed"""
        sessions = emsp.control("GET", "/state")["objects"].get("sessions", {})
        session = sessions.get(f"DE/VST/R{reservation.pk}")
        return session if session and session["status"] == "COMPLETED" else None

    session = await eventually(reservation_session, timeout=15)
    assert (session["evse_uid"], session["cdr_token"]["uid"], session["kwh"]) == (evse2, UID, 0)
    await charger.close()


async def test_start_session_of_an_app_token_the_emsp_decides_on_charges_without_asking_it_again(ocpi_server, emsp):
    """mod_commands: an APP_USER token with whitelist NEVER, unknown to us and to be authorised in real time,
    is sent to the charger unchecked, and its start is Accepted without a real-time authorization."""
    location, station, charger = await online(ocpi_server, "CP-OCPI-APP", "1.6")
    app_token = {**TOKEN, "uid": "APP-USER-7", "type": "APP_USER", "whitelist": "NEVER"}
    body = {"token": app_token, "location_id": str(location.pk), "authorization_reference": "emsp-auth-app"}
    body["evse_uid"] = await sync_to_async(evse_uid)(station, 1)
    uid = await command(emsp, "START_SESSION", body)
    assert (await result(emsp, uid))["result"] == "ACCEPTED"

    def started():
        """the charger started the session on the app's token"""
        return Transaction.objects.filter(station=station, status="active", id_tag_value="APP-USER-7").first()

    tx = await eventually(started)
    assert tx.authorization_status == "Accepted"
    log = emsp.control("GET", "/state")["log"]
    assert [entry["path"] for entry in log if entry["path"].endswith("/authorize")] == []

    def linked():
        """the START_SESSION keeps the transaction it started (a subscriber, just after the start commits)"""
        return Command.objects.filter(command="START_SESSION", transaction=tx).exists()

    await eventually(linked)
    assert await sync_to_async(session_authorisation)(tx) == Authorised("COMMAND", "emsp-auth-app")
    await charger.close()
