"""A complete OCPP 1.6J charging session through a real server, asserted in the database."""

import pytest
from asgiref.sync import sync_to_async

from csms.ocpp.models import OcppMessage
from sessions.models import MeterValue, Transaction
from stations.models import ChargingStation, Connector, StatusEvent
from tests.conftest import eventually
from tests.ocpp_client import call, open_socket

pytestmark = pytest.mark.e2e

BOOT = {
    "chargePointVendor": "Alfen",
    "chargePointModel": "Eve Single",
    "chargePointSerialNumber": "ACE0001",
    "firmwareVersion": "4.12.0",
    "iccid": "8931000000000000001",
    "imsi": "204040000000001",
    "meterType": "Eastron",
}


def status(connector_id: int, value: str, timestamp: str, error_code: str = "NoError") -> dict:
    return {"connectorId": connector_id, "errorCode": error_code, "status": value, "timestamp": timestamp}


def meter(timestamp: str, wh: str, power_w: str, soc: str, unit: str = "Wh") -> dict:
    return {
        "timestamp": timestamp,
        "sampledValue": [
            {"value": wh, "measurand": "Energy.Active.Import.Register", "unit": unit, "context": "Sample.Periodic"},
            {"value": power_w, "measurand": "Power.Active.Import", "unit": "W"},
            {"value": soc, "measurand": "SoC", "unit": "Percent", "location": "EV"},
            {"value": "229.8", "measurand": "Voltage", "unit": "V", "phase": "L1-N"},
            {"value": "31.4", "measurand": "Current.Import", "unit": "A", "phase": "L1"},
            {"value": "41.5", "measurand": "Temperature", "unit": "Celsius", "location": "Body"},
        ],
    }


async def test_complete_session_is_persisted(server, make_station, make_id_tag):
    await make_station("CP-SESSION")
    await make_id_tag("RFID-1")
    async with open_socket(server, "CP-SESSION") as ws:
        boot = await call(ws, "BootNotification", BOOT)
        assert boot[0] == 3 and boot[2]["status"] == "Accepted" and boot[2]["interval"] == 300
        assert boot[2]["currentTime"].endswith("Z")
        assert (await call(ws, "Heartbeat", {}))[2]["currentTime"]
        assert (await call(ws, "StatusNotification", status(0, "Available", "2026-11-21T09:00:00Z")))[2] == {}
        await call(ws, "StatusNotification", status(1, "Available", "2026-11-21T09:00:00Z"))
        await call(ws, "StatusNotification", status(1, "Preparing", "2026-11-21T09:59:00Z"))
        auth = await call(ws, "Authorize", {"idTag": "RFID-1"})
        assert auth[2] == {"idTagInfo": {"status": "Accepted"}}
        start = await call(
            ws,
            "StartTransaction",
            {"connectorId": 1, "idTag": "RFID-1", "meterStart": 12000, "timestamp": "2026-11-21T10:00:00Z"},
        )
        transaction_id = start[2]["transactionId"]
        assert start[2]["idTagInfo"]["status"] == "Accepted"
        await call(ws, "StatusNotification", status(1, "Charging", "2026-11-21T10:00:01Z"))
        await call(
            ws,
            "MeterValues",
            {
                "connectorId": 1,
                "transactionId": transaction_id,
                "meterValue": [meter("2026-11-21T10:15:00Z", "13.5", "7400", "41", unit="kWh")],
            },
        )
        await call(
            ws,
            "MeterValues",
            {
                "connectorId": 1,
                "transactionId": transaction_id,
                "meterValue": [meter("2026-11-21T10:30:00Z", "15250", "7350", "55")],
            },
        )
        # Values outside any transaction: the station's main meter on connector 0.
        await call(
            ws,
            "MeterValues",
            {
                "connectorId": 0,
                "meterValue": [{"timestamp": "2026-11-21T10:30:00Z", "sampledValue": [{"value": "998877"}]}],
            },
        )
        stop = await call(
            ws,
            "StopTransaction",
            {
                "transactionId": transaction_id,
                "meterStop": 16000,
                "timestamp": "2026-11-21T10:40:00Z",
                "idTag": "RFID-1",
                "reason": "EVDisconnected",
            },
        )
        assert stop[2] == {"idTagInfo": {"status": "Accepted"}}
        await call(ws, "StatusNotification", status(1, "Finishing", "2026-11-21T10:40:01Z"))
        await call(ws, "StatusNotification", status(1, "Available", "2026-11-21T10:41:00Z"))

    station = await sync_to_async(ChargingStation.objects.get)(charge_point_id="CP-SESSION")
    assert (station.vendor, station.model, station.serial_number, station.firmware_version) == (
        "Alfen",
        "Eve Single",
        "ACE0001",
        "4.12.0",
    )
    assert (station.iccid, station.imsi, station.meter_type, station.ocpp_version) == (
        "8931000000000000001",
        "204040000000001",
        "Eastron",
        "1.6",
    )
    assert station.status == "Available" and station.last_heartbeat_at is not None

    tx = await sync_to_async(Transaction.objects.get)(pk=transaction_id)
    assert tx.status == "completed" and tx.meter_start_wh == 12000 and tx.meter_stop_wh == 16000
    assert tx.energy_wh == 4000 and tx.stop_reason == "EVDisconnected"
    assert tx.last_power_w == 7350 and tx.last_soc_percent == 55

    values = await sync_to_async(
        lambda: {
            (v.measurand, v.phase, str(v.timestamp.minute)): (v.value, v.unit)
            for v in MeterValue.objects.filter(transaction=tx)
        }
    )()
    assert values[("Energy.Active.Import.Register", "", "15")] == (13500, "Wh")  # kWh converted to Wh
    assert values[("Energy.Active.Import.Register", "", "30")] == (15250, "Wh")
    assert values[("Voltage", "L1-N", "15")][1] == "V" and float(values[("Current.Import", "L1", "30")][0]) == 31.4
    assert values[("SoC", "", "30")] == (55, "Percent") and ("Temperature", "", "15") in values
    station_values = await sync_to_async(
        lambda: list(MeterValue.objects.filter(transaction=None, station=station).values_list("evse_number", "value"))
    )()
    assert station_values == [(0, 998877)]

    connector = await sync_to_async(Connector.objects.get)(evse__station=station, evse__number=1)
    assert connector.status == "Available"
    history = await sync_to_async(
        lambda: list(
            StatusEvent.objects.filter(connector=connector).order_by("timestamp").values_list("status", flat=True)
        )
    )()
    assert history == ["Available", "Preparing", "Charging", "Finishing", "Available"]

    def logged():
        """every frame, both directions, is in the message log"""
        return OcppMessage.objects.filter(charge_point_id="CP-SESSION").count() >= 2 * 14

    await eventually(logged)
    start_log = await sync_to_async(
        lambda: set(
            OcppMessage.objects.filter(charge_point_id="CP-SESSION", action="StartTransaction").values_list(
                "direction", "message_type"
            )
        )
    )()
    assert start_log == {("in", 2), ("out", 3)}
