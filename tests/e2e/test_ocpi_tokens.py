"""An eMSP's tokens, end to end: the independent partner registers with a real Voltstack server, pushes
its drivers' tokens over OCPI, and an OCPP 1.6 charger is answered for them by the domain's one rule."""

import asyncio
import base64

import pytest
from asgiref.sync import sync_to_async

from roaming.models import Partner, RealtimeAuthorization
from roaming.services import registration
from sessions.models import Transaction
from tests.e2e.ocpi_partner.fixture import request
from tests.ocpp_client import call, open_socket

pytestmark = pytest.mark.e2e

BOOT = {"chargePointVendor": "Alfen", "chargePointModel": "Eve Single"}


def status(value: str, timestamp: str, connector_id: int = 1) -> dict:
    return {"connectorId": connector_id, "errorCode": "NoError", "status": value, "timestamp": timestamp}


def rfid(uid: str, **changes) -> dict:
    token = {"country_code": "NL", "party_id": "EMS", "uid": uid, "type": "RFID", "contract_id": f"NL-EMS-{uid}"}
    token.update(issuer="Partner eMSP", valid=True, whitelist="ALLOWED", last_updated="2026-12-01T10:00:00Z")
    return {**token, **changes}


async def test_a_pushed_token_charges_at_a_16_charger_and_an_invalid_one_does_not(
    ocpi_server, ocpi_partner, make_station
):
    partner = await sync_to_async(Partner.objects.create)(name="Partner eMSP")
    token_a = await sync_to_async(registration.issue_token_a)(partner=partner)
    versions_url = f"{ocpi_server.http_url}/ocpi/versions"
    registered = await ocpi_partner.acontrol("POST", "/register", {"versions_url": versions_url, "token_a": token_a})
    assert registered["registered"], registered

    for token in (rfid("04A2B3C4D5E6F7"), rfid("04FFFF00000001", valid=False)):
        pushed = await ocpi_partner.acontrol("POST", "/tokens", token)
        assert pushed["http_status"] == 200 and pushed["response"]["status_code"] == 1000, pushed

    await make_station("CP-ROAM")
    async with open_socket(ocpi_server, "CP-ROAM") as ws:
        assert (await call(ws, "BootNotification", BOOT))[2]["status"] == "Accepted"
        await call(ws, "StatusNotification", status("Available", "2026-12-04T09:00:00Z"))
        await call(ws, "StatusNotification", status("Preparing", "2026-12-04T09:59:00Z"))
        authorized = await call(ws, "Authorize", {"idTag": "04A2B3C4D5E6F7"})
        assert authorized[2] == {"idTagInfo": {"status": "Accepted"}}
        start = {"connectorId": 1, "idTag": "04A2B3C4D5E6F7", "meterStart": 1000, "timestamp": "2026-12-04T10:00:00Z"}
        started = await call(ws, "StartTransaction", start)
        assert started[2]["idTagInfo"]["status"] == "Accepted"
        await call(ws, "StatusNotification", status("Charging", "2026-12-04T10:00:01Z"))

        refused = await call(ws, "Authorize", {"idTag": "04FFFF00000001"})
        assert refused[2] == {"idTagInfo": {"status": "Blocked"}}
        start = {"connectorId": 2, "idTag": "04FFFF00000001", "meterStart": 0, "timestamp": "2026-12-04T10:05:00Z"}
        assert (await call(ws, "StartTransaction", start))[2]["idTagInfo"]["status"] == "Blocked"

    tx = await sync_to_async(Transaction.objects.select_related("id_tag").get)(pk=started[2]["transactionId"])
    assert (tx.id_tag.id_tag, tx.id_tag.issuer_party, tx.authorization_status) == (
        "04A2B3C4D5E6F7",
        "NL*EMS",
        "Accepted",
    )


async def registered_partner(ocpi_server, ocpi_partner) -> Partner:
    partner = await sync_to_async(Partner.objects.create)(name="Partner eMSP")
    token_a = await sync_to_async(registration.issue_token_a)(partner=partner)
    versions_url = f"{ocpi_server.http_url}/ocpi/versions"
    registered = await ocpi_partner.acontrol("POST", "/register", {"versions_url": versions_url, "token_a": token_a})
    assert registered["registered"], registered
    return await sync_to_async(Partner.objects.get)(pk=partner.pk)


async def test_a_token_its_emsp_decides_on_in_real_time_is_answered_by_the_partner(
    ocpi_server, ocpi_partner, make_station
):
    """Whitelist NEVER: the server asks the partner (POST tokens/{uid}/authorize), which answers from its own
    tokens: ALLOWED for a valid one, NOT_ALLOWED for one it withdrew."""
    partner = await registered_partner(ocpi_server, ocpi_partner)
    assert partner.endpoint("tokens", "SENDER"), partner.endpoints
    for token in (rfid("04AA0000000001", whitelist="NEVER"), rfid("04AA0000000002", whitelist="NEVER", valid=False)):
        pushed = await ocpi_partner.acontrol("POST", "/tokens", token)
        assert pushed["http_status"] == 200 and pushed["response"]["status_code"] == 1000, pushed

    await make_station("CP-RT")
    async with open_socket(ocpi_server, "CP-RT") as ws:
        assert (await call(ws, "BootNotification", BOOT))[2]["status"] == "Accepted"
        await call(ws, "StatusNotification", status("Preparing", "2026-12-04T09:59:00Z"))
        assert (await call(ws, "Authorize", {"idTag": "04AA0000000001"}))[2] == {"idTagInfo": {"status": "Accepted"}}
        start = {"connectorId": 1, "idTag": "04AA0000000001", "meterStart": 0, "timestamp": "2026-12-04T10:00:00Z"}
        assert (await call(ws, "StartTransaction", start))[2]["idTagInfo"]["status"] == "Accepted"
        refused = await call(ws, "Authorize", {"idTag": "04AA0000000002"})
        assert refused[2] == {"idTagInfo": {"status": "Invalid"}}

    asked = await sync_to_async(list)(
        RealtimeAuthorization.objects.order_by("id").values_list("id_tag", "partner_id", "allowed")
    )
    assert asked == [("04AA0000000001", partner.pk, "ALLOWED"), ("04AA0000000002", partner.pk, "NOT_ALLOWED")]


async def test_rotated_credentials_reach_the_partner_and_the_old_token_stops_working(
    ocpi_server, ocpi_partner, settings
):
    settings.OCPI_BASE_URL = ocpi_server.http_url  # the rotation runs here, in the test, not in the server
    partner = await registered_partner(ocpi_server, ocpi_partner)
    old = (await ocpi_partner.acontrol("GET", "/state"))["parties"]
    old_token = next(iter(p["theirs"]["token"] for p in old.values() if "theirs" in p))

    await sync_to_async(registration.rotate_credentials)(partner=partner)

    state = await ocpi_partner.acontrol("GET", "/state")
    new_token = state["parties"][state["peer"]]["theirs"]["token"]
    assert new_token != old_token
    url = f"{ocpi_server.http_url}/ocpi/2.2.1/credentials"
    assert (await asyncio.to_thread(request, "GET", url, headers=token_header(old_token)))[0] == 401
    assert (await asyncio.to_thread(request, "GET", url, headers=token_header(new_token)))[0] == 200
    # The partner goes on calling us, with the new token.
    pushed = await ocpi_partner.acontrol("POST", "/tokens", rfid("04BB0000000001"))
    assert pushed["http_status"] == 200 and pushed["response"]["status_code"] == 1000, pushed


def token_header(value: str) -> dict:
    return {"Authorization": f"Token {base64.b64encode(value.encode()).decode()}"}
