"""OCPP-J framing, CALLERROR codes per version, and schema faults: no server, no database."""

import json

import pytest

from csms.ocpp import frames
from csms.ocpp.errors import Fault, error_code
from csms.ocpp.schema import TOLERABLE, check_payload

NOW = "2026-11-21T10:00:00Z"
START = {"connectorId": 1, "idTag": "RFID-1", "meterStart": 1000, "timestamp": NOW}
STATUS = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}


# --- parse_frame: valid frames -------------------------------------------------------


def test_call_is_parsed():
    frame = frames.parse_frame('[2, "id-1", "Heartbeat", {}]')
    assert frame == frames.Frame(frames.CALL, "id-1", action="Heartbeat", payload={})


def test_call_result_is_parsed():
    frame = frames.parse_frame('[3,"id-1",{"status":"Accepted"}]')
    assert (frame.message_type, frame.unique_id, frame.payload) == (frames.CALLRESULT, "id-1", {"status": "Accepted"})


def test_call_error_is_parsed():
    frame = frames.parse_frame('[4,"id-1","NotSupported","no",{"why":"x"}]')
    assert (frame.message_type, frame.unique_id) == (frames.CALLERROR, "id-1")
    assert (frame.error_code, frame.error_description, frame.payload) == ("NotSupported", "no", {"why": "x"})


def test_call_error_with_details_not_an_object_keeps_code_and_description():
    frame = frames.parse_frame('[4,"id-1","GenericError","oops",null]')
    assert (frame.error_code, frame.error_description, frame.payload) == ("GenericError", "oops", {})


# --- parse_frame: refused frames ------------------------------------------------------

# text, fault, recovered message type, recovered unique id, deserves an answer
REFUSED = [
    pytest.param('[2,"abc","Heartbeat",{', Fault.FORMAT, 2, "abc", True, id="invalid-json-with-id"),
    pytest.param("not json", Fault.FORMAT, None, None, False, id="invalid-json-without-id"),
    pytest.param("", Fault.FORMAT, None, None, False, id="empty"),
    pytest.param('{"a":1}', Fault.RPC_FRAMEWORK, None, None, False, id="object"),
    pytest.param("[]", Fault.RPC_FRAMEWORK, None, None, False, id="empty-array"),
    pytest.param('"text"', Fault.RPC_FRAMEWORK, None, None, False, id="string"),
    pytest.param('["2","id","Heartbeat",{}]', Fault.RPC_FRAMEWORK, None, "id", True, id="type-id-string"),
    pytest.param('[true,"id","Heartbeat",{}]', Fault.RPC_FRAMEWORK, None, "id", True, id="type-id-bool"),
    pytest.param('[2.0,"id","Heartbeat",{}]', Fault.RPC_FRAMEWORK, None, "id", True, id="type-id-float"),
    pytest.param('[2,17,"Heartbeat",{}]', Fault.RPC_FRAMEWORK, 2, None, False, id="unique-id-number"),
    pytest.param("[2]", Fault.RPC_FRAMEWORK, 2, None, False, id="unique-id-missing"),
    pytest.param('[7,"id","Heartbeat",{}]', Fault.MESSAGE_TYPE, 7, "id", True, id="unknown-type-id"),
    pytest.param('[2,"id","Heartbeat"]', Fault.RPC_FRAMEWORK, 2, "id", True, id="call-3-elements"),
    pytest.param('[2,"id","Heartbeat",{},{}]', Fault.RPC_FRAMEWORK, 2, "id", True, id="call-5-elements"),
    pytest.param('[2,"id",5,{}]', Fault.RPC_FRAMEWORK, 2, "id", True, id="action-number"),
    pytest.param('[2,"id","",{}]', Fault.RPC_FRAMEWORK, 2, "id", True, id="action-empty"),
    pytest.param('[2,"id","Heartbeat",[]]', Fault.FORMAT, 2, "id", True, id="payload-array"),
    pytest.param('[2,"id","Heartbeat",null]', Fault.FORMAT, 2, "id", True, id="payload-null"),
    pytest.param('[3,"id"]', Fault.RPC_FRAMEWORK, 3, "id", False, id="callresult-2-elements"),
    pytest.param('[3,"id","x"]', Fault.RPC_FRAMEWORK, 3, "id", False, id="callresult-payload-string"),
    pytest.param('[4,"id","GenericError",{}]', Fault.RPC_FRAMEWORK, 4, "id", False, id="callerror-4-elements"),
    pytest.param('[4,"id",500,"x",{}]', Fault.RPC_FRAMEWORK, 4, "id", False, id="callerror-code-number"),
    pytest.param('[3,"id",{', Fault.FORMAT, 3, "id", False, id="broken-callresult"),
]


@pytest.mark.parametrize("text, fault, message_type, unique_id, deserves_answer", REFUSED)
def test_refused_frame(text, fault, message_type, unique_id, deserves_answer):
    with pytest.raises(frames.FrameRefused) as refused:
        frames.parse_frame(text)
    assert refused.value.fault is fault
    assert (refused.value.message_type, refused.value.unique_id) == (message_type, unique_id)
    assert refused.value.deserves_answer is deserves_answer
    assert refused.value.description


def test_too_deeply_nested_json_is_refused_as_format():
    with pytest.raises(frames.FrameRefused) as refused:
        frames.parse_frame('[2,"deep","Heartbeat",{"x":' + "[" * 100_000 + "]" * 100_000 + "}]")
    assert (refused.value.fault, refused.value.unique_id) == (Fault.FORMAT, "deep")


# --- recover_head ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, head",
    [
        ('[2,"abc","Heartbeat",{', (2, "abc")),
        (' [ 3 , "x-1" ,{"a"', (3, "x-1")),
        (r'[2,"a\"b","Heartbeat"', (2, 'a"b')),  # an escaped quote is part of the id
        (r'[2,"caf\u00e9",', (2, "café")),
        ("[2," + '"' + "i" * 128 + '"', (2, "i" * 128)),
        ("[2," + '"' + "i" * 129 + '"', (None, None)),  # no id of that length is plausible
        ('[2,"",', (None, None)),
        ('["2","abc",', (None, None)),
        ('{"a":1}', (None, None)),
        ("not json", (None, None)),
    ],
)
def test_recover_head(text, head):
    assert frames.recover_head(text) == head


@pytest.mark.parametrize("text", [r'[2,"bad\id",', '[2,"line\nbreak",'], ids=["bad-escape", "raw-newline"])
def test_recover_head_gives_no_id_for_an_id_that_is_not_a_json_string(text):
    assert frames.recover_head(text)[1] is None


# --- call_result / call_error -----------------------------------------------------------


def test_call_result_frame():
    assert frames.call_result("id-1", {"currentTime": NOW}) == f'[3,"id-1",{{"currentTime":"{NOW}"}}]'


def test_call_error_frame():
    text = frames.call_error("id-1", "NotImplemented", "FooBar is not a known action")
    assert json.loads(text) == [4, "id-1", "NotImplemented", "FooBar is not a known action", {}]


def test_call_error_keeps_details_and_cuts_the_description_to_255():
    message = json.loads(frames.call_error("id-1", "GenericError", "x" * 300, {"path": "meterStart"}))
    assert message[3] == "x" * 255 and message[4] == {"path": "meterStart"}


def test_call_error_round_trips_through_parse_frame():
    frame = frames.parse_frame(frames.call_error('q"uote', "SecurityError", "no"))
    assert (frame.message_type, frame.unique_id, frame.error_code) == (frames.CALLERROR, 'q"uote', "SecurityError")


# --- error codes per version ------------------------------------------------------------

V16 = {
    Fault.FORMAT: "FormationViolation",
    Fault.RPC_FRAMEWORK: "FormationViolation",
    Fault.MESSAGE_TYPE: "FormationViolation",
    Fault.OCCURRENCE: "OccurenceConstraintViolation",  # sic: 1.6 spells it with one "r"
    Fault.NOT_IMPLEMENTED: "NotImplemented",
    Fault.NOT_SUPPORTED: "NotSupported",
    Fault.PROPERTY: "PropertyConstraintViolation",
    Fault.TYPE: "TypeConstraintViolation",
    Fault.PROTOCOL: "ProtocolError",
    Fault.SECURITY: "SecurityError",
    Fault.INTERNAL: "InternalError",
    Fault.GENERIC: "GenericError",
}
V201 = {
    **V16,
    Fault.FORMAT: "FormatViolation",
    Fault.RPC_FRAMEWORK: "RpcFrameworkError",
    Fault.MESSAGE_TYPE: "MessageTypeNotSupported",
    Fault.OCCURRENCE: "OccurrenceConstraintViolation",
}


@pytest.mark.parametrize("version, codes", [("1.6", V16), ("2.0.1", V201)])
def test_every_fault_has_its_versions_code(version, codes):
    assert {fault: error_code(fault, version) for fault in Fault} == codes


# --- check_payload -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "action, payload",
    [("Heartbeat", {}), ("StartTransaction", START), ("StatusNotification", {**STATUS, "timestamp": NOW})],
)
def test_conforming_payload_has_no_violation(action, payload):
    assert check_payload(action, payload, "1.6") == []


@pytest.mark.parametrize(
    "action, payload, fault, path",
    [
        pytest.param(
            "StartTransaction",
            {k: v for k, v in START.items() if k != "meterStart"},
            Fault.OCCURRENCE,
            "payload",
            id="required",
        ),
        pytest.param(
            "MeterValues", {"connectorId": 1, "meterValue": []}, Fault.OCCURRENCE, "meterValue", id="minItems"
        ),
        pytest.param("StartTransaction", {**START, "meterStart": "abc"}, Fault.TYPE, "meterStart", id="type-string"),
        pytest.param("StartTransaction", {**START, "connectorId": 1.5}, Fault.TYPE, "connectorId", id="type-float"),
        pytest.param("Heartbeat", [], Fault.TYPE, "payload", id="payload-not-object"),
        pytest.param("Authorize", {"idTag": "x" * 21}, Fault.TYPE, "idTag", id="maxLength"),
        pytest.param("StatusNotification", {**STATUS, "errorCode": "Error"}, Fault.PROPERTY, "errorCode", id="enum"),
        pytest.param(
            "StatusNotification", {**STATUS, "colour": "red"}, Fault.FORMAT, "payload", id="additionalProperties"
        ),
        pytest.param(
            "MeterValues",
            {"connectorId": 1, "meterValue": [{"timestamp": NOW, "sampledValue": [{"value": "1", "unit": "Hz"}]}]},
            Fault.PROPERTY,
            "meterValue/0/sampledValue/0/unit",
            id="nested-enum",
        ),
    ],
)
def test_schema_violation_maps_to_its_fault(action, payload, fault, path):
    [violation] = check_payload(action, payload, "1.6")
    assert violation.fault is fault
    assert violation.details == {"path": path}
    assert violation.description.startswith(f"{action}: {path}: ") and len(violation.description) <= 255


def test_violation_uses_the_versions_schema():
    boot_201 = {"chargingStation": {"model": "Eve", "vendorName": "Alfen"}, "reason": "PowerUp"}
    assert check_payload("BootNotification", boot_201, "2.0.1") == []
    assert check_payload("BootNotification", boot_201, "1.6") != []
    [missing_reason] = check_payload("BootNotification", {"chargingStation": boot_201["chargingStation"]}, "2.0.1")
    assert (missing_reason.fault, missing_reason.details) == (Fault.OCCURRENCE, {"path": "payload"})


def test_long_description_is_cut_to_255():
    [violation] = check_payload("Authorize", {"idTag": "x" * 1000}, "1.6")
    assert violation.fault is Fault.TYPE and len(violation.description) == 255


def test_lenient_stations_may_bend_types_values_and_extra_fields_but_never_omit_one():
    assert {Fault.TYPE, Fault.PROPERTY, Fault.FORMAT} == TOLERABLE


@pytest.mark.parametrize(
    "action, payload, paths",
    [
        pytest.param(
            "StartTransaction",
            {"connectorId": "1", "idTag": "X", "timestamp": NOW},
            {"payload", "connectorId"},
            id="missing-and-type",
        ),
        pytest.param(
            "MeterValues",
            {"connectorId": "1", "meterValue": [{"sampledValue": [{"value": "1"}]}]},
            {"connectorId", "meterValue/0"},
            id="missing-deeper-than-type",
        ),
        pytest.param(
            "StartTransaction",
            {"connectorId": 1, "idTag": "X", "timestamp": NOW, "x": 1},
            {"payload"},
            id="missing-and-extra",
        ),
    ],
)
def test_every_violation_is_reported(action, payload, paths):
    # A lenient station is refused if any of them is intolerable (a missing field), not only the first.
    violations = check_payload(action, payload, "1.6")
    assert Fault.OCCURRENCE in {v.fault for v in violations} and len(violations) == 2
    assert {v.details["path"] for v in violations} == paths


def test_the_most_relevant_violation_comes_first():
    # The one a strict station is answered with: the missing field of the message, not a field's type.
    violations = check_payload("StartTransaction", {"connectorId": "1", "idTag": "X", "timestamp": NOW}, "1.6")
    assert [v.fault for v in violations] == [Fault.OCCURRENCE, Fault.TYPE]
