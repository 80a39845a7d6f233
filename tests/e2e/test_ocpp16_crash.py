"""A charger that crashes or forgets its transaction: the CSMS ends it from its last reading, bills it,
completes the driver's session and frees the card, with the real 1.6 message sequences."""

from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async

from billing.models import ChargeDetailRecord, PriceComponent, Tariff, TariffAssignment, TariffElement
from sessions.models import DriverSession, Transaction
from tests.api_fixtures import new_driver
from tests.conftest import eventually
from tests.e2e.test_ocpp16_session import BOOT, status
from tests.ocpp_client import call, open_socket

pytestmark = pytest.mark.e2e


def energy(timestamp: str, wh: int) -> dict:
    return {
        "timestamp": timestamp,
        "sampledValue": [{"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}],
    }


@sync_to_async
def price_per_kwh(station, price: str) -> None:
    tariff = Tariff.objects.create(tariff_id=f"KWH-{station.pk}")
    element = TariffElement.objects.create(tariff=tariff, position=0)
    PriceComponent.objects.create(element=element, type="ENERGY", price=Decimal(price), step_size=1, vat=None)
    TariffAssignment.objects.create(tariff=tariff, location=None, evse=station.evses.get())


async def cards(make_id_tag, *tags: str) -> None:
    dana = await sync_to_async(new_driver)("dana@example.com", "a-fine-password-42")
    for tag in tags:
        await make_id_tag(tag, owner=dana)


async def charge(ws, tag: str, meter_start: int, readings: list[tuple[str, int]], at: str) -> int:
    """Preparing, StartTransaction, Charging, MeterValues: a session under way; its transaction id."""
    await call(ws, "StatusNotification", status(1, "Preparing", at))
    start = await call(
        ws, "StartTransaction", {"connectorId": 1, "idTag": tag, "meterStart": meter_start, "timestamp": at}
    )
    assert start[2]["idTagInfo"]["status"] == "Accepted"
    transaction_id = start[2]["transactionId"]
    await call(ws, "StatusNotification", status(1, "Charging", at))
    for timestamp, wh in readings:
        await call(
            ws,
            "MeterValues",
            {"connectorId": 1, "transactionId": transaction_id, "meterValue": [energy(timestamp, wh)]},
        )
    return transaction_id


async def test_a_charger_killed_mid_session_and_rebooted_gets_its_session_closed_and_billed(
    server, celery_worker, make_station, make_id_tag
):
    station = await make_station("CP-CRASH", evse_count=1)
    await price_per_kwh(station, "0.40")
    await cards(make_id_tag, "CARD-A", "CARD-B")
    ws = await open_socket(server, "CP-CRASH")
    await call(ws, "BootNotification", BOOT)
    await call(ws, "StatusNotification", status(1, "Available", "2026-11-21T07:59:00Z"))
    transaction_id = await charge(
        ws,
        "CARD-A",
        20_000,
        [("2026-11-21T08:15:00Z", 22_500), ("2026-11-21T08:30:00Z", 25_000)],
        "2026-11-21T08:00:00Z",
    )
    ws.transport.abort()  # killed: no stop, no close frame

    async with open_socket(server, "CP-CRASH") as ws:
        assert (await call(ws, "BootNotification", BOOT))[2]["status"] == "Accepted"
        await call(ws, "StatusNotification", status(0, "Available", "2026-11-21T09:00:00Z"))
        await call(ws, "StatusNotification", status(1, "Available", "2026-11-21T09:00:00Z"))
        tx = await sync_to_async(Transaction.objects.get)(pk=transaction_id)
        assert (tx.status, tx.stop_reason, tx.meter_stop_wh, tx.energy_wh) == (
            "completed",
            "EndedByReboot",
            25_000,
            5_000,
        )
        assert tx.stopped_at.isoformat() == "2026-11-21T08:30:00+00:00"  # its last reading, not the reboot
        cdr = await sealed(transaction_id)
        assert (cdr.total_energy_wh, cdr.total_cost_excl_vat) == (5_000, Decimal("2.00"))
        session = await sync_to_async(DriverSession.objects.get)(transaction_id=transaction_id)
        assert session.state == "completed"

        assert (await call(ws, "Authorize", {"idTag": "CARD-A"}))[2]["idTagInfo"][
            "status"
        ] == "Accepted"  # not ConcurrentTx
        next_id = await charge(ws, "CARD-B", 25_000, [], "2026-11-21T09:10:00Z")
        active = await sync_to_async(
            lambda: list(Transaction.objects.filter(station=station, status="active").values_list("pk", flat=True))
        )()
        assert active == [next_id]


async def test_a_new_start_on_a_single_connector_station_ends_the_forgotten_transaction(
    server, celery_worker, make_station, make_id_tag
):
    station = await make_station("CP-FORGOT", evse_count=1)
    await price_per_kwh(station, "0.40")
    await cards(make_id_tag, "CARD-A", "CARD-B")
    async with open_socket(server, "CP-FORGOT") as ws:
        await call(ws, "BootNotification", BOOT)
        forgotten = await charge(ws, "CARD-A", 1_000, [("2026-11-21T08:20:00Z", 3_000)], "2026-11-21T08:00:00Z")
        # The charger lost that transaction (no stop, not even a Finishing) and a second car arrives.
        await call(ws, "StatusNotification", status(1, "Available", "2026-11-21T09:00:00Z"))
        second = await charge(ws, "CARD-B", 3_000, [], "2026-11-21T09:05:00Z")
        tx = await sync_to_async(Transaction.objects.get)(pk=forgotten)
        assert (tx.status, tx.stop_reason, tx.meter_stop_wh) == ("completed", "EndedByNewStart", 3_000)
        assert tx.stopped_at.isoformat() == "2026-11-21T09:05:00+00:00"
        cdr = await sealed(forgotten)
        assert (cdr.total_energy_wh, cdr.total_cost_excl_vat) == (2_000, Decimal("0.80"))
        assert (await call(ws, "Authorize", {"idTag": "CARD-A"}))[2]["idTagInfo"]["status"] == "Accepted"
        states = await sync_to_async(lambda: dict(DriverSession.objects.values_list("transaction_id", "state")))()
        assert states == {forgotten: "completed", second: "active"}
        events = await sync_to_async(
            lambda: list(station.events.filter(kind="deviation").values_list("summary", flat=True))
        )()
        assert events == [f"Transaction {forgotten} ended without a stop: a new transaction started on its EVSE"]


async def sealed(transaction_id: int) -> ChargeDetailRecord:
    """The transaction's record, once the Celery worker has sealed it (billing hears of the end after commit)."""

    def found():
        """the charge detail record was sealed"""
        return ChargeDetailRecord.objects.filter(transaction_id=transaction_id).first()

    return await eventually(found, timeout=15.0)
