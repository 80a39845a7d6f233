"""A roaming driver's session, end to end: the independent eMSP registers with a real Voltstack server and
pushes its token, an OCPP 1.6 charger runs an RFID session with it, and the eMSP receives the session by
PUT while it runs and when it ends, then exactly one CDR whose total is our sealed record's; its own
pulls of sessions and CDRs validate against its own models."""

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async

from billing.models import ChargeDetailRecord, PriceComponent, Tariff, TariffAssignment, TariffElement
from roaming.models import Partner, Push
from roaming.services import registration
from stations.models import Location
from stations.services.connections import provision_station
from tests.conftest import eventually
from tests.ocpp_client import STATION_PASSWORD, call, open_socket

pytestmark = pytest.mark.e2e

BOOT = {"chargePointVendor": "Alfen", "chargePointModel": "Eve Single"}
UID = "04A2B3C4D5E6F7"
TOKEN = {
    "country_code": "NL", "party_id": "EMS", "uid": UID, "type": "RFID", "contract_id": f"NL-EMS-{UID}",
    "issuer": "Partner eMSP", "valid": True, "whitelist": "ALLOWED", "last_updated": "2026-12-01T10:00:00Z",
}  # fmt: skip


def priced_site() -> Location:
    location = Location.objects.create(name="Depot", address="Hauptstr. 1", city="Berlin", latitude=52.52,
                                       longitude=13.405)  # fmt: skip
    provision_station(charge_point_id="CP-ROAM", password=STATION_PASSWORD, location=location)
    tariff = Tariff.objects.create(tariff_id="ROAM")
    element = TariffElement.objects.create(tariff=tariff, position=0)
    PriceComponent.objects.create(element=element, type="FLAT", price=Decimal("0.50"), step_size=1, vat=Decimal(19))
    PriceComponent.objects.create(element=element, type="ENERGY", price=Decimal("0.39"), step_size=1, vat=Decimal(19))
    TariffAssignment.objects.create(tariff=tariff, location=location)
    return location


def at(start: datetime, minutes: float) -> str:
    return (start + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def status(value: str, timestamp: str) -> dict:
    return {"connectorId": 1, "errorCode": "NoError", "status": value, "timestamp": timestamp}


def meter(transaction_id: int, wh: int, timestamp: str) -> dict:
    sampled = [{"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]
    return {"connectorId": 1, "transactionId": transaction_id, "meterValue": [{"timestamp": timestamp,
                                                                                "sampledValue": sampled}]}  # fmt: skip


async def test_the_partner_gets_its_drivers_session_and_one_cdr_at_our_price(ocpi_server, celery_worker, ocpi_partner):
    await sync_to_async(priced_site)()
    partner = await sync_to_async(Partner.objects.create)(name="Partner eMSP")
    token_a = await sync_to_async(registration.issue_token_a)(partner=partner)
    versions_url = f"{ocpi_server.http_url}/ocpi/versions"
    registered = await ocpi_partner.acontrol("POST", "/register", {"versions_url": versions_url, "token_a": token_a})
    assert registered["registered"], registered
    pushed = await ocpi_partner.acontrol("POST", "/tokens", TOKEN)
    assert pushed["response"]["status_code"] == 1000, pushed

    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    async with open_socket(ocpi_server, "CP-ROAM") as ws:
        assert (await call(ws, "BootNotification", BOOT))[2]["status"] == "Accepted"
        await call(ws, "StatusNotification", status("Available", at(start, -2)))
        await call(ws, "StatusNotification", status("Preparing", at(start, -1)))
        assert (await call(ws, "Authorize", {"idTag": UID}))[2] == {"idTagInfo": {"status": "Accepted"}}
        started = await call(ws, "StartTransaction", {"connectorId": 1, "idTag": UID, "meterStart": 10_000,
                                                      "timestamp": at(start, 0)})  # fmt: skip
        tx_id = started[2]["transactionId"]
        await call(ws, "StatusNotification", status("Charging", at(start, 0)))
        await call(ws, "MeterValues", meter(tx_id, 15_000, at(start, 10)))
        await call(ws, "MeterValues", meter(tx_id, 20_000, at(start, 20)))
        await call(ws, "StatusNotification", status("Finishing", at(start, 25)))
        stop = {"transactionId": tx_id, "idTag": UID, "meterStop": 22_000, "timestamp": at(start, 25)}
        await call(ws, "StopTransaction", stop)
        await call(ws, "StatusNotification", status("Available", at(start, 26)))

    def sealed():
        return ChargeDetailRecord.objects.filter(transaction_id=tx_id).first()

    record = await eventually(sealed, timeout=15)

    async def received(method: str, module: str) -> list[dict]:
        log = (await ocpi_partner.acontrol("GET", "/state"))["log"]
        return [e for e in log if e["method"] == method and f"/2.2.1/{module}" in e["path"]]

    async def cdr_arrived():
        return await received("POST", "cdrs")

    deadline = asyncio.get_running_loop().time() + 15
    while not await cdr_arrived():
        assert asyncio.get_running_loop().time() < deadline, "no CDR reached the partner"
        await asyncio.sleep(0.2)

    puts = await received("PUT", "sessions")
    assert all(p["status"] == 200 and p["path"].endswith(f"/DE/VST/{tx_id}") for p in puts)
    assert puts[0]["body"]["status"] == "ACTIVE" and puts[-1]["body"]["status"] == "COMPLETED"
    assert puts[-1]["body"]["kwh"] == 12 and puts[-1]["body"]["cdr_token"]["uid"] == UID
    await asyncio.sleep(1)  # a second POST, were one coming, would be as quick as the first
    [cdr] = await received("POST", "cdrs")
    assert cdr["status"] == 200 and cdr["body"]["session_id"] == str(tx_id) and cdr["body"]["id"] == str(record.pk)
    # 0.50 + 12 kWh at 0.39 = 5.18 excl. VAT, 6.16 with 19 %: the sealed record, to the cent.
    total = cdr["body"]["total_cost"]
    assert (Decimal(str(total["excl_vat"])), Decimal(str(total["incl_vat"]))) == (
        record.total_cost_excl_vat,
        record.total_cost_incl_vat,
    )
    assert record.total_cost_excl_vat == Decimal("5.18")
    assert await sync_to_async(Push.objects.filter(module="cdrs").count)() == 1

    sessions = await ocpi_partner.acontrol("GET", "/pull/sessions")
    assert sessions["errors"] == [] and sessions["ids"] == [str(tx_id)]
    assert sessions["objects"][0]["status"] == "COMPLETED"
    cdrs = await ocpi_partner.acontrol("GET", "/pull/cdrs")
    assert cdrs["errors"] == [] and cdrs["ids"] == [str(record.pk)]
    assert cdrs["objects"][0]["total_cost"] == cdr["body"]["total_cost"]
