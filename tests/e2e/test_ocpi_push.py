"""EVSE status pushed to an independent eMSP through a real server and Celery worker: within seconds of
the charger's StatusNotification, and, when the partner was down, once it is back, exactly once."""

import asyncio
from datetime import UTC, datetime

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from roaming import tasks
from roaming.models import Partner, Push
from roaming.services import registration
from stations.models import Location
from stations.services.connections import provision_station
from tests.conftest import eventually
from tests.ocpp_client import STATION_PASSWORD, call, open_socket

pytestmark = pytest.mark.e2e

BOOT = {"chargePointVendor": "Alfen", "chargePointModel": "Eve Single"}


def status(value: str) -> dict:
    return {"connectorId": 1, "errorCode": "NoError", "status": value, "timestamp": datetime.now(UTC).isoformat()}


async def test_evse_status_reaches_the_partner_in_seconds_and_after_its_outage_once(
    ocpi_server, celery_worker, ocpi_partner
):
    location = await sync_to_async(Location.objects.create)(name="Depot", latitude=52.52, longitude=13.405)
    station = await sync_to_async(provision_station)(
        charge_point_id="CP-OCPI", password=STATION_PASSWORD, location=location
    )
    evse = await sync_to_async(station.evses.get)(number=1)
    partner = await sync_to_async(Partner.objects.create)(name="Partner eMSP")
    token_a = await sync_to_async(registration.issue_token_a)(partner=partner)
    versions_url = f"{ocpi_server.http_url}/ocpi/versions"
    registered = await ocpi_partner.acontrol("POST", "/register", {"versions_url": versions_url, "token_a": token_a})
    assert registered["registered"], registered

    location_key, evse_path = f"DE/VST/{location.pk}", f"/locations/DE/VST/{location.pk}/{evse.pk}"

    async def partner_state():
        return await ocpi_partner.acontrol("GET", "/state")

    async def patches(wanted: str) -> list[dict]:
        log = (await partner_state())["log"]
        return [
            e for e in log if e["method"] == "PATCH" and e["path"].endswith(evse_path) and e["body"]["status"] == wanted
        ]

    async def arrived(check, timeout=8.0):
        deadline = asyncio.get_running_loop().time() + timeout
        while not (found := await check()):
            assert asyncio.get_running_loop().time() < deadline, "the partner did not get it in time"
            await asyncio.sleep(0.1)
        return found

    # Registering, the partner got our location by PUT, so the PATCHes that follow find their EVSE.
    await arrived(lambda: _has_location(partner_state, location_key))

    async with open_socket(ocpi_server, "CP-OCPI") as ws:
        assert (await call(ws, "BootNotification", BOOT))[2]["status"] == "Accepted"
        await call(ws, "StatusNotification", status("Available"))
        await call(ws, "StatusNotification", status("Charging"))
        [charging] = await arrived(lambda: patches("CHARGING"))
        assert charging["status"] == 200 and set(charging["body"]) == {"status", "last_updated"}
        stored = (await partner_state())["objects"]["locations"][location_key]
        assert next(e for e in stored["evses"] if e["uid"] == str(evse.pk))["status"] == "CHARGING"

        ocpi_partner.stop()
        await call(ws, "StatusNotification", status("Faulted"))

        def tried_and_kept():
            """The worker tried the Faulted PATCH, could not deliver it, and keeps it."""
            return Push.objects.filter(
                state="pending", attempts__gte=1, path__endswith=evse_path.removeprefix("/locations/")
            ).first()

        kept = await eventually(tried_and_kept, timeout=8)
        assert kept.body["status"] == "OUTOFORDER" and "unreachable" in kept.last_error

        await asyncio.to_thread(ocpi_partner.restart)
        await sync_to_async(Push.objects.filter(state="pending").update)(next_attempt_at=timezone.now())
        await sync_to_async(tasks.retry_due_pushes)()  # the beat's run, without waiting for it
        [faulted] = await arrived(lambda: patches("OUTOFORDER"))
        assert faulted["status"] == 200
        await sync_to_async(tasks.retry_due_pushes)()
        await asyncio.sleep(1)
        assert len(await patches("OUTOFORDER")) == 1 and len(await patches("CHARGING")) == 1
        kept = await sync_to_async(Push.objects.get)(pk=kept.pk)
        assert kept.state == "sent" and kept.attempts >= 2


async def _has_location(partner_state, key: str) -> bool:
    return key in (await partner_state())["objects"].get("locations", {})
