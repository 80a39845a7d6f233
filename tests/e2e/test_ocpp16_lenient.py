"""Lenient stations: schema-bending frames real chargers send are taken, stored raw, and noted.

A station with `lenient=True` gets a normal CALLRESULT for a wrong type, a
value outside an enum or an extra property; the data is stored as sent and
each bend is recorded as a StationEvent(kind="deviation") naming the action.
A strict station gets the CALLERROR for the same frame and nothing is
stored. A missing required field is refused even from a lenient station.
"""

import pytest
from asgiref.sync import sync_to_async

from sessions.models import MeterValue, Transaction
from stations.models import ChargingStation, Connector, StationEvent, StatusEvent
from tests.ocpp_client import call, open_socket

pytestmark = pytest.mark.e2e

NOW = "2026-11-21T10:00:00Z"
START = {"connectorId": 1, "idTag": "RFID-1", "meterStart": 1000, "timestamp": NOW}
BOOT = {"chargePointVendor": "Alfen", "chargePointModel": "Eve Single"}

ERROR_CODE = {"connectorId": 1, "errorCode": "Error", "status": "Faulted", "timestamp": NOW}
HERTZ = {
    "connectorId": 1,
    "meterValue": [{"timestamp": NOW, "sampledValue": [{"value": "50.02", "measurand": "Frequency", "unit": "Hz"}]}],
}
METER_START_STRING = {**START, "meterStart": "1000"}
CONNECTOR_ID_STRING = {"connectorId": "1", "errorCode": "NoError", "status": "Preparing", "timestamp": NOW}
EXTRA_PROPERTY = {**BOOT, "chargePointFirmwareBuild": "2026.11"}


def stored(charge_point_id: str) -> dict:
    """What a frame may write: the station, its connectors, and the rows the handlers create."""
    station = ChargingStation.objects.filter(charge_point_id=charge_point_id).values().get()
    station.pop("last_heartbeat_at")
    return {
        "station": station,
        "connectors": list(Connector.objects.filter(evse__station_id=station["id"]).order_by("pk").values()),
        "rows": {
            table.__name__: table.objects.count() for table in (Transaction, MeterValue, StatusEvent, StationEvent)
        },
    }


def deviations(charge_point_id: str) -> list[StationEvent]:
    return list(StationEvent.objects.filter(station__charge_point_id=charge_point_id, kind="deviation"))


async def send_lenient(server, make_station, action: str, payload: dict, cp: str = "CP-LENIENT") -> list:
    """Send one frame from a lenient station; assert it is answered with a CALLRESULT and noted as one deviation."""
    await make_station(cp, lenient=True)
    async with open_socket(server, cp) as ws:
        reply = await call(ws, action, payload, unique_id="bent")
    assert reply[:2] == [3, "bent"], reply
    [deviation] = await sync_to_async(deviations)(cp)
    assert deviation.summary.startswith(f"{action}: ") and deviation.details["action"] == action
    assert deviation.details["unique_id"] == "bent" and deviation.details["payload"] == payload
    return reply


async def test_error_code_outside_the_enum_is_stored_raw(server, make_station):
    reply = await send_lenient(server, make_station, "StatusNotification", ERROR_CODE)
    assert reply[2] == {}
    connector = await sync_to_async(Connector.objects.get)(evse__station__charge_point_id="CP-LENIENT", evse__number=1)
    assert (connector.status, connector.error_code) == ("Faulted", "Error")
    event = await sync_to_async(StatusEvent.objects.get)(connector=connector)
    assert (event.status, event.error_code) == ("Faulted", "Error")


async def test_unit_outside_the_enum_is_stored_raw(server, make_station):
    reply = await send_lenient(server, make_station, "MeterValues", HERTZ)
    assert reply[2] == {}
    [value] = await sync_to_async(list)(MeterValue.objects.filter(station__charge_point_id="CP-LENIENT"))
    assert (value.measurand, value.raw_value, value.raw_unit, value.unit) == ("Frequency", "50.02", "Hz", "Hz")
    assert float(value.value) == 50.02 and value.evse_number == 1


async def test_meter_start_as_a_string_is_read_as_a_number(server, make_station, make_id_tag):
    await make_id_tag("RFID-1")
    reply = await send_lenient(server, make_station, "StartTransaction", METER_START_STRING)
    assert reply[2]["idTagInfo"] == {"status": "Accepted"}
    tx = await sync_to_async(Transaction.objects.select_related("connector__evse").get)(pk=reply[2]["transactionId"])
    assert (tx.meter_start_wh, tx.connector.evse.number, tx.id_tag_value) == (1000, 1, "RFID-1")


async def test_connector_id_as_a_string_is_read_as_a_number(server, make_station):
    reply = await send_lenient(server, make_station, "StatusNotification", CONNECTOR_ID_STRING)
    assert reply[2] == {}
    connector = await sync_to_async(Connector.objects.get)(evse__station__charge_point_id="CP-LENIENT", evse__number=1)
    assert (connector.status, connector.error_code) == ("Preparing", "NoError")


async def test_extra_property_is_ignored_and_the_rest_stored(server, make_station):
    reply = await send_lenient(server, make_station, "BootNotification", EXTRA_PROPERTY)
    assert reply[2]["status"] == "Accepted"
    station = await sync_to_async(ChargingStation.objects.get)(charge_point_id="CP-LENIENT")
    assert (station.vendor, station.model) == ("Alfen", "Eve Single")


@pytest.mark.parametrize(
    "action, payload, code",
    [
        pytest.param("StatusNotification", ERROR_CODE, "PropertyConstraintViolation", id="errorCode-Error"),
        pytest.param("MeterValues", HERTZ, "PropertyConstraintViolation", id="unit-Hz"),
        pytest.param("StartTransaction", METER_START_STRING, "TypeConstraintViolation", id="meterStart-string"),
        pytest.param("StatusNotification", CONNECTOR_ID_STRING, "TypeConstraintViolation", id="connectorId-string"),
        pytest.param("BootNotification", EXTRA_PROPERTY, "FormationViolation", id="extra-property"),
    ],
)
async def test_strict_station_gets_the_call_error_and_nothing_is_stored(
    server, make_station, make_id_tag, action, payload, code
):
    await make_id_tag("RFID-1")
    await make_station("CP-STRICT")
    async with open_socket(server, "CP-STRICT") as ws:
        before = await sync_to_async(stored)("CP-STRICT")
        reply = await call(ws, action, payload, unique_id="bent")
        assert reply[:3] == [4, "bent", code] and len(reply) == 5, reply
        assert await sync_to_async(stored)("CP-STRICT") == before  # no rows, and no deviation either


async def test_lenient_station_missing_a_required_field_is_refused(server, make_station, make_id_tag):
    await make_id_tag("RFID-1")
    await make_station("CP-LENIENT", lenient=True)
    async with open_socket(server, "CP-LENIENT") as ws:
        before = await sync_to_async(stored)("CP-LENIENT")
        reply = await call(
            ws, "StartTransaction", {k: v for k, v in START.items() if k != "meterStart"}, unique_id="short"
        )
        assert reply[:3] == [4, "short", "OccurenceConstraintViolation"], reply
        assert await sync_to_async(stored)("CP-LENIENT") == before


@pytest.mark.parametrize(
    "action, payload",
    [
        pytest.param(
            "MeterValues", {"connectorId": "1", "meterValue": [{"sampledValue": [{"value": "1"}]}]}, id="no-timestamp"
        ),
        pytest.param(
            "MeterValues", {"connectorId": "1", "meterValue": [{"timestamp": NOW, "sampledValue": [{}]}]}, id="no-value"
        ),
        pytest.param(
            "StartTransaction", {"connectorId": 1, "idTag": "RFID-1", "timestamp": NOW, "x": 1}, id="no-meterStart"
        ),
    ],
)
async def test_missing_field_is_refused_even_beside_a_tolerated_bend(server, make_station, action, payload):
    # The bend (connectorId "1", an extra field) is tolerable; the missing field beside it is not.
    await make_station("CP-LENIENT", lenient=True)
    async with open_socket(server, "CP-LENIENT") as ws:
        before = await sync_to_async(stored)("CP-LENIENT")
        reply = await call(ws, action, payload, unique_id="short")
        assert reply[:3] == [4, "short", "OccurenceConstraintViolation"], reply
        assert await sync_to_async(stored)("CP-LENIENT") == before


async def test_every_bend_in_one_frame_is_recorded(server, make_station, make_id_tag):
    await make_id_tag("RFID-1")
    await make_station("CP-LENIENT", lenient=True)
    async with open_socket(server, "CP-LENIENT") as ws:
        reply = await call(ws, "StartTransaction", {**START, "connectorId": "1", "meterStart": "1000"})
    assert reply[0] == 3 and await sync_to_async(Transaction.objects.filter(meter_start_wh=1000).exists)()
    summaries = " ".join(d.summary for d in await sync_to_async(deviations)("CP-LENIENT"))
    assert "connectorId" in summaries and "meterStart" in summaries, summaries


async def test_string_longer_than_allowed_is_kept_cut_to_its_column(server, make_station):
    firmware = "v" + "9" * 59  # 60 characters: 1.6 allows 50
    reply = await send_lenient(server, make_station, "BootNotification", {**BOOT, "firmwareVersion": firmware})
    assert reply[2]["status"] == "Accepted"
    station = await sync_to_async(ChargingStation.objects.get)(charge_point_id="CP-LENIENT")
    assert station.firmware_version == firmware[:50]
