"""OCPP 2.0.1 NotifyEVChargingNeeds through the engine: the answer the charger receives, the needs kept
on the EVSE's running transaction, and ChargingNeedsChanged told to the planner."""

import json
from datetime import UTC, datetime

import pytest
from asgiref.sync import sync_to_async

from csms import lifecycle
from sessions.charging_needs import Source
from sessions.events import ChargingNeedsChanged
from sessions.models import EvChargingNeeds, IdTag, Transaction
from stations.services.connections import provision_station
from tests.csms.engine_support import engine_for, exchange

pytestmark = pytest.mark.django_db(transaction=True)

NOW = "2026-12-04T18:00:00Z"


@pytest.fixture
def told(monkeypatch) -> list[ChargingNeedsChanged]:
    events: list[ChargingNeedsChanged] = []
    monkeypatch.setitem(lifecycle._subscribers, ChargingNeedsChanged, [events.append])
    return events


@pytest.fixture
async def charger():
    station = await sync_to_async(provision_station)(charge_point_id="CP-NEEDS", password="p" * 20, evse_count=2)
    await sync_to_async(IdTag.objects.create)(id_tag="CARD-N")
    engine, wire = engine_for(station, "2.0.1")
    return station, engine, wire


def call(message_id: str, action: str, payload: dict) -> str:
    return json.dumps([2, message_id, action, payload])


def started(evse_id: int = 1) -> str:
    return call(
        "tx-1",
        "TransactionEvent",
        {
            "eventType": "Started",
            "timestamp": NOW,
            "triggerReason": "Authorized",
            "seqNo": 0,
            "transactionInfo": {"transactionId": "TX-N1", "chargingState": "EVConnected"},
            "evse": {"id": evse_id, "connectorId": 1},
            "idToken": {"idToken": "CARD-N", "type": "ISO14443"},
        },
    )


def needs(message_id: str, evse_id: int = 1, **charging_needs) -> str:
    return call("n-" + message_id, "NotifyEVChargingNeeds", {"evseId": evse_id, "chargingNeeds": charging_needs})


AC = {
    "requestedEnergyTransfer": "AC_three_phase",
    "departureTime": "2026-12-05T07:30:00Z",
    "acChargingParameters": {"energyAmount": 42_000, "evMinCurrent": 6, "evMaxCurrent": 16, "evMaxVoltage": 400},
}


async def test_the_needs_of_the_running_transaction_are_accepted_kept_and_told(charger, told):
    station, engine, wire = charger
    assert (await exchange(engine, wire, started()))[0] == 3
    tx = await sync_to_async(Transaction.objects.get)(uid="TX-N1")
    assert await exchange(engine, wire, needs("1", **AC)) == [3, "n-1", {"status": "Accepted"}]
    kept = await sync_to_async(EvChargingNeeds.objects.get)(transaction=tx)
    assert (kept.energy_transfer, kept.departure_at, kept.energy_wh) == (
        "ac_three_phase",
        datetime(2026, 12, 5, 7, 30, tzinfo=UTC),
        42_000,
    )
    assert (kept.min_current_a, kept.max_current_a, kept.max_voltage_v, kept.max_power_w) == (6, 16, 400, None)
    assert told == [ChargingNeedsChanged(transaction_id=tx.pk, station_id=station.pk, source=Source.CAR)]


async def test_a_new_report_replaces_the_last_one(charger, told):
    _, engine, wire = charger
    await exchange(engine, wire, started())
    await exchange(engine, wire, needs("1", **AC))
    dc = {
        "requestedEnergyTransfer": "DC",
        "dcChargingParameters": {
            "evMaxCurrent": 200,
            "evMaxVoltage": 800,
            "energyAmount": 30_000,
            "evMaxPower": 150_000,
        },
    }
    assert await exchange(engine, wire, needs("2", **dc)) == [3, "n-2", {"status": "Accepted"}]
    kept = await sync_to_async(EvChargingNeeds.objects.get)()
    assert (kept.energy_transfer, kept.departure_at, kept.energy_wh, kept.min_current_a) == ("dc", None, 30_000, None)
    assert (kept.max_current_a, kept.max_voltage_v, kept.max_power_w) == (200, 800, 150_000)
    assert len(told) == 2


async def test_needs_on_an_evse_without_a_transaction_are_rejected(charger, told):
    _, engine, wire = charger
    await exchange(engine, wire, started(evse_id=1))
    assert await exchange(engine, wire, needs("1", evse_id=2, **AC)) == [3, "n-1", {"status": "Rejected"}]
    assert not await sync_to_async(EvChargingNeeds.objects.exists)()
    assert told == []


async def test_evse_0_is_refused_as_the_spec_forbids(charger):
    _, engine, wire = charger
    reply = await exchange(engine, wire, needs("1", evse_id=0, **AC))
    assert reply[:3] == [4, "n-1", "PropertyConstraintViolation"]
