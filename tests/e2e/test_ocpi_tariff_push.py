"""Tariffs pushed to an independent eMSP (py_ocpi) through a real server and Celery worker: every
published tariff when it registers, the tariff again when an operator edits it, gone when unpublished."""

import asyncio
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async

from billing.events import tariff_changed
from billing.models import Tariff, TariffAssignment
from roaming.models import Partner
from roaming.services import registration
from stations.models import Location

pytestmark = pytest.mark.e2e


def published_tariff(location: Location) -> Tariff:
    tariff = Tariff.objects.create(tariff_id="STD")
    tariff.elements.create(position=0).price_components.create(type="ENERGY", price=Decimal("0.3950"), vat=19)
    TariffAssignment.objects.create(tariff=tariff, location=location)
    return tariff


def reprice(tariff: Tariff, price: str) -> None:
    """What the tariff admin's save does: the price changes, then the change is announced."""
    tariff.elements.get().price_components.update(price=Decimal(price))
    tariff.save()
    tariff_changed(tariff_pk=tariff.pk, tariff_id=tariff.tariff_id)


def unpublish(tariff: Tariff) -> None:
    tariff.assignments.all().delete()
    tariff_changed(tariff_pk=tariff.pk, tariff_id=tariff.tariff_id)


async def test_a_partner_gets_our_tariffs_and_their_changes(ocpi_server, celery_worker, ocpi_partner):
    location = await sync_to_async(Location.objects.create)(name="Depot", latitude=52.52, longitude=13.405)
    tariff = await sync_to_async(published_tariff)(location)
    partner = await sync_to_async(Partner.objects.create)(name="Partner eMSP")
    token_a = await sync_to_async(registration.issue_token_a)(partner=partner)
    versions_url = f"{ocpi_server.http_url}/ocpi/versions"
    registered = await ocpi_partner.acontrol("POST", "/register", {"versions_url": versions_url, "token_a": token_a})
    assert registered["registered"], registered

    async def stored():
        return (await ocpi_partner.acontrol("GET", "/state"))["objects"].get("tariffs", {}).get("DE/VST/STD")

    async def until(check, timeout=8.0):
        deadline = asyncio.get_running_loop().time() + timeout
        while not await check():
            assert asyncio.get_running_loop().time() < deadline, "the partner did not get it in time"
            await asyncio.sleep(0.1)

    async def priced(amount):
        got = await stored()
        return got is not None and got["elements"][0]["price_components"][0]["price"] == amount

    await until(lambda: priced(0.395))  # pushed when it registered
    await sync_to_async(reprice)(tariff, "0.4200")
    await until(lambda: priced(0.42))
    await sync_to_async(unpublish)(tariff)

    async def gone():
        return await stored() is None

    await until(gone)
    log = (await ocpi_partner.acontrol("GET", "/state"))["log"]
    calls = [(e["method"], e["status"]) for e in log if e["path"].endswith("/tariffs/DE/VST/STD")]
    assert calls == [("PUT", 200), ("PUT", 200), ("DELETE", 200)]
