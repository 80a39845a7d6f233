"""A charger cannot create EVSEs by naming them: every message about an undeclared EVSE gets a CALLERROR
and a deviation the operator sees, and nothing of it is stored (item 15)."""

import pytest
from asgiref.sync import sync_to_async

from sessions.models import MeterValue, Transaction
from stations.models import Evse, StationEvent
from tests.ocpp_client import call, open_socket

pytestmark = pytest.mark.e2e

V201 = ("ocpp2.0.1",)
NOW = "2026-11-21T10:00:00Z"


def state_of(station) -> tuple:
    evses = list(Evse.objects.filter(station=station).order_by("number").values_list("number", flat=True))
    deviations = list(
        StationEvent.objects.filter(station=station, kind="deviation")
        .order_by("id")
        .values_list("details__action", "details__evse_id")
    )
    stored = (Transaction.objects.filter(station=station).count(), MeterValue.objects.filter(station=station).count())
    return evses, deviations, stored


async def test_16_messages_for_an_undeclared_connector_are_refused(server, make_station, make_id_tag):
    station = await make_station("UNK-16", evse_count=2)
    await make_id_tag("UNK-TAG")
    sampled = [{"value": "10", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]
    refused = [
        ("StatusNotification", {"connectorId": 99, "errorCode": "NoError", "status": "Available", "timestamp": NOW}),
        ("StatusNotification", {"connectorId": 2**31 - 1, "errorCode": "NoError", "status": "Available"}),
        ("StartTransaction", {"connectorId": 3, "idTag": "UNK-TAG", "meterStart": 0, "timestamp": NOW}),
        ("MeterValues", {"connectorId": 99, "meterValue": [{"timestamp": NOW, "sampledValue": sampled}]}),
    ]
    async with open_socket(server, "UNK-16") as ws:
        await call(ws, "BootNotification", {"chargePointVendor": "ABB", "chargePointModel": "Terra"})
        for action, payload in refused:
            reply = await call(ws, action, payload)
            assert reply[:3] == [4, reply[1], "PropertyConstraintViolation"], (action, reply)
        status = {"connectorId": 2, "errorCode": "NoError", "status": "Available", "timestamp": NOW}
        assert (await call(ws, "StatusNotification", status))[2] == {}  # its own EVSEs still work

    evses, deviations, stored = await sync_to_async(state_of)(station)
    assert evses == [1, 2]
    assert deviations == [
        ("StatusNotification", 99),
        ("StatusNotification", 2**31 - 1),
        ("StartTransaction", 3),
        ("MeterValues", 99),
    ]
    assert stored == (0, 0)


async def test_201_messages_for_an_undeclared_evse_are_refused(server, make_station):
    station = await make_station("UNK-201", evse_count=1)
    energy = [{"timestamp": NOW, "sampledValue": [{"value": 10, "measurand": "Energy.Active.Import.Register"}]}]
    started = {
        "eventType": "Started",
        "timestamp": NOW,
        "triggerReason": "CablePluggedIn",
        "seqNo": 0,
        "transactionInfo": {"transactionId": "unk-1"},
        "evse": {"id": 99, "connectorId": 1},
    }
    refused = [
        (
            "StatusNotification",
            {"timestamp": NOW, "connectorStatus": "Available", "evseId": 2**31 - 1, "connectorId": 1},
        ),
        ("StatusNotification", {"timestamp": NOW, "connectorStatus": "Available", "evseId": 1, "connectorId": 5}),
        ("TransactionEvent", started),
        ("MeterValues", {"evseId": 99, "meterValue": energy}),
    ]
    async with open_socket(server, "UNK-201", subprotocols=V201) as ws:
        await call(ws, "BootNotification", {"reason": "PowerUp", "chargingStation": {"model": "M", "vendorName": "V"}})
        for action, payload in refused:
            reply = await call(ws, action, payload)
            assert reply[:3] == [4, reply[1], "PropertyConstraintViolation"], (action, reply)
        report = {
            "requestId": 1,
            "generatedAt": NOW,
            "seqNo": 0,
            "reportData": [
                {
                    "component": {"name": "EVSE", "evse": {"id": 2}},
                    "variable": {"name": "AvailabilityState"},
                    "variableAttribute": [{"type": "Actual", "value": "Available"}],
                }
            ],
        }
        assert (await call(ws, "NotifyReport", report))[2] == {}
        declared = {"timestamp": NOW, "connectorStatus": "Available", "evseId": 2, "connectorId": 1}
        assert (await call(ws, "StatusNotification", declared))[2] == {}  # declared in its device model: accepted

    evses, deviations, stored = await sync_to_async(state_of)(station)
    assert evses == [1, 2]
    assert deviations == [
        ("StatusNotification", 2**31 - 1),
        ("StatusNotification", 1),
        ("TransactionEvent", 99),
        ("MeterValues", 99),
    ]
    assert stored == (0, 0)
