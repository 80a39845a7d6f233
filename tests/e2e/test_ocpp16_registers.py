"""Meter registers as chargers send them: kept exact, and a register that goes back (a meter reset or
replacement) is recorded, never billed as negative energy."""

import pytest
from asgiref.sync import sync_to_async

from sessions.models import Transaction
from tests.ocpp_client import call, open_socket

pytestmark = pytest.mark.e2e


async def stored(transaction_id: int) -> Transaction:
    return await sync_to_async(Transaction.objects.get)(pk=transaction_id)


async def test_a_register_past_2_to_the_53_stays_exact(server, make_station, make_id_tag):
    await make_station("CP-BIG")
    await make_id_tag("RFID-BIG")
    async with open_socket(server, "CP-BIG") as ws:
        start = {
            "connectorId": 1,
            "idTag": "RFID-BIG",
            "meterStart": 9007199254740993,
            "timestamp": "2026-11-21T08:00:00Z",
        }
        transaction_id = (await call(ws, "StartTransaction", start))[2]["transactionId"]
        await call(
            ws,
            "StopTransaction",
            {"transactionId": transaction_id, "meterStop": 9007199254741994, "timestamp": "2026-11-21T09:00:00Z"},
        )
    tx = await stored(transaction_id)
    assert (tx.meter_start_wh, tx.meter_stop_wh, tx.energy_wh) == (9007199254740993, 9007199254741994, 1001)


@pytest.mark.parametrize("meter_start", ["1234", 1234.0, "1234.0"])
async def test_a_lenient_station_s_meter_start_as_text_or_float_is_read_exactly(
    server, make_station, make_id_tag, meter_start
):
    await make_station("CP-LAX", lenient=True)
    await make_id_tag("RFID-LAX")
    async with open_socket(server, "CP-LAX") as ws:
        start = {"connectorId": 1, "idTag": "RFID-LAX", "meterStart": meter_start, "timestamp": "2026-11-21T08:00:00Z"}
        answer = await call(ws, "StartTransaction", start)
        await call(
            ws,
            "StopTransaction",
            {"transactionId": answer[2]["transactionId"], "meterStop": 1300, "timestamp": "2026-11-21T09:00:00Z"},
        )
    assert answer[0] == 3
    tx = await stored(answer[2]["transactionId"])
    assert (tx.meter_start_wh, tx.energy_wh) == (1234, 66)


async def test_a_stop_below_the_start_is_recorded_as_a_reset_and_counts_no_negative_energy(
    server, make_station, make_id_tag
):
    station = await make_station("CP-RESET")
    await make_id_tag("RFID-RESET")
    async with open_socket(server, "CP-RESET") as ws:
        start = {"connectorId": 1, "idTag": "RFID-RESET", "meterStart": 80_000, "timestamp": "2026-11-21T08:00:00Z"}
        transaction_id = (await call(ws, "StartTransaction", start))[2]["transactionId"]
        stop = await call(
            ws,
            "StopTransaction",
            {"transactionId": transaction_id, "meterStop": 150, "timestamp": "2026-11-21T09:00:00Z"},
        )
    assert stop == [3, stop[1], {}]
    tx = await stored(transaction_id)
    assert (tx.status, tx.meter_stop_wh, tx.energy_wh) == ("completed", 150, 0)
    events = await sync_to_async(
        lambda: list(station.events.filter(kind="deviation").values_list("summary", flat=True))
    )()
    assert events == [f"Meter reset in transaction {transaction_id}: the register went back 79850 Wh"]
