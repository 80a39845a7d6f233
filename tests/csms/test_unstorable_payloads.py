"""Schema-valid frames a database could not hold as sent, from strict stations, through the engine.

Each is either kept safely (NUL and lone surrogates marked visibly, one
character for one; optional data left out) or refused with the CALLERROR
the spec names (a reading beyond what can be kept is a field holding an
invalid value; NaN is not JSON). None is an InternalError, none leaves a row
half written, and the station's next frame is served.
"""

import json

import pytest
from asgiref.sync import sync_to_async

from csms.ocpp.models import OcppMessage
from sessions.models import IdTag, MeterValue, Transaction
from stations.models import ChargingStation, DataTransferMessage, StationEvent, StatusEvent
from stations.services.connections import provision_station
from tests.csms.engine_support import engine_for, exchange

pytestmark = pytest.mark.django_db(transaction=True)

NOW = "2026-11-21T10:00:00Z"
OUT_OF_RANGE = "beyond what a reading can be (under 1e+16)"


@pytest.fixture
def station_engine():
    async def make(version: str, charge_point_id: str = "CP-STRICT"):
        station = await sync_to_async(provision_station)(
            charge_point_id=charge_point_id, password="p" * 20, evse_count=1
        )
        return engine_for(station, version)

    return make


async def send(engine, wire, text: str) -> list:
    reply = await exchange(engine, wire, text)
    heartbeat = await exchange(engine, wire, '[2,"hb","Heartbeat",{}]')
    assert heartbeat[:2] == [3, "hb"]  # still serving
    return reply


def meter_values_201(value, unit_of_measure: dict | None = None) -> dict:
    sampled = {"value": value, "measurand": "Energy.Active.Import.Register"}
    if unit_of_measure is not None:
        sampled["unitOfMeasure"] = unit_of_measure
    return {"evseId": 1, "meterValue": [{"timestamp": NOW, "sampledValue": [sampled]}]}


def meter_values_16(value: str) -> dict:
    return {"connectorId": 1, "meterValue": [{"timestamp": NOW, "sampledValue": [{"value": value, "unit": "Wh"}]}]}


# --- kept safely ---------------------------------------------------------------------------


async def test_nul_in_a_boot_notification_is_kept_marked(station_engine):
    engine, wire = await station_engine("1.6")
    boot = '[2,"boot","BootNotification",{"chargePointVendor":"Al\\u0000fen","chargePointModel":"Eve\\u0000"}]'
    reply = await send(engine, wire, boot)
    assert reply[:2] == [3, "boot"] and reply[2]["status"] == "Accepted"
    station = await sync_to_async(ChargingStation.objects.get)(charge_point_id="CP-STRICT")
    assert (station.vendor, station.model) == ("Al\u2400fen", "Eve\u2400")
    logged = await sync_to_async(OcppMessage.objects.get)(direction="in", unique_id="boot")
    assert logged.payload == boot  # the escape is text a database holds: the frame exactly as sent


async def test_lone_surrogates_in_a_status_notification_are_kept_replaced(station_engine):
    engine, wire = await station_engine("1.6")
    status = {
        "connectorId": 1,
        "errorCode": "OtherError",
        "status": "Faulted",
        "timestamp": NOW,
        "info": "\ud800 lost",
        "vendorErrorCode": "E\udfff",
    }
    reply = await send(engine, wire, json.dumps([2, "status", "StatusNotification", status]))
    assert reply == [3, "status", {}]
    event = await sync_to_async(StatusEvent.objects.get)(status="Faulted")
    assert (event.info, event.vendor_error_code) == ("\ufffd lost", "E\ufffd")


async def test_nul_in_an_id_tag_is_an_unknown_tag_not_a_crash(station_engine):
    engine, wire = await station_engine("1.6")
    await sync_to_async(IdTag.objects.create)(id_tag="RFID-1")
    start = {"connectorId": 1, "idTag": "RFID-1\u0000", "meterStart": 1000, "timestamp": NOW}
    reply = await send(engine, wire, json.dumps([2, "start", "StartTransaction", start]))
    assert reply[:2] == [3, "start"] and reply[2]["idTagInfo"] == {"status": "Invalid"}
    tx = await sync_to_async(Transaction.objects.get)(pk=reply[2]["transactionId"])
    assert tx.id_tag_value == "RFID-1\u2400"


async def test_nul_in_2_0_1_data_transfer_data_is_kept_marked(station_engine):
    engine, wire = await station_engine("2.0.1")
    reply = await send(
        engine, wire, json.dumps([2, "dt", "DataTransfer", {"vendorId": "Acme\u0000", "data": {"k\u0000": "\ud800"}}])
    )
    assert reply == [3, "dt", {"status": "UnknownVendorId"}]
    message = await sync_to_async(DataTransferMessage.objects.get)()
    assert (message.vendor_id, json.loads(message.data)) == ("Acme\u2400", {"k\u2400": "\ufffd"})


async def test_2_0_1_data_transfer_without_its_optional_data(station_engine):
    engine, wire = await station_engine("2.0.1")
    reply = await send(engine, wire, '[2,"dt","DataTransfer",{"vendorId":"Acme","messageId":"ping"}]')
    assert reply == [3, "dt", {"status": "UnknownVendorId"}]
    message = await sync_to_async(DataTransferMessage.objects.get)()
    assert (message.vendor_id, message.message_id, message.data) == ("Acme", "ping", "")


@pytest.mark.parametrize("data, stored", [(42, "42"), ([1, "a"], '[1,"a"]'), (None, ""), ("text", "text")])
async def test_2_0_1_data_transfer_data_of_any_json_type_is_kept_as_json(station_engine, data, stored):
    engine, wire = await station_engine("2.0.1")
    reply = await send(engine, wire, json.dumps([2, "dt", "DataTransfer", {"vendorId": "Acme", "data": data}]))
    assert reply == [3, "dt", {"status": "UnknownVendorId"}]
    assert (await sync_to_async(DataTransferMessage.objects.get)()).data == stored


async def test_2_0_1_unit_as_long_as_the_schema_allows_is_kept_cut_to_the_column(station_engine):
    engine, wire = await station_engine("2.0.1")
    reply = await send(engine, wire, json.dumps([2, "mv", "MeterValues", meter_values_201(12.5, {"unit": "U" * 20})]))
    assert reply == [3, "mv", {}]
    value = await sync_to_async(MeterValue.objects.get)()
    assert (value.value, value.unit, value.raw_unit) == (12.5, "U" * 16, "U" * 16)


async def test_report_charging_profiles_with_nul_is_kept_marked(station_engine):
    engine, wire = await station_engine("2.0.1")
    profile = {
        "id": 1,
        "stackLevel": 0,
        "transactionId": "tx-\u0000",
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Absolute",
        "chargingSchedule": [
            {"id": 1, "chargingRateUnit": "W", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 1e300}]}
        ],
    }
    report = {"requestId": 1, "chargingLimitSource": "EMS", "evseId": 1, "chargingProfile": [profile]}
    reply = await send(engine, wire, json.dumps([2, "rcp", "ReportChargingProfiles", report]))
    assert reply == [3, "rcp", {}]
    event = await sync_to_async(StationEvent.objects.get)(kind="charging_limit")
    [stored] = event.details["charging_profile"]
    assert stored["transaction_id"] == "tx-\u2400"
    assert (
        float(stored["charging_schedule"][0]["charging_schedule_period"][0]["limit"]) == 1e300
    )  # jsonb reads it back as an int


@pytest.mark.parametrize("reservation_id", [-(2**40), 0, 2**31])
async def test_2_0_1_transaction_naming_a_reservation_we_cannot_have_issued_is_kept_untied(
    station_engine, reservation_id
):
    """reservationId is unbounded in the schema; the column holds int32 (PostgreSQL refused -2**40)."""
    engine, wire = await station_engine("2.0.1")
    started = {
        "eventType": "Started",
        "timestamp": NOW,
        "triggerReason": "CablePluggedIn",
        "seqNo": 0,
        "transactionInfo": {"transactionId": "TX-RES"},
        "evse": {"id": 1, "connectorId": 1},
        "reservationId": reservation_id,
    }
    assert (await send(engine, wire, json.dumps([2, "tx", "TransactionEvent", started])))[:2] == [3, "tx"]
    tx = await sync_to_async(Transaction.objects.get)(uid="TX-RES")
    assert tx.reservation_id is None


async def test_1_6_start_naming_a_reservation_we_cannot_have_issued_is_kept_untied(station_engine):
    engine, wire = await station_engine("1.6")
    start = {"connectorId": 1, "idTag": "TAG-RES", "meterStart": 0, "timestamp": NOW, "reservationId": -(2**40)}
    reply = await send(engine, wire, json.dumps([2, "st", "StartTransaction", start]))
    assert reply[:2] == [3, "st"] and reply[2]["transactionId"] > 0
    tx = await sync_to_async(Transaction.objects.get)(pk=reply[2]["transactionId"])
    assert tx.reservation_id is None


# --- refused with the code the spec names --------------------------------------------------


async def assert_refused(engine, wire, text: str, code: str, description: str) -> None:
    reply = await send(engine, wire, text)
    assert reply == [4, json.loads(text)[1], code, description, {}]
    assert await sync_to_async(MeterValue.objects.count)() == 0


async def test_1_6_reading_of_1e16_wh_is_a_property_constraint_violation(station_engine):
    engine, wire = await station_engine("1.6")
    description = f"Energy.Active.Import.Register value '1e16' (1.000e+16 Wh) is {OUT_OF_RANGE}"
    await assert_refused(
        engine,
        wire,
        json.dumps([2, "mv", "MeterValues", meter_values_16("1e16")]),
        "PropertyConstraintViolation",
        description,
    )


@pytest.mark.parametrize(
    "value, unit_of_measure, shown",
    [
        pytest.param(1e16, None, "'1e+16' (1.000e+16 Wh)", id="1e16-Wh"),
        pytest.param(1e13, {"unit": "kWh"}, "'10000000000000.0' (1.000e+16 Wh)", id="1e13-kWh"),
        pytest.param(1e30, None, "'1e+30'", id="1e30"),
        pytest.param(5, {"unit": "Wh", "multiplier": 20}, "'5e20'", id="multiplier-20"),
    ],
)
async def test_2_0_1_reading_beyond_what_can_be_kept_is_a_property_constraint_violation(
    station_engine, value, unit_of_measure, shown
):
    engine, wire = await station_engine("2.0.1")
    text = json.dumps([2, "mv", "MeterValues", meter_values_201(value, unit_of_measure)])
    description = f"Energy.Active.Import.Register value {shown} is {OUT_OF_RANGE}"
    await assert_refused(engine, wire, text, "PropertyConstraintViolation", description)


async def test_power_beyond_an_integer_column_is_a_property_constraint_violation(station_engine):
    engine, wire = await station_engine("1.6")
    sampled = [{"value": "3000000000", "measurand": "Power.Active.Import", "unit": "W"}]
    text = json.dumps(
        [2, "mv", "MeterValues", {"connectorId": 1, "meterValue": [{"timestamp": NOW, "sampledValue": sampled}]}]
    )
    description = (
        "Power.Active.Import value '3000000000' (3.000e+9 W) is beyond what a reading can be (under 2.147e+09)"
    )
    await assert_refused(engine, wire, text, "PropertyConstraintViolation", description)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
async def test_nan_in_report_charging_profiles_is_a_format_violation(station_engine, literal):
    engine, wire = await station_engine("2.0.1")
    period = '{"startPeriod":0,"limit":' + literal + "}"
    text = (
        '[2,"rcp","ReportChargingProfiles",{"requestId":1,"chargingLimitSource":"EMS","evseId":1,"chargingProfile":[{"id":1,'
        '"stackLevel":0,"chargingProfilePurpose":"TxDefaultProfile","chargingProfileKind":"Absolute","chargingSchedule":[{"id":1,'
        '"chargingRateUnit":"W","chargingSchedulePeriod":[' + period + "]}]}]}]"
    )
    await engine.receive_frame(text)
    heartbeat = await exchange(engine, wire, '[2,"hb","Heartbeat",{}]')
    assert [json.loads(sent) for sent in wire.sent] == [
        [4, "rcp", "FormatViolation", f"{literal} is not a JSON number", {}]
    ]
    assert heartbeat[:2] == [3, "hb"]
    assert await sync_to_async(StationEvent.objects.count)() == 0
    assert (await sync_to_async(OcppMessage.objects.get)(direction="in", unique_id="rcp")).payload == text


async def test_nan_from_a_1_6_station_is_a_formation_violation(station_engine):
    engine, wire = await station_engine("1.6")
    await engine.receive_frame('[2,"mv","MeterValues",{"connectorId":NaN,"meterValue":[]}]')
    assert [json.loads(sent) for sent in wire.sent] == [[4, "mv", "FormationViolation", "NaN is not a JSON number", {}]]


async def test_a_number_beyond_any_float_is_a_property_constraint_violation(station_engine):
    engine, wire = await station_engine("2.0.1")
    await engine.receive_frame(
        '[2,"mv","MeterValues",{"evseId":1,"meterValue":[{"timestamp":"'
        + NOW
        + '","sampledValue":[{"value":1e400}]}]}]'
    )
    assert [json.loads(sent) for sent in wire.sent] == [
        [4, "mv", "PropertyConstraintViolation", "Number 1e400 is beyond what can be represented", {}]
    ]
