"""A partner's driver charges on our station from the partner's app, end to end, with the partner down
for a while: the independent eMSP registers and sends START_SESSION with its token; a simulated OCPP 1.6
charger starts and meters a real session; the partner goes down while it charges and comes back; its
STOP_SESSION ends the session; billing seals it. The partner gets every session PUT and the one CDR
exactly once, the CDR at our sealed price to the cent and telling back the START_SESSION's reference."""

import asyncio
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from billing.models import ChargeDetailRecord, PriceComponent, Tariff, TariffAssignment, TariffElement
from roaming import tasks
from roaming.models import Partner, Push
from roaming.services import registration
from sessions.models import Transaction
from simulator import ChargerOptions, SimulatedCharger
from stations.models import ChargingStation, Location
from stations.services.connections import provision_station
from tests.conftest import eventually
from tests.ocpp_client import STATION_PASSWORD

pytestmark = pytest.mark.e2e

UID = "04B7C8D9E0F1A2"
TOKEN = {
    "country_code": "NL", "party_id": "EMS", "uid": UID, "type": "RFID", "contract_id": "NL-EMS-C87654321-Y",
    "issuer": "Partner eMSP", "valid": True, "whitelist": "ALLOWED", "last_updated": "2026-12-01T10:00:00Z",
}  # fmt: skip
REFERENCE = "emsp-auth-77"


@pytest.fixture
def ocpi_server_env() -> dict[str, str]:
    """Running sessions are PUT at most once a second (not every 30 s)."""
    return {"OCPI_SESSION_PUSH_INTERVAL": "1"}


def priced_station() -> tuple[Location, ChargingStation]:
    location = Location.objects.create(name="Depot", address="Hauptstr. 1", city="Berlin", latitude=52.52,
                                       longitude=13.405)  # fmt: skip
    station = provision_station(charge_point_id="CP-ROAMING", password=STATION_PASSWORD, location=location)
    tariff = Tariff.objects.create(tariff_id="ROAMING")
    element = TariffElement.objects.create(tariff=tariff, position=0)
    PriceComponent.objects.create(element=element, type="FLAT", price=Decimal("0.50"), step_size=1, vat=Decimal(19))
    PriceComponent.objects.create(element=element, type="ENERGY", price=Decimal("0.39"), step_size=1, vat=Decimal(19))
    TariffAssignment.objects.create(tariff=tariff, location=location)
    return location, station


async def test_start_session_to_cdr_with_the_partner_down_in_between(ocpi_server, celery_worker, ocpi_partner):
    location, station = await sync_to_async(priced_station)()
    options = ChargerOptions(password=STATION_PASSWORD, id_tag="OWN-CARD", meter_interval=0.5, speedup=600)
    charger = SimulatedCharger("CP-ROAMING", ocpi_server.ocpp_url, options)
    await charger.connect()
    await charger.boot()

    partner = await sync_to_async(Partner.objects.create)(name="Partner eMSP")
    token_a = await sync_to_async(registration.issue_token_a)(partner=partner)
    versions_url = f"{ocpi_server.http_url}/ocpi/versions"
    registered = await ocpi_partner.acontrol("POST", "/register", {"versions_url": versions_url, "token_a": token_a})
    assert registered["registered"], registered

    evse_uid = await sync_to_async(lambda: str(station.evses.get(number=1).pk))()
    start = {
        "token": TOKEN,
        "location_id": str(location.pk),
        "evse_uid": evse_uid,
        "authorization_reference": REFERENCE,
    }
    uid = await command(ocpi_partner, "START_SESSION", start)
    assert (await result(ocpi_partner, uid))["result"] == "ACCEPTED"

    def charging():
        """the charger started the session on the partner's token"""
        return Transaction.objects.filter(station=station, status="active", id_tag_value=UID).first()

    tx = await eventually(charging)
    first = (await arrived(ocpi_partner, "PUT", "sessions"))[0]
    assert first["status"] == 200 and first["path"].endswith(f"/DE/VST/{tx.pk}")
    assert first["body"]["status"] == "ACTIVE" and first["body"]["auth_method"] == "COMMAND"
    assert first["body"]["authorization_reference"] == REFERENCE

    # The partner goes down while the session charges on: what it misses waits in its queue.
    ocpi_partner.stop()

    def kept():
        """a running session's PUT was tried, could not be delivered, and is kept"""
        return Push.objects.filter(module="sessions", state="pending", attempts__gte=1).first()

    missed = await eventually(kept, timeout=30)
    assert "unreachable" in missed.last_error
    await asyncio.to_thread(ocpi_partner.restart)
    await sync_to_async(Push.objects.filter(state="pending").update)(next_attempt_at=timezone.now())
    await sync_to_async(tasks.retry_due_pushes)()  # the beat's run, without waiting for it

    def delivered():
        """the push the partner missed reached it after all"""
        return Push.objects.filter(pk=missed.pk, state__in=["sent", "superseded"]).exists()

    await eventually(delivered, timeout=30)

    uid = await command(ocpi_partner, "STOP_SESSION", {"session_id": str(tx.pk)})
    assert (await result(ocpi_partner, uid))["result"] == "ACCEPTED"

    def sealed():
        """the session stopped and billing sealed it"""
        return ChargeDetailRecord.objects.filter(transaction_id=tx.pk).first()

    record = await eventually(sealed, timeout=30)
    [cdr] = await arrived(ocpi_partner, "POST", "cdrs", timeout=30)
    await charger.close()

    assert cdr["status"] == 200 and cdr["body"]["id"] == str(record.pk) and cdr["body"]["session_id"] == str(tx.pk)
    assert (cdr["body"]["auth_method"], cdr["body"]["authorization_reference"]) == ("COMMAND", REFERENCE)
    total = cdr["body"]["total_cost"]
    assert (Decimal(str(total["excl_vat"])), Decimal(str(total["incl_vat"]))) == (
        record.total_cost_excl_vat,
        record.total_cost_incl_vat,
    )
    assert record.total_energy_wh > 0 and record.total_cost_excl_vat > Decimal("0.50")  # energy was billed
    assert Decimal(str(cdr["body"]["total_energy"])) == Decimal(record.total_energy_wh) / 1000

    # Once each: every session PUT the queue delivered reached the partner, and one CDR. The partner was
    # stopped at a moment of its own choosing: a PUT it took but could not answer before it went is sent
    # again (the same PUT of the same session: harmless), so at most one arrives twice.
    await asyncio.sleep(1)  # a duplicate, were one coming, would be as quick as these
    puts = await received(ocpi_partner, "PUT", "sessions")
    sent = await sync_to_async(list)(
        Push.objects.filter(module="sessions", state="sent").values_list("body", flat=True)
    )
    assert sent and all(body in [p["body"] for p in puts] for body in sent)
    assert len(sent) <= len(puts) <= len(sent) + 1 and all(p["status"] == 200 for p in puts)
    assert puts[-1]["body"]["status"] == "COMPLETED"
    assert len(await received(ocpi_partner, "POST", "cdrs")) == 1
    assert not await sync_to_async(Push.objects.filter(state__in=["pending", "failed"]).exists)()

    cdrs = await ocpi_partner.acontrol("GET", "/pull/cdrs")
    assert cdrs["errors"] == [] and cdrs["ids"] == [str(record.pk)]


async def command(partner, name: str, body: dict) -> str:
    sent = await partner.acontrol("POST", f"/commands/{name}", body)
    assert sent["http_status"] == 200 and sent["response"]["data"]["result"] == "ACCEPTED", sent
    return sent["uid"]


async def result(partner, uid: str) -> dict:
    def got():
        """the partner got the CommandResult"""
        return partner.control("GET", "/state")["commands"][uid].get("result")

    return await eventually(got, timeout=30)


async def received(partner, method: str, module: str) -> list[dict]:
    log = (await partner.acontrol("GET", "/state"))["log"]
    return [e for e in log if e["method"] == method and f"/2.2.1/{module}" in e["path"]]


async def arrived(partner, method: str, module: str, timeout: float = 30.0) -> list[dict]:
    deadline = asyncio.get_running_loop().time() + timeout
    while not (found := await received(partner, method, module)):
        assert asyncio.get_running_loop().time() < deadline, f"no {method} {module} reached the partner"
        await asyncio.sleep(0.2)
    return found
