"""Parking billed over the wire, from the messages compliant 1.6 and 2.0.1 chargers send (issue 9, item 24).

The demo tariff (0.35 EUR/kWh, parking 6.00 EUR/h in 60 s steps, 19 % VAT):
a session charging 10 kWh and idle (SuspendedEV) for its last 20 minutes
costs 3.50 + 2.00 net; the Preparing before the start, the EVConnected of a
2.0.1 start and the Finishing after the stop add nothing.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async

from billing.models import ChargeDetailRecord, PriceComponent, Tariff, TariffAssignment, TariffElement
from sessions.models import Transaction
from tests.conftest import eventually
from tests.ocpp_client import call, open_socket

pytestmark = pytest.mark.e2e
BOOT_16 = {"chargePointVendor": "Keba", "chargePointModel": "P30"}
BOOT_201 = {"reason": "PowerUp", "chargingStation": {"model": "Terra AC", "vendorName": "ABB"}}


def demo_tariff(station) -> None:
    tariff = Tariff.objects.create(tariff_id="DEMO-AC", currency="EUR")
    element = TariffElement.objects.create(tariff=tariff, position=0)
    PriceComponent.objects.create(element=element, type="ENERGY", price=Decimal("0.35"), vat=Decimal("19"), step_size=1)
    PriceComponent.objects.create(
        element=element, type="PARKING_TIME", price=Decimal("6.00"), vat=Decimal("19"), step_size=60
    )
    TariffAssignment.objects.create(tariff=tariff, evse=station.evses.get(number=1))


def status_16(timestamp: str, status: str) -> dict:
    return {"connectorId": 1, "errorCode": "NoError", "status": status, "timestamp": timestamp}


def sealed(**transaction) -> ChargeDetailRecord | None:
    return ChargeDetailRecord.objects.filter(**{f"transaction__{k}": v for k, v in transaction.items()}).first()


def assert_20_minutes_parked(record: ChargeDetailRecord) -> None:
    assert record.total_parking_time == timedelta(minutes=20) and record.total_energy_wh == 10_000
    assert (record.total_parking_cost_excl_vat, record.total_parking_cost_incl_vat) == (
        Decimal("2.00"),
        Decimal("2.38"),
    )
    assert (record.total_cost_excl_vat, record.total_cost_incl_vat) == (Decimal("5.50"), Decimal("6.55"))


async def test_16_preparing_start_charging_idle_stop_finishing(server, celery_worker, make_station, make_id_tag):
    station = await make_station("PARK-16")
    await sync_to_async(demo_tariff)(station)
    await make_id_tag("PARK-CARD-16")
    async with open_socket(server, "PARK-16") as ws:
        await call(ws, "BootNotification", BOOT_16)
        await call(ws, "StatusNotification", status_16("2026-11-24T10:00:00.000Z", "Preparing"))
        start = await call(
            ws,
            "StartTransaction",
            {"connectorId": 1, "idTag": "PARK-CARD-16", "meterStart": 50_000, "timestamp": "2026-11-24T10:00:00.030Z"},
        )
        transaction_id = start[2]["transactionId"]
        await call(ws, "StatusNotification", status_16("2026-11-24T10:00:00.075Z", "Charging"))
        await call(ws, "StatusNotification", status_16("2026-11-24T10:40:00.030Z", "SuspendedEV"))
        await call(
            ws,
            "StopTransaction",
            {
                "transactionId": transaction_id,
                "meterStop": 60_000,
                "timestamp": "2026-11-24T11:00:00.030Z",
                "reason": "EVDisconnected",
            },
        )
        await call(ws, "StatusNotification", status_16("2026-11-24T11:00:00.070Z", "Finishing"))
    record = await eventually(lambda: sealed(pk=transaction_id))
    assert_20_minutes_parked(record)


async def test_201_ev_connected_charging_suspended_ended(server, celery_worker, make_station, make_id_tag):
    station = await make_station("PARK-201")
    await sync_to_async(demo_tariff)(station)
    await make_id_tag("PARK-CARD-201")
    uid = "9b6e1f0c-2d1a-4a3b-8f6e-0c1d2e3f4a5b"

    def step(kind: str, seq: int, timestamp: str, trigger: str, state: str, wh: int | None = None, **fields) -> dict:
        meter = (
            {
                "meterValue": [
                    {
                        "timestamp": timestamp,
                        "sampledValue": [{"value": wh, "measurand": "Energy.Active.Import.Register"}],
                    }
                ]
            }
            if wh is not None
            else {}
        )
        info = {"transactionId": uid, "chargingState": state, **fields.pop("info", {})}
        return {
            "eventType": kind,
            "timestamp": timestamp,
            "triggerReason": trigger,
            "seqNo": seq,
            "transactionInfo": info,
            **meter,
            **fields,
        }

    async with open_socket(server, "PARK-201", subprotocols=("ocpp2.0.1",)) as ws:
        await call(ws, "BootNotification", BOOT_201)
        token = {"idToken": "PARK-CARD-201", "type": "ISO14443"}
        await call(
            ws,
            "TransactionEvent",
            step(
                "Started",
                0,
                "2026-11-24T10:00:00.000Z",
                "CablePluggedIn",
                "EVConnected",
                50_000,
                idToken=token,
                evse={"id": 1, "connectorId": 1},
            ),
        )
        await call(
            ws, "TransactionEvent", step("Updated", 1, "2026-11-24T10:00:00.050Z", "ChargingStateChanged", "Charging")
        )
        await call(
            ws,
            "TransactionEvent",
            step("Updated", 2, "2026-11-24T10:40:00.000Z", "ChargingStateChanged", "SuspendedEV", 60_000),
        )
        await call(
            ws,
            "TransactionEvent",
            step(
                "Ended",
                3,
                "2026-11-24T11:00:00.000Z",
                "EVCommunicationLost",
                "EVConnected",
                60_000,
                info={"stoppedReason": "EVDisconnected"},
            ),
        )
    tx = await sync_to_async(Transaction.objects.get)(uid=uid)
    assert await sync_to_async(lambda: list(tx.events.values_list("charging_state", flat=True)))() == [
        "EVConnected",
        "Charging",
        "SuspendedEV",
        "EVConnected",
    ]
    record = await eventually(lambda: sealed(uid=uid))
    assert_20_minutes_parked(record)
