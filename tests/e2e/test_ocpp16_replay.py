"""Idempotency: replayed frames and late, queued stops never open, count or charge anything twice."""

import json

import pytest
from asgiref.sync import sync_to_async

from sessions.models import MeterValue, Transaction
from tests.conftest import eventually
from tests.ocpp_client import call, open_socket

pytestmark = pytest.mark.e2e

START = {"connectorId": 1, "idTag": "RFID-R", "meterStart": 500, "timestamp": "2026-11-21T08:00:00Z"}


def sample(timestamp: str, wh: int) -> dict:
    return {
        "timestamp": timestamp,
        "sampledValue": [{"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}],
    }


async def count(model, **filters) -> int:
    return await sync_to_async(model.objects.filter(**filters).count)()


async def test_replayed_start_meter_values_and_stop_change_nothing(server, make_station, make_id_tag):
    station = await make_station("CP-REPLAY")
    await make_id_tag("RFID-R")
    async with open_socket(server, "CP-REPLAY") as ws:
        first = await call(ws, "StartTransaction", START, unique_id="s1")
        again = await call(ws, "StartTransaction", START, unique_id="s2")  # the answer to s1 was "lost"
        assert again[2] == first[2]
        transaction_id = first[2]["transactionId"]
        assert await count(Transaction, station=station) == 1

        values = {
            "connectorId": 1,
            "transactionId": transaction_id,
            "meterValue": [sample("2026-11-21T08:05:00Z", 900), sample("2026-11-21T08:10:00Z", 1300)],
        }
        await call(ws, "MeterValues", values)
        await call(ws, "MeterValues", values)
        assert await count(MeterValue, transaction_id=transaction_id) == 2

        stop = {
            "transactionId": transaction_id,
            "meterStop": 2000,
            "timestamp": "2026-11-21T08:30:00Z",
            "idTag": "RFID-R",
            "reason": "Local",
        }
        first_stop = await call(ws, "StopTransaction", stop)
        tx = await sync_to_async(Transaction.objects.get)(pk=transaction_id)
        replayed_stop = await call(
            ws, "StopTransaction", {**stop, "meterStop": 9999, "timestamp": "2026-11-21T09:30:00Z"}
        )
        assert replayed_stop[2] == first_stop[2]

    after = await sync_to_async(Transaction.objects.get)(pk=transaction_id)
    assert (after.meter_stop_wh, after.stopped_at, after.updated_at) == (2000, tx.stopped_at, tx.updated_at)
    assert after.energy_wh == 1500


async def test_stop_after_reconnect_completes_the_session_from_queued_data(server, make_station, make_id_tag):
    """The link drops mid-session; the charger keeps sampling and sends its queued stop later."""
    station = await make_station("CP-OFFLINE")
    await make_id_tag("RFID-R")
    async with open_socket(server, "CP-OFFLINE") as ws:
        transaction_id = (await call(ws, "StartTransaction", START))[2]["transactionId"]
        await call(
            ws,
            "MeterValues",
            {"connectorId": 1, "transactionId": transaction_id, "meterValue": [sample("2026-11-21T08:05:00Z", 800)]},
        )
    # offline now; the charger reconnects and flushes its queue
    async with open_socket(server, "CP-OFFLINE") as ws:
        queued = [
            sample("2026-11-21T08:05:00Z", 800),
            sample("2026-11-21T08:20:00Z", 1700),
            sample("2026-11-21T08:40:00Z", 2600),
        ]
        answer = await call(
            ws,
            "StopTransaction",
            {
                "transactionId": transaction_id,
                "meterStop": 2700,
                "timestamp": "2026-11-21T08:45:00Z",
                "reason": "PowerLoss",
                "transactionData": queued,
            },
        )
        assert answer[0] == 3 and answer[2] == {}  # no idTag in the stop: no idTagInfo
    tx = await sync_to_async(Transaction.objects.get)(pk=transaction_id)
    assert tx.status == "completed" and tx.stop_reason == "PowerLoss"
    assert tx.energy_wh == 2200 and tx.stopped_at.isoformat() == "2026-11-21T08:45:00+00:00"
    readings = await sync_to_async(
        lambda: list(MeterValue.objects.filter(transaction=tx).values_list("value", flat=True))
    )()
    assert readings == [800, 1700, 2600]  # the sample sent before the drop is not doubled
    assert await count(Transaction, station=station) == 1


async def test_stop_for_an_unknown_transaction_is_answered_and_noted(server, make_station, make_id_tag):
    station = await make_station("CP-UNKNOWN-TX")
    await make_id_tag("RFID-R")
    async with open_socket(server, "CP-UNKNOWN-TX") as ws:
        answer = await call(
            ws,
            "StopTransaction",
            {"transactionId": 424242, "meterStop": 10, "timestamp": "2026-11-21T08:45:00Z", "idTag": "RFID-R"},
        )
    assert answer[0] == 3 and answer[2]["idTagInfo"]["status"] == "Accepted"  # or the charger retries it forever
    events = await sync_to_async(
        lambda: list(station.events.filter(kind="deviation").values_list("summary", flat=True))
    )()
    assert events == ["Stop for unknown transaction 424242"]


async def test_a_stop_sent_just_before_the_link_drops_is_kept(server, make_station, make_id_tag):
    """The charger sends its stop and loses the link before the answer: the session still completes."""
    await make_station("CP-DROP")
    await make_id_tag("RFID-R")
    async with open_socket(server, "CP-DROP") as ws:
        transaction_id = (await call(ws, "StartTransaction", START))[2]["transactionId"]
        stop = {
            "transactionId": transaction_id,
            "meterStop": 1800,
            "timestamp": "2026-11-21T08:30:00Z",
            "reason": "PowerLoss",
        }
        await ws.send(json.dumps([2, "last-words", "StopTransaction", stop]))
    # closed without waiting for the answer

    def completed():
        """the stop received before the close completed the session"""
        return Transaction.objects.filter(pk=transaction_id, status="completed", meter_stop_wh=1800).exists()

    await eventually(completed)


async def test_a_second_session_with_the_same_start_time_is_not_a_replay(server, make_station, make_id_tag):
    """A charger without a clock starts every session at its boot time: the second session is
    its own, its stop is kept and all of its 7,000 Wh are recorded."""
    station = await make_station("CP-NOCLOCK")
    await make_id_tag("RFID-R")
    clockless = "1970-01-01T00:00:00Z"
    async with open_socket(server, "CP-NOCLOCK") as ws:
        first = (await call(ws, "StartTransaction", {**START, "meterStart": 10_000, "timestamp": clockless}))[2][
            "transactionId"
        ]
        await call(
            ws,
            "StopTransaction",
            {"transactionId": first, "meterStop": 13_000, "timestamp": "1970-01-01T01:00:00Z", "reason": "Local"},
        )
        second = (await call(ws, "StartTransaction", {**START, "meterStart": 13_000, "timestamp": clockless}))[2][
            "transactionId"
        ]
        assert second != first
        await call(
            ws,
            "StopTransaction",
            {"transactionId": second, "meterStop": 20_000, "timestamp": "1970-01-01T01:00:00Z", "reason": "Local"},
        )

    energies = await sync_to_async(
        lambda: dict(Transaction.objects.filter(station=station).values_list("pk", "meter_stop_wh"))
    )()
    assert energies == {first: 13_000, second: 20_000}
    stored = await sync_to_async(
        lambda: {tx.pk: (tx.status, tx.energy_wh) for tx in Transaction.objects.filter(station=station)}
    )()
    assert stored == {first: ("completed", 3_000), second: ("completed", 7_000)}
