"""Bad input from an OCPP 1.6J charger, through a real server.

Whatever a charger sends, the server answers as OCPP-J 1.6 prescribes (a
CALLERROR with the same unique id and the 1.6 error code, or nothing when
there is no id to answer), logs the frame, keeps the connection serving,
and touches no data.

"No answer" is checked without waiting: frames of one connection are
handled in order, so if the next frame the charger receives is the answer
to a Heartbeat sent after the bad frame, the bad frame was not answered.
"""

import json

import pytest
from asgiref.sync import sync_to_async

from csms.ocpp.models import OcppMessage
from sessions.models import IdTag, MeterValue, Transaction
from stations.models import ChargingStation, Connector, DataTransferMessage, Evse, StationEvent, StatusEvent
from tests.conftest import eventually
from tests.ocpp_client import answer, call, open_socket

pytestmark = pytest.mark.e2e

NOW = "2026-11-21T10:00:00Z"
START = {"connectorId": 1, "idTag": "RFID-1", "meterStart": 1000, "timestamp": NOW}
START_WITHOUT_METER = {k: v for k, v in START.items() if k != "meterStart"}
STATUS = {"connectorId": 1, "errorCode": "NoError", "status": "Preparing", "timestamp": NOW}


def meter_values(value: str) -> dict:
    return {
        "connectorId": 1,
        "meterValue": [
            {
                "timestamp": NOW,
                "sampledValue": [
                    {"value": "1200", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                    {"value": value, "measurand": "Power.Active.Import", "unit": "W"},
                ],
            }
        ],
    }


def domain_state(charge_point_id: str) -> dict:
    """Everything bad input must not touch: the station, its connectors, and every domain table."""
    station = ChargingStation.objects.filter(charge_point_id=charge_point_id).values().get()
    station.pop("last_heartbeat_at")  # the Heartbeat that proves the connection still serves moves it
    tables = (Transaction, MeterValue, StatusEvent, StationEvent, DataTransferMessage, Evse, Connector, IdTag)
    return {
        "station": station,
        "connectors": list(Connector.objects.filter(evse__station_id=station["id"]).order_by("pk").values()),
        "rows": {table.__name__: table.objects.count() for table in tables},
    }


async def connect(server, make_station, charge_point_id: str, **fields):
    await make_station(charge_point_id, **fields)
    ws = await open_socket(server, charge_point_id)
    return ws, await sync_to_async(domain_state)(charge_point_id)


async def assert_unharmed(ws, charge_point_id: str, before: dict) -> None:
    """The same connection answers the next CALL (and nothing else came first); no data changed."""
    reply = await call(ws, "Heartbeat", {}, unique_id="hb-after")
    assert reply[:2] == [3, "hb-after"] and reply[2]["currentTime"], reply
    assert await sync_to_async(domain_state)(charge_point_id) == before


def assert_call_error(reply: list, unique_id: str, code: str) -> None:
    assert len(reply) == 5, reply
    assert reply[:3] == [4, unique_id, code], reply
    assert isinstance(reply[3], str) and len(reply[3]) <= 255 and isinstance(reply[4], dict), reply


async def log_row(charge_point_id: str, **match) -> OcppMessage:
    return await eventually(lambda: OcppMessage.objects.filter(charge_point_id=charge_point_id, **match).first())


async def assert_refused_and_logged(ws, cp: str, text: str, unique_id: str, code: str) -> None:
    """`text` is answered with `code`, and both frames are in the message log."""
    await ws.send(text)
    assert_call_error(await answer(ws), unique_id, code)
    await log_row(cp, direction="in", payload=text, unique_id=unique_id)
    assert (await log_row(cp, direction="out", unique_id=unique_id, message_type=4)).error == code


async def assert_ignored_and_logged(ws, cp: str, text: str) -> OcppMessage:
    """`text` gets no answer and is logged, inbound, with the reason it was not taken."""
    await ws.send(text)
    assert (await call(ws, "Heartbeat", {}, unique_id="hb-next"))[:2] == [3, "hb-next"]
    row = await log_row(cp, direction="in", payload__startswith=text[:200])
    assert text.startswith(row.payload) and row.error  # the frame, or the head of one too big to keep
    return row


# --- framing ---------------------------------------------------------------------------


async def test_invalid_json_with_recoverable_id_is_a_formation_violation(server, make_station):
    ws, before = await connect(server, make_station, "CP-BAD-JSON")
    async with ws:
        await assert_refused_and_logged(ws, "CP-BAD-JSON", '[2,"abc","Heartbeat",{', "abc", "FormationViolation")
        assert (await log_row("CP-BAD-JSON", direction="in", unique_id="abc")).error
        await assert_unharmed(ws, "CP-BAD-JSON", before)


async def test_invalid_json_without_id_is_logged_not_answered(server, make_station):
    ws, before = await connect(server, make_station, "CP-NOT-JSON")
    async with ws:
        row = await assert_ignored_and_logged(ws, "CP-NOT-JSON", "not json")
        assert row.unique_id == "" and row.message_type is None
        await assert_unharmed(ws, "CP-NOT-JSON", before)


async def test_json_that_is_not_an_array_is_logged_not_answered(server, make_station):
    ws, before = await connect(server, make_station, "CP-OBJECT")
    async with ws:
        await assert_ignored_and_logged(ws, "CP-OBJECT", '{"a":1}')
        await assert_unharmed(ws, "CP-OBJECT", before)


async def test_call_with_wrong_element_count_is_a_formation_violation(server, make_station):
    ws, before = await connect(server, make_station, "CP-SHORT")
    async with ws:
        await assert_refused_and_logged(ws, "CP-SHORT", '[2,"short","Heartbeat"]', "short", "FormationViolation")
        await assert_unharmed(ws, "CP-SHORT", before)


async def test_message_type_id_not_a_number_is_a_formation_violation(server, make_station):
    ws, before = await connect(server, make_station, "CP-TYPE-STR")
    async with ws:
        await assert_refused_and_logged(
            ws, "CP-TYPE-STR", '["2","type-str","Heartbeat",{}]', "type-str", "FormationViolation"
        )
        await assert_unharmed(ws, "CP-TYPE-STR", before)


async def test_unknown_message_type_id_is_a_formation_violation(server, make_station):
    # 1.6 has no MessageTypeNotSupported (2.0.1 added it); its closest code is FormationViolation.
    ws, before = await connect(server, make_station, "CP-TYPE-7")
    async with ws:
        await assert_refused_and_logged(ws, "CP-TYPE-7", '[7,"type-7","Heartbeat",{}]', "type-7", "FormationViolation")
        await assert_unharmed(ws, "CP-TYPE-7", before)


async def test_oversized_frame_is_a_formation_violation(server, make_station):
    # The test server runs with OCPP_MAX_FRAME_BYTES=65536.
    ws, before = await connect(server, make_station, "CP-BIG")
    async with ws:
        text = json.dumps([2, "big", "DataTransfer", {"vendorId": "Acme", "data": "x" * 70_000}])
        await ws.send(text)
        assert_call_error(await answer(ws), "big", "FormationViolation")
        inbound = await log_row("CP-BIG", direction="in", unique_id="big")
        assert inbound.error and inbound.payload == text[: len(inbound.payload)] and len(inbound.payload) < 65536
        assert (await log_row("CP-BIG", direction="out", unique_id="big")).error == "FormationViolation"
        await assert_unharmed(ws, "CP-BIG", before)


async def test_too_deeply_nested_json_is_a_formation_violation(server, make_station):
    ws, before = await connect(server, make_station, "CP-DEEP")
    async with ws:
        text = '[2,"deep","Heartbeat",{"x":' + "[" * 5000 + "]" * 5000 + "}]"
        await assert_refused_and_logged(ws, "CP-DEEP", text, "deep", "FormationViolation")
        await assert_unharmed(ws, "CP-DEEP", before)


@pytest.mark.parametrize("padding", [0, 70_000], ids=["small", "oversized"])
async def test_invalid_json_whose_id_is_not_a_json_string_is_logged_not_answered(server, make_station, padding):
    ws, before = await connect(server, make_station, "CP-BAD-ESCAPE")
    async with ws:
        await assert_ignored_and_logged(ws, "CP-BAD-ESCAPE", r'[2,"bad\id","Heartbeat",{' + " " * padding)
        await assert_unharmed(ws, "CP-BAD-ESCAPE", before)


async def test_frame_whose_id_is_an_escaped_lone_surrogate_is_logged(server, make_station):
    ws, before = await connect(server, make_station, "CP-SURROGATE")
    async with ws:
        text = r'[2,"\ud800","Heartbeat",{}]'  # valid JSON: the escape decodes to a lone surrogate
        await ws.send(text)
        assert (await answer(ws))[:2] == [3, "\ud800"]
        await assert_unharmed(ws, "CP-SURROGATE", before)
    await log_row("CP-SURROGATE", direction="in", payload=text)
    await log_row("CP-SURROGATE", direction="in", unique_id="hb-after")  # logged in the same batch


# --- actions ---------------------------------------------------------------------------


async def test_unknown_action_is_not_implemented(server, make_station):
    ws, before = await connect(server, make_station, "CP-FOOBAR")
    async with ws:
        await assert_refused_and_logged(ws, "CP-FOOBAR", '[2,"foo","FooBar",{}]', "foo", "NotImplemented")
        await assert_unharmed(ws, "CP-FOOBAR", before)


@pytest.mark.parametrize(
    "action, payload",
    [("Reset", {"type": "Hard"}), ("RemoteStartTransaction", {"idTag": "RFID-1", "connectorId": 1})],
)
async def test_action_a_charger_does_not_send_is_not_supported(server, make_station, action, payload):
    ws, before = await connect(server, make_station, "CP-WRONG-WAY")
    async with ws:
        text = json.dumps([2, "wrong-way", action, payload])
        await assert_refused_and_logged(ws, "CP-WRONG-WAY", text, "wrong-way", "NotSupported")
        await assert_unharmed(ws, "CP-WRONG-WAY", before)


# --- payloads against the schema ------------------------------------------------------


@pytest.mark.parametrize(
    "action, payload, code",
    [
        pytest.param("StartTransaction", START_WITHOUT_METER, "OccurenceConstraintViolation", id="missing-meterStart"),
        pytest.param(
            "StartTransaction", {**START, "meterStart": "abc"}, "TypeConstraintViolation", id="meterStart-string"
        ),
        pytest.param(
            "StartTransaction", {**START, "connectorId": "1"}, "TypeConstraintViolation", id="connectorId-string"
        ),
        pytest.param(
            "StatusNotification",
            {**STATUS, "errorCode": "Error"},
            "PropertyConstraintViolation",
            id="errorCode-not-in-enum",
        ),
        pytest.param("StatusNotification", {**STATUS, "colour": "red"}, "FormationViolation", id="additional-property"),
        pytest.param(
            "StartTransaction",
            {**START, "timestamp": "yesterday"},
            "PropertyConstraintViolation",
            id="start-timestamp-not-date-time",
        ),
        pytest.param(
            "StatusNotification",
            {**STATUS, "timestamp": "21/11/2026"},
            "PropertyConstraintViolation",
            id="status-timestamp-not-date-time",
        ),
    ],
)
async def test_payload_breaking_the_schema_is_refused(server, make_station, make_id_tag, action, payload, code):
    await make_id_tag("RFID-1")
    ws, before = await connect(server, make_station, "CP-SCHEMA")
    async with ws:
        await assert_refused_and_logged(
            ws, "CP-SCHEMA", json.dumps([2, "bad-payload", action, payload]), "bad-payload", code
        )
        await assert_unharmed(ws, "CP-SCHEMA", before)


@pytest.mark.parametrize(
    "action, payload",
    [
        pytest.param("StatusNotification", {**STATUS, "timestamp": "2026-13-45T10:00:00Z"}, id="impossible-date"),
        pytest.param("StatusNotification", {**STATUS, "connectorId": -1}, id="negative-connectorId"),
        pytest.param(
            "StartTransaction", {**START, "connectorId": 0}, id="start-on-connector-0"
        ),  # 1.6: connectorId > 0
    ],
)
async def test_value_the_schema_cannot_check_is_a_property_constraint_violation(server, make_station, action, payload):
    ws, before = await connect(server, make_station, "CP-VALUE")
    async with ws:
        text = json.dumps([2, "bad-value", action, payload])
        await assert_refused_and_logged(ws, "CP-VALUE", text, "bad-value", "PropertyConstraintViolation")
        await assert_unharmed(ws, "CP-VALUE", before)


@pytest.mark.parametrize(
    "action, payload",
    [
        pytest.param("StatusNotification", {**STATUS, "connectorId": 2**31}, id="connectorId-beyond-int32"),
        pytest.param("StartTransaction", {**START, "meterStart": 2**63}, id="meterStart-beyond-int64"),
    ],
)
async def test_integer_too_large_to_store_is_a_property_constraint_violation(server, make_station, action, payload):
    ws, before = await connect(server, make_station, "CP-HUGE")
    async with ws:
        text = json.dumps([2, "huge", action, payload])
        await assert_refused_and_logged(ws, "CP-HUGE", text, "huge", "PropertyConstraintViolation")
        await assert_unharmed(ws, "CP-HUGE", before)


async def not_a_number(ws, action: str) -> dict:
    """A MeterValues, or the StopTransaction of a session just started, carrying a reading that is not a number."""
    if action == "MeterValues":
        return meter_values("7.4 kW")
    transaction_id = (await call(ws, "StartTransaction", START))[2]["transactionId"]
    stop = {"transactionId": transaction_id, "meterStop": 5000, "timestamp": "2026-11-21T11:00:00Z"}
    return {**stop, "transactionData": meter_values("n/a")["meterValue"]}


@pytest.mark.parametrize("action", ["MeterValues", "StopTransaction"])
async def test_meter_value_that_is_not_a_number_changes_nothing(server, make_station, make_id_tag, action):
    await make_id_tag("RFID-1")
    ws, _ = await connect(server, make_station, "CP-NAN")
    async with ws:
        payload = await not_a_number(ws, action)
        before = await sync_to_async(domain_state)("CP-NAN")
        await ws.send(json.dumps([2, "nan", action, payload]))
        assert (await answer(ws))[:2] == [4, "nan"]
        await assert_unharmed(ws, "CP-NAN", before)  # no partial rows; the session is still active


@pytest.mark.parametrize("action", ["MeterValues", "StopTransaction"])
async def test_meter_value_that_is_not_a_number_is_a_property_constraint_violation(
    server, make_station, make_id_tag, action
):
    # sampledValue.value is a string in the 1.6 schema ("a decimal number or SignedData"),
    # so only reading it tells it is not a number: a field holding an invalid value.
    await make_id_tag("RFID-1")
    ws, _ = await connect(server, make_station, "CP-NAN-CODE")
    async with ws:
        payload = await not_a_number(ws, action)
        before = await sync_to_async(domain_state)("CP-NAN-CODE")
        text = json.dumps([2, "nan", action, payload])
        await assert_refused_and_logged(ws, "CP-NAN-CODE", text, "nan", "PropertyConstraintViolation")
        await assert_unharmed(ws, "CP-NAN-CODE", before)


# --- answers nobody asked for ----------------------------------------------------------


@pytest.mark.parametrize(
    "text", ['[3,"nobody-asked",{"status":"Accepted"}]', '[4,"nobody-asked","GenericError","",{}]']
)
async def test_answer_to_no_call_is_logged_as_ignored(server, make_station, text):
    ws, before = await connect(server, make_station, "CP-UNASKED")
    async with ws:
        row = await assert_ignored_and_logged(ws, "CP-UNASKED", text)
        assert row.unique_id == "nobody-asked" and "ignored" in row.error
        await assert_unharmed(ws, "CP-UNASKED", before)


# --- registration ----------------------------------------------------------------------


async def test_pending_station_may_boot_and_beat_but_not_charge(server, make_station, make_id_tag):
    await make_id_tag("RFID-1")
    ws, _ = await connect(server, make_station, "CP-PENDING", registration_status="Pending")
    async with ws:
        boot = await call(ws, "BootNotification", {"chargePointVendor": "Alfen", "chargePointModel": "Eve"})
        assert boot[0] == 3 and boot[2]["status"] == "Pending"
        assert (await call(ws, "Heartbeat", {}))[0] == 3
        before = await sync_to_async(domain_state)("CP-PENDING")
        await assert_refused_and_logged(
            ws, "CP-PENDING", json.dumps([2, "auth", "Authorize", {"idTag": "RFID-1"}]), "auth", "SecurityError"
        )
        await assert_refused_and_logged(
            ws, "CP-PENDING", json.dumps([2, "start", "StartTransaction", START]), "start", "SecurityError"
        )
        await assert_unharmed(ws, "CP-PENDING", before)


# --- a storm ---------------------------------------------------------------------------

# (frame with {} for a unique id, whether it deserves an answer)
STORM = [
    ("not json", False),
    ('[2,"{}","Heartbeat",{{', True),
    ('{{"a":1}}', False),
    ('[2,"{}","Heartbeat"]', True),
    ('["2","{}","Heartbeat",{{}}]', True),
    ('[7,"{}","Heartbeat",{{}}]', True),
    ('[2,"{}","FooBar",{{}}]', True),
    ('[2,"{}","Reset",{{"type":"Hard"}}]', True),
    ('[2,"{}","StartTransaction",' + json.dumps(START_WITHOUT_METER).replace("{", "{{").replace("}", "}}") + "]", True),
    ('[2,"{}","StatusNotification",{{"connectorId":1,"errorCode":"Error","status":"Faulted"}}]', True),
    ('[2,"{}","MeterValues",' + json.dumps(meter_values("NaN")).replace("{", "{{").replace("}", "}}") + "]", True),
    ('[3,"{}",{{}}]', False),
    ('[4,"{}","GenericError","",{{}}]', False),
    ("[]", False),
    ("", False),
]


async def test_storm_of_bad_frames_leaves_the_server_serving(server, make_station, make_id_tag):
    await make_id_tag("RFID-1")
    ws, before = await connect(server, make_station, "CP-STORM")
    async with ws:
        expected = set()
        for n in range(200):
            template, answered = STORM[n % len(STORM)]
            await ws.send(template.format(f"storm-{n}"))
            if answered:
                expected.add(f"storm-{n}")
        await ws.send(json.dumps([2, "storm-end", "Heartbeat", {}]))
        replies = []
        while not replies or replies[-1][1] != "storm-end":
            replies.append(await answer(ws))
        assert {r[1] for r in replies[:-1]} == expected and len(replies) - 1 == len(expected)
        assert all(r[0] == 4 for r in replies[:-1]) and replies[-1][0] == 3
        await assert_unharmed(ws, "CP-STORM", before)

    await make_station("CP-CALM")
    async with open_socket(server, "CP-CALM") as calm:
        assert (await call(calm, "BootNotification", {"chargePointVendor": "Alfen", "chargePointModel": "Eve"}))[2][
            "status"
        ] == "Accepted"
        assert (await call(calm, "StatusNotification", STATUS))[2] == {}
        assert (await call(calm, "Authorize", {"idTag": "RFID-1"}))[2]["idTagInfo"]["status"] == "Accepted"
        transaction_id = (await call(calm, "StartTransaction", START))[2]["transactionId"]
        assert (await call(calm, "MeterValues", {**meter_values("7400"), "transactionId": transaction_id}))[2] == {}
        stop = {
            "transactionId": transaction_id,
            "meterStop": 5000,
            "timestamp": "2026-11-21T11:00:00Z",
            "idTag": "RFID-1",
        }
        assert (await call(calm, "StopTransaction", stop))[2]["idTagInfo"]["status"] == "Accepted"
    tx = await sync_to_async(Transaction.objects.get)(pk=transaction_id)
    assert tx.station_id != before["station"]["id"]
    assert (tx.status, tx.energy_wh, tx.last_power_w) == ("completed", 4000, 7400)
    assert await sync_to_async(MeterValue.objects.filter(transaction=tx).count)() == 2


# --- the message log -------------------------------------------------------------------

# Frames a database cannot log as sent, and the answer each gets: (text, answer's unique id, code or None for a CALLRESULT)
POISON = [
    ('[2,"\\u0000","Heartbeat",{}]', "\x00", None),  # an escaped NUL in the id: echoed back as sent
    ('[2,"raw-nul","DataTransfer",{"vendorId":"a\x00b"}]', "raw-nul", "FormationViolation"),  # a raw NUL is not JSON
    ('[-1,"type-below-0","Heartbeat",{}]', "type-below-0", "FormationViolation"),
    ('[40000,"type-above-32767","Heartbeat",{}]', "type-above-32767", "FormationViolation"),
]


async def test_poisonous_frames_cost_no_other_stations_log(server, make_station):
    await make_station("CP-POISON")
    await make_station("CP-NEIGHBOUR")
    async with open_socket(server, "CP-POISON") as poison, open_socket(server, "CP-NEIGHBOUR") as neighbour:
        for n in range(80):
            assert (await call(neighbour, "Heartbeat", {}, unique_id=f"n-{n}"))[0] == 3
            if n == 40:  # in the middle of the neighbour's frames, so in a batch with some of them
                for text, unique_id, code in POISON:
                    await poison.send(text)
                    reply = await answer(poison)
                    assert reply[:2] == [3 if code is None else 4, unique_id], reply
                    assert code is None or reply[2] == code, reply

    def neighbour_rows() -> int:
        return OcppMessage.objects.filter(charge_point_id="CP-NEIGHBOUR").count() == 160 and 160

    def poison_rows() -> list[OcppMessage]:
        rows = list(OcppMessage.objects.filter(charge_point_id="CP-POISON", direction="in").order_by("id"))
        return len(rows) == len(POISON) and rows

    assert await eventually(neighbour_rows)  # all 80 CALLs and their 80 answers
    rows = await eventually(poison_rows)
    assert [row.payload for row in rows] == [text.replace("\x00", "\u2400") for text, _, _ in POISON]
    assert [row.unique_id for row in rows] == ["\u2400", "raw-nul", "type-below-0", "type-above-32767"]
    assert [row.message_type for row in rows] == [2, 2, None, None]  # impossible types: the text keeps them
