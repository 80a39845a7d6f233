"""The OCPP 2.0.1 station simulator against bench/bare_csms201.py: no Django, no database.

    .venv/bin/python -m csms.embedded -- .venv/bin/python -m pytest tests/simulator/test_charger201.py -q

The transaction and outage tests talk to bare_csms201.py started as a
subprocess.  The CSMS-initiated calls run the same central system
in-process so a test can send calls through it; the `ocpp` library on that
side validates every answer against the 2.0.1 schemas, and every test
checks each frame the station sent against them once more.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ocpp.exceptions import NotSupportedError
from ocpp.messages import MessageType, get_validator
from ocpp.routing import on
from ocpp.v201 import call, call_result

from simulator import ChargerOptions201, SimulatedCharger201
from tests.simulator.bare_support import bare_server, free_port, load_script, run, wait_until

ROOT = Path(__file__).resolve().parents[2]
BARE_CSMS = ROOT / "bench" / "bare_csms201.py"
MEASURANDS = {"Energy.Active.Import.Register", "Power.Active.Import", "SoC", "Voltage", "Current.Import"}
ENERGY = "Energy.Active.Import.Register"
# Short meter interval plus speedup: several samples a second, each worth a minute of charging.
FAST = {"meter_interval": 0.1, "speedup": 600.0, "step_delay": 0.01}


bare_csms = load_script(BARE_CSMS)


@pytest.fixture(scope="module")
def bare_url() -> Iterator[str]:
    with bare_server(BARE_CSMS) as url:
        yield url


@contextlib.asynccontextmanager
async def in_process_station(
    charge_point_id: str, **options: Any
) -> AsyncIterator[tuple[SimulatedCharger201, Any, Any]]:
    """A booted station with two EVSEs on an in-process bare CSMS: (station, its CSMS-side peer, the CSMS)."""
    central = bare_csms.BareCentralSystem201(heartbeat_interval=300)
    port = free_port()
    async with central.serve("127.0.0.1", port):
        station = SimulatedCharger201(
            charge_point_id, f"ws://127.0.0.1:{port}/ocpp", ChargerOptions201(**{"connectors": 2, **FAST, **options})
        )
        await station.connect()
        await station.boot()
        try:
            yield station, central.charge_points[charge_point_id], central
        finally:
            await station.close()
        assert_schema_valid(station)


async def ask(csms: Any, payload: Any) -> Any:
    """A CSMS-initiated call; a CALLERROR raises, and the library checks the answer against the schema."""
    return await csms.call(payload, suppress=False)


def assert_schema_valid(station: SimulatedCharger201) -> None:
    """Every CALL and CALLRESULT the station sent satisfies the OCPP 2.0.1 JSON schemas."""
    frames = list(station.frames)
    incoming = {f.unique_id: f.action for f in frames if f.direction == "received" and f.action is not None}
    for frame in frames:
        if frame.direction != "sent" or frame.message_type == MessageType.CallError:
            continue
        action = frame.action if frame.message_type == MessageType.Call else incoming[frame.unique_id]
        get_validator(frame.message_type, action, "2.0.1").validate(frame.payload)


def sent_actions(station: SimulatedCharger201, since: int = 0) -> list[str]:
    """The actions of the CALLs sent from frame `since` on; Heartbeats, which come whenever, left out."""
    frames = list(station.frames)[since:]
    return [f.action for f in frames if f.direction == "sent" and f.action not in (None, "Heartbeat")]


def statuses(station: SimulatedCharger201, evse_id: int) -> list[str]:
    return [
        ex.request.payload["connectorStatus"]
        for ex in station.exchanges("StatusNotification")
        if ex.request.payload["evseId"] == evse_id
    ]


def events(station: SimulatedCharger201, transaction_id: str | None = None) -> list[dict]:
    """The TransactionEvent payloads sent (of one transaction), oldest first."""
    payloads = [ex.request.payload for ex in station.exchanges("TransactionEvent")]
    return [p for p in payloads if transaction_id in (None, p["transactionInfo"]["transactionId"])]


def sent_payloads(station: SimulatedCharger201, action: str) -> list[dict]:
    return [ex.request.payload for ex in station.exchanges(action)]


def report_pages(station: SimulatedCharger201, request_id: int) -> list[dict]:
    """The NotifyReport payloads answering one GetBaseReport/GetReport."""
    return [p for p in sent_payloads(station, "NotifyReport") if p["requestId"] == request_id]


def meter_values(station: SimulatedCharger201, context: str) -> list[dict]:
    """The MeterValues (outside transactions) sent with readings of this context."""
    payloads = sent_payloads(station, "MeterValues")
    return [p for p in payloads if p["meterValue"][0]["sampledValue"][0]["context"] == context]


def security_events(station: SimulatedCharger201) -> list[str]:
    return [p["type"] for p in sent_payloads(station, "SecurityEventNotification")]


def sampled(meter_value: dict, measurand: str) -> dict:
    return next(v for v in meter_value["sampledValue"] if v.get("measurand", ENERGY) == measurand)


def variable(component: str, name: str, instance: str | None = None, evse: int | None = None) -> dict:
    """A component/variable pair as a CSMS writes it in GetVariables/SetVariables."""
    comp: dict[str, Any] = {"name": component}
    if evse is not None:
        comp["evse"] = {"id": evse}
    var = {"name": name} if instance is None else {"name": name, "instance": instance}
    return {"component": comp, "variable": var}


# ---------------------------------------------------------------- transactions


def test_complete_transaction_on_two_stations(bare_url: str) -> None:
    async def scenario() -> list[tuple[SimulatedCharger201, Any]]:
        stations = [
            SimulatedCharger201(f"T201-{n}", bare_url, ChargerOptions201(connectors=2, password="secret", **FAST))
            for n in range(2)
        ]
        await asyncio.gather(*(s.connect() for s in stations))
        await asyncio.gather(*(s.boot() for s in stations))
        transactions = await asyncio.gather(*(s.start_session(1, "TAG-1") for s in stations))
        await asyncio.sleep(1.2)  # past the 1 s heartbeat interval, ~10 meter samples
        await asyncio.gather(*(s.stop_session(1) for s in stations))
        await asyncio.gather(*(s.close() for s in stations))
        return list(zip(stations, transactions))

    results = run(scenario())

    assert len({tx.transaction_id for _, tx in results}) == 2
    for station, tx in results:
        assert_schema_valid(station)
        assert station.exchanges() and all(ex.answered_ok for ex in station.exchanges())
        boot = station.exchanges("BootNotification")[0]
        assert boot.response.payload["status"] == "Accepted"
        assert boot.request.payload == {
            "chargingStation": {
                "model": "SimCharger201",
                "vendorName": "Voltstack",
                "serialNumber": f"SN-{station.id}",
                "firmwareVersion": "sim-1.0.0",
                "modem": {"iccid": "89310410106543789301", "imsi": "204043212345678"},
            },
            "reason": "PowerUp",
        }
        assert statuses(station, 1) == ["Available", "Occupied", "Available"]
        assert statuses(station, 2) == ["Available"]
        assert {p["connectorId"] for p in sent_payloads(station, "StatusNotification")} == {1}
        authorize = station.exchanges("Authorize")[0]
        assert authorize.request.payload == {"idToken": {"idToken": "TAG-1", "type": "ISO14443"}}
        assert authorize.response.payload["idTokenInfo"]["status"] == "Accepted"
        assert station.exchanges("Heartbeat")[0].response.payload["currentTime"]
        assert sent_actions(station).index("Authorize") < sent_actions(station).index("TransactionEvent")

        tx_events = events(station)
        assert [e["seqNo"] for e in tx_events] == list(range(len(tx_events)))
        assert {e["transactionInfo"]["transactionId"] for e in tx_events} == {tx.transaction_id}
        assert str(uuid.UUID(tx.transaction_id)) == tx.transaction_id
        assert not any("offline" in e for e in tx_events)
        started, *updated, ended = tx_events
        assert len(updated) >= 3

        assert (started["eventType"], started["triggerReason"]) == ("Started", "Authorized")
        assert started["evse"] == {"id": 1, "connectorId": 1}
        assert started["idToken"] == {"idToken": "TAG-1", "type": "ISO14443"}
        assert started["transactionInfo"]["chargingState"] == "Charging"
        begin = sampled(started["meterValue"][0], ENERGY)
        assert (begin["context"], begin["unitOfMeasure"]["unit"]) == ("Transaction.Begin", "Wh")
        assert begin["value"] == tx.meter_start_wh

        energies = []
        for event in updated:
            assert (event["eventType"], event["triggerReason"]) == ("Updated", "MeterValuePeriodic")
            assert "chargingState" not in event["transactionInfo"]  # only sent when it changes
            (value,) = event["meterValue"]
            assert {v["measurand"] for v in value["sampledValue"]} == MEASURANDS
            assert all(isinstance(v["value"], (int, float)) for v in value["sampledValue"])
            energies.append(sampled(value, ENERGY)["value"])
            soc = sampled(value, "SoC")
            soc_fields = (soc["unitOfMeasure"]["unit"], soc["context"], soc["location"])
            assert soc_fields == ("Percent", "Sample.Periodic", "EV")
            assert sampled(value, "Power.Active.Import")["value"] == pytest.approx(11_000.0)
            assert 225 < sampled(value, "Voltage")["value"] < 235
            assert sampled(value, "Current.Import")["unitOfMeasure"]["unit"] == "A"
        assert energies == sorted(energies) and energies[-1] > energies[0] > begin["value"]

        assert (ended["eventType"], ended["triggerReason"]) == ("Ended", "StopAuthorized")
        assert ended["transactionInfo"]["stoppedReason"] == "Local"
        assert ended["transactionInfo"]["chargingState"] == "EVConnected"
        assert ended["idToken"]["idToken"] == "TAG-1"
        end = sampled(ended["meterValue"][0], ENERGY)
        assert end["context"] == "Transaction.End"
        assert end["value"] == tx.meter_stop_wh >= energies[-1]


def test_outage_queues_transaction_events_and_flushes_them_in_order(bare_url: str) -> None:
    async def scenario() -> tuple[SimulatedCharger201, Any, int, int]:
        station = SimulatedCharger201("T201-OUTAGE", bare_url, ChargerOptions201(**FAST))
        await station.connect()
        await station.boot()
        tx = await station.start_session()
        await asyncio.sleep(0.25)
        await station.drop_link()
        frames_at_drop = len(station.frames)
        await asyncio.sleep(0.35)
        await station.stop_session(reason="EVDisconnected")
        assert not station.connected and len(station.frames) == frames_at_drop, "nothing goes out while offline"
        queued = station.pending_messages
        await station.reconnect()
        await station.close()
        return station, tx, frames_at_drop, queued

    station, tx, frames_at_drop, queued = run(scenario())

    assert_schema_valid(station)
    assert queued >= 3 and station.pending_messages == 0 and station.connect_count == 2
    assert sent_actions(station, frames_at_drop) == ["TransactionEvent"] * queued + ["StatusNotification"]
    assert all(ex.answered_ok for ex in station.exchanges())
    tx_events = events(station, tx.transaction_id)
    assert [e["seqNo"] for e in tx_events] == list(range(len(tx_events)))
    online, offline = tx_events[:-queued], tx_events[-queued:]
    assert not any("offline" in e for e in online)
    assert all(e["offline"] is True for e in offline)
    assert [e["eventType"] for e in offline] == ["Updated"] * (queued - 1) + ["Ended"]
    ended = offline[-1]
    assert ended["triggerReason"] == "EVCommunicationLost"
    assert ended["transactionInfo"]["stoppedReason"] == "EVDisconnected"
    assert ended["transactionInfo"]["chargingState"] == "Idle"
    assert statuses(station, 1)[-1] == "Available"


def test_transaction_started_offline_is_reported_after_reconnect(bare_url: str) -> None:
    """The station names its transactions, so one can run start to end without the CSMS."""

    async def scenario() -> tuple[SimulatedCharger201, Any, int]:
        station = SimulatedCharger201("T201-OFFLINE-START", bare_url, ChargerOptions201(**FAST))
        await station.connect()
        await station.boot()
        await station.drop_link()
        frames_at_drop = len(station.frames)
        tx = await station.start_session()  # authorized offline: OfflineTxForUnknownIdEnabled
        await asyncio.sleep(0.25)
        await station.stop_session()
        await station.reconnect(downtime=0.05)
        await station.close()
        return station, tx, frames_at_drop

    station, tx, frames_at_drop = run(scenario())

    assert_schema_valid(station)
    actions = sent_actions(station, frames_at_drop)
    assert "Authorize" not in actions and actions[-1] == "StatusNotification"
    tx_events = events(station, tx.transaction_id)
    assert [e["eventType"] for e in (tx_events[0], tx_events[-1])] == ["Started", "Ended"]
    assert [e["seqNo"] for e in tx_events] == list(range(len(tx_events)))
    assert all(e["offline"] is True for e in tx_events)
    assert all(ex.answered_ok for ex in station.exchanges("TransactionEvent"))


def test_tx_start_point_ev_connected_starts_at_plug_in(bare_url: str) -> None:
    async def scenario() -> SimulatedCharger201:
        options = ChargerOptions201(config_overrides={"TxCtrlr.TxStartPoint": "EVConnected"}, **FAST)
        station = SimulatedCharger201("T201-PLUG-FIRST", bare_url, options)
        await station.connect()
        await station.boot()
        await station.start_session(1, "TAG-P")
        await station.stop_session(1, reason="EVDisconnected")
        await station.close()
        return station

    station = run(scenario())

    assert_schema_valid(station)
    assert sent_actions(station)[:6] == [
        "BootNotification",
        "StatusNotification",
        "StatusNotification",
        "TransactionEvent",
        "Authorize",
        "TransactionEvent",
    ]
    started, authorized = events(station)[:2]
    assert started["triggerReason"] == "CablePluggedIn" and "idToken" not in started
    assert started["transactionInfo"]["chargingState"] == "EVConnected"
    assert (authorized["eventType"], authorized["triggerReason"]) == ("Updated", "Authorized")
    assert authorized["idToken"]["idToken"] == "TAG-P"
    assert authorized["transactionInfo"]["chargingState"] == "Charging"


# ------------------------------------------------------- CSMS-initiated calls


def test_remote_start_stop_and_reset() -> None:
    async def scenario() -> None:
        async with in_process_station("T201-REMOTE") as (station, csms, central):
            token = {"idToken": "REMOTE", "type": "Central"}
            answer = await ask(csms, call.RequestStartTransaction(id_token=token, remote_start_id=42, evse_id=2))
            assert answer.status == "Accepted"
            await wait_until(lambda: station.evses[2].running and events(station))  # Started is out
            tx = station.evses[2].transaction
            started = events(station)[0]
            assert (started["eventType"], started["triggerReason"]) == ("Started", "RemoteStart")
            assert started["transactionInfo"]["remoteStartId"] == 42
            assert started["idToken"] == token and started["evse"] == {"id": 2, "connectorId": 1}
            assert "Authorize" not in sent_actions(station)  # AuthCtrlr.AuthorizeRemoteStart is false
            again = await ask(csms, call.RequestStartTransaction(id_token=token, remote_start_id=43, evse_id=2))
            assert again.status == "Rejected"

            status = await ask(csms, call.GetTransactionStatus(transaction_id=tx.transaction_id))
            assert (status.messages_in_queue, status.ongoing_indicator) == (False, True)
            assert (await ask(csms, call.RequestStopTransaction("no-such-tx"))).status == "Rejected"
            assert (await ask(csms, call.RequestStopTransaction(tx.transaction_id))).status == "Accepted"
            await wait_until(lambda: station.evses[2].transaction is None)
            ended = events(station, tx.transaction_id)[-1]
            assert (ended["eventType"], ended["triggerReason"]) == ("Ended", "RemoteStop")
            assert ended["transactionInfo"]["stoppedReason"] == "Remote"
            assert statuses(station, 2)[-2:] == ["Occupied", "Available"]

            await station.start_session(1)
            assert (await ask(csms, call.Reset(type="OnIdle"))).status == "Scheduled"
            assert station.connect_count == 1
            await station.stop_session(1)  # the last transaction ends: now the reset happens
            await wait_until(lambda: station.connect_count == 2 and station.online)
            assert security_events(station) == ["ResetOrReboot"]
            await wait_until(lambda: central.charge_points.get("T201-REMOTE") not in (None, csms))
            csms = central.charge_points["T201-REMOTE"]  # the new connection's peer

            assert (await ask(csms, call.Reset(type="Immediate", evse_id=1))).status == "Rejected"
            await station.start_session(2)
            assert (await ask(csms, call.Reset(type="Immediate"))).status == "Accepted"
            await wait_until(lambda: station.connect_count == 3 and station.online)
            boots = sent_payloads(station, "BootNotification")
            assert [b["reason"] for b in boots] == ["PowerUp", "RemoteReset", "RemoteReset"]
            ended = events(station)[-1]
            assert (ended["triggerReason"], ended["transactionInfo"]["stoppedReason"]) == (
                "ResetCommand",
                "ImmediateReset",
            )
            assert all(ex.answered_ok for ex in station.exchanges(incoming=True))

    run(scenario())


def test_availability_unlock_and_faults() -> None:
    async def scenario() -> None:
        async with in_process_station("T201-AVAIL") as (station, csms, _):
            answer = await ask(csms, call.ChangeAvailability("Inoperative", evse={"id": 1}))
            assert answer.status == "Accepted"
            await wait_until(lambda: statuses(station, 1)[-1:] == ["Unavailable"])
            token = {"idToken": "X", "type": "ISO14443"}
            refused = await ask(csms, call.RequestStartTransaction(id_token=token, remote_start_id=1, evse_id=1))
            assert refused.status == "Rejected"
            assert (await ask(csms, call.ChangeAvailability("Operative", evse={"id": 1}))).status == "Accepted"
            await wait_until(lambda: statuses(station, 1)[-1:] == ["Available"])
            assert (await ask(csms, call.ChangeAvailability("Operative", evse={"id": 9}))).status == "Rejected"

            await station.start_session(2)
            assert (await ask(csms, call.ChangeAvailability("Inoperative"))).status == "Scheduled"
            await station.stop_session(2)
            await wait_until(lambda: statuses(station, 1)[-1:] == statuses(station, 2)[-1:] == ["Unavailable"])
            assert (await ask(csms, call.ChangeAvailability("Operative"))).status == "Accepted"
            await wait_until(lambda: statuses(station, 1)[-1:] == statuses(station, 2)[-1:] == ["Available"])

            assert (await ask(csms, call.UnlockConnector(evse_id=1, connector_id=1))).status == "Unlocked"
            assert (await ask(csms, call.UnlockConnector(evse_id=9, connector_id=1))).status == "UnknownConnector"
            await station.start_session(1)
            busy = await ask(csms, call.UnlockConnector(evse_id=1, connector_id=1))
            assert busy.status == "OngoingAuthorizedTransaction"

            await station.set_faulted(1, tech_info="RCD tripped")
            assert statuses(station, 1)[-2:] == ["Available", "Faulted"]
            ended = events(station)[-1]
            assert (ended["triggerReason"], ended["transactionInfo"]["stoppedReason"]) == ("AbnormalCondition", "Other")
            (problem,) = sent_payloads(station, "NotifyEvent")[0]["eventData"]
            assert (problem["component"]["name"], problem["variable"]["name"], problem["actualValue"]) == (
                "Connector",
                "Problem",
                "true",
            )
            await station.set_faulted(1, False)
            assert statuses(station, 1)[-1] == "Available"

    run(scenario())


def test_device_model_variables_and_reports() -> None:
    async def scenario() -> None:
        async with in_process_station("T201-DM") as (station, csms, _):
            wanted = [
                variable("OCPPCommCtrlr", "HeartbeatInterval"),
                variable("ChargingStation", "Model"),
                variable("SampledDataCtrlr", "TxUpdatedMeasurands"),
                variable("EVSE", "AvailabilityState", evse=2),
                variable("SecurityCtrlr", "BasicAuthPassword"),
                variable("Nope", "Nothing"),
                variable("OCPPCommCtrlr", "Nothing"),
                {**variable("OCPPCommCtrlr", "HeartbeatInterval"), "attributeType": "MaxSet"},
            ]
            got = (await ask(csms, call.GetVariables(get_variable_data=wanted))).get_variable_result
            assert [r["attribute_status"] for r in got] == [
                "Accepted",
                "Accepted",
                "Accepted",
                "Accepted",
                "Rejected",
                "UnknownComponent",
                "UnknownVariable",
                "NotSupportedAttributeType",
            ]
            assert [r.get("attribute_value") for r in got[:4]] == [
                "300",
                "SimCharger201",
                ",".join(["Energy.Active.Import.Register", "Power.Active.Import", "SoC", "Voltage", "Current.Import"]),
                "Available",
            ]

            changes = [
                {**variable("ChargingStation", "Model"), "attributeValue": "Hacked"},
                {**variable("OCPPCommCtrlr", "HeartbeatInterval"), "attributeValue": "abc"},
                {**variable("OCPPCommCtrlr", "HeartbeatInterval"), "attributeValue": "120"},
                {**variable("SampledDataCtrlr", "TxUpdatedMeasurands"), "attributeValue": f"{ENERGY},SoC"},
                {**variable("SampledDataCtrlr", "TxUpdatedMeasurands"), "attributeValue": "Temperature"},
                {**variable("Nope", "Nothing"), "attributeValue": "1"},
            ]
            set_results = (await ask(csms, call.SetVariables(set_variable_data=changes))).set_variable_result
            assert [r["attribute_status"] for r in set_results] == [
                "Rejected",
                "Rejected",
                "Accepted",
                "Accepted",
                "Rejected",
                "UnknownComponent",
            ]
            assert set_results[0]["attribute_status_info"]["reason_code"] == "ReadOnly"
            got = await ask(csms, call.GetVariables(get_variable_data=[variable("OCPPCommCtrlr", "HeartbeatInterval")]))
            assert got.get_variable_result[0]["attribute_value"] == "120"
            await station.start_session(1)
            await wait_until(lambda: len(events(station)) >= 2)
            (value,) = events(station)[1]["meterValue"]
            assert {v["measurand"] for v in value["sampledValue"]} == {"Energy.Active.Import.Register", "SoC"}
            await station.stop_session(1)

            assert (await ask(csms, call.GetBaseReport(request_id=7, report_base="FullInventory"))).status == "Accepted"
            await wait_until(lambda: any(p["tbc"] is False for p in sent_payloads(station, "NotifyReport")))
            pages = sent_payloads(station, "NotifyReport")
            assert len(pages) > 1 and [p["seqNo"] for p in pages] == list(range(len(pages)))
            assert [p["tbc"] for p in pages] == [True] * (len(pages) - 1) + [False]
            assert {p["requestId"] for p in pages} == {7}
            report = {(d["component"]["name"], d["variable"]["name"]): d for p in pages for d in p["reportData"]}
            assert sum(len(p["reportData"]) for p in pages) == len(station.device_model.variables)
            model = report[("ChargingStation", "Model")]["variableAttribute"][0]
            assert (model["value"], model["mutability"]) == ("SimCharger201", "ReadOnly")
            assert "value" not in report[("SecurityCtrlr", "BasicAuthPassword")]["variableAttribute"][0]
            assert report[("OCPPCommCtrlr", "HeartbeatInterval")]["variableCharacteristics"]["unit"] == "s"

            configuration = await ask(csms, call.GetBaseReport(request_id=8, report_base="ConfigurationInventory"))
            assert configuration.status == "Accepted"
            await wait_until(lambda: any(not p["tbc"] for p in report_pages(station, 8)))
            writable = [d for p in report_pages(station, 8) for d in p["reportData"]]
            assert writable and all(d["variableAttribute"][0]["mutability"] != "ReadOnly" for d in writable)

            only = [{"component": {"name": "OCPPCommCtrlr"}}]
            assert (await ask(csms, call.GetReport(request_id=9, component_variable=only))).status == "Accepted"
            await wait_until(lambda: report_pages(station, 9))
            (page,) = report_pages(station, 9)
            assert {d["component"]["name"] for d in page["reportData"]} == {"OCPPCommCtrlr"}
            nothing = [{"component": {"name": "Nope"}}]
            empty = await ask(csms, call.GetReport(request_id=10, component_variable=nothing))
            assert empty.status == "EmptyResultSet"

    run(scenario())


def test_smart_charging() -> None:
    profile = {
        "id": 7,
        "stackLevel": 1,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": [
            {"id": 1, "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10.0}]}
        ],
    }

    async def scenario() -> None:
        async with in_process_station("T201-SMART") as (station, csms, _):
            refused = await ask(csms, call.SetChargingProfile(evse_id=1, charging_profile=profile))
            assert (refused.status, refused.status_info["reason_code"]) == ("Rejected", "TxNotFound")
            tx = await station.start_session(1)
            assert (await ask(csms, call.SetChargingProfile(evse_id=1, charging_profile=profile))).status == "Accepted"
            assert station.evses[1].meter.power_w == pytest.approx(10.0 * 230 * 3)
            composite = await ask(csms, call.GetCompositeSchedule(duration=3600, evse_id=1, charging_rate_unit="A"))
            assert composite.status == "Accepted"
            assert composite.schedule["charging_schedule_period"][0]["limit"] == 10.0
            assert composite.schedule["evse_id"] == 1
            unknown = await ask(csms, call.GetCompositeSchedule(duration=60, evse_id=9))
            assert unknown.status == "Rejected"

            criteria = {"chargingProfilePurpose": "TxProfile"}
            reported = await ask(csms, call.GetChargingProfiles(request_id=5, charging_profile=criteria))
            assert reported.status == "Accepted"
            await wait_until(lambda: sent_payloads(station, "ReportChargingProfiles"))
            (report,) = sent_payloads(station, "ReportChargingProfiles")
            assert (report["requestId"], report["evseId"], report["chargingLimitSource"]) == (5, 1, "CSO")
            assert report["chargingProfile"] == [profile]
            none = await ask(csms, call.GetChargingProfiles(request_id=6, charging_profile={"stackLevel": 5}))
            assert none.status == "NoProfiles"

            station_max = {**profile, "id": 8, "chargingProfilePurpose": "ChargingStationMaxProfile"}
            wrong = await ask(csms, call.SetChargingProfile(evse_id=1, charging_profile=station_max))
            assert wrong.status == "Rejected"
            station_max["chargingSchedule"] = [
                {
                    **profile["chargingSchedule"][0],
                    "chargingRateUnit": "W",
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 5000.0}],
                }
            ]
            capped = await ask(csms, call.SetChargingProfile(evse_id=0, charging_profile=station_max))
            assert capped.status == "Accepted"
            assert station.evses[1].meter.power_w == pytest.approx(5000.0)

            assert (await ask(csms, call.ClearChargingProfile(charging_profile_id=8))).status == "Accepted"
            clear_tx = {"evseId": 1, "chargingProfilePurpose": "TxProfile"}
            assert (await ask(csms, call.ClearChargingProfile(charging_profile_criteria=clear_tx))).status == "Accepted"
            assert (await ask(csms, call.ClearChargingProfile(charging_profile_id=7))).status == "Unknown"
            assert station.evses[1].meter.power_w == 11_000.0
            await station.stop_session(1)
            assert tx.meter_stop_wh > tx.meter_start_wh

            remote_profile = {**profile, "id": 9}
            token = {"idToken": "R", "type": "Central"}
            started = await ask(
                csms,
                call.RequestStartTransaction(
                    id_token=token, remote_start_id=3, evse_id=2, charging_profile=remote_profile
                ),
            )
            assert started.status == "Accepted"
            await wait_until(lambda: station.evses[2].running and station.evses[2].running.authorized)
            assert station.evses[2].meter.power_w == pytest.approx(10.0 * 230 * 3)
            await station.stop_session(2)
            assert not station.profiles.installed  # a TxProfile ends with its transaction

    run(scenario())


def test_reservations_and_local_list() -> None:
    async def scenario() -> None:
        async with in_process_station("T201-RES") as (station, csms, _):
            later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
            token = {"idToken": "RES-TAG", "type": "ISO14443"}
            reserve = call.ReserveNow(id=5, expiry_date_time=later, id_token=token, evse_id=1)
            assert (await ask(csms, reserve)).status == "Accepted"
            await wait_until(lambda: statuses(station, 1)[-1:] == ["Reserved"])
            other_token = {"idToken": "O", "type": "ISO14443"}
            other = call.ReserveNow(id=6, expiry_date_time=later, id_token=other_token, evse_id=1)
            assert (await ask(csms, other)).status == "Occupied"
            assert (await ask(csms, call.CancelReservation(reservation_id=5))).status == "Accepted"
            assert (await ask(csms, call.CancelReservation(reservation_id=5))).status == "Rejected"
            await wait_until(lambda: statuses(station, 1)[-1:] == ["Available"])

            assert (await ask(csms, reserve)).status == "Accepted"
            await wait_until(lambda: statuses(station, 1)[-1:] == ["Reserved"])
            tx = await station.start_session(1, "RES-TAG")
            assert tx.reservation_id == 5 and events(station)[0]["reservationId"] == 5
            await station.stop_session(1)

            soon = (datetime.now(UTC) + timedelta(seconds=0.3)).isoformat()
            expiring = call.ReserveNow(id=9, expiry_date_time=soon, id_token=token)  # no EVSE: the first free one
            assert (await ask(csms, expiring)).status == "Accepted"
            await wait_until(lambda: sent_payloads(station, "ReservationStatusUpdate"))
            update = sent_payloads(station, "ReservationStatusUpdate")[0]
            assert update == {"reservationId": 9, "reservationUpdateStatus": "Expired"}
            await wait_until(lambda: statuses(station, 1)[-2:] == ["Reserved", "Available"])  # sent after the update

            assert (await ask(csms, reserve)).status == "Accepted"
            assert (await ask(csms, call.ChangeAvailability("Inoperative", evse={"id": 1}))).status == "Accepted"
            await wait_until(lambda: len(sent_payloads(station, "ReservationStatusUpdate")) == 2)
            assert sent_payloads(station, "ReservationStatusUpdate")[1]["reservationUpdateStatus"] == "Removed"

            entries = [{"idToken": {"idToken": "LOCAL-1", "type": "ISO14443"}, "idTokenInfo": {"status": "Accepted"}}]
            full = call.SendLocalList(version_number=3, update_type="Full", local_authorization_list=entries)
            assert (await ask(csms, full)).status == "Accepted"
            assert (await ask(csms, call.GetLocalListVersion())).version_number == 3
            stale = call.SendLocalList(version_number=2, update_type="Differential", local_authorization_list=entries)
            assert (await ask(csms, stale)).status == "VersionMismatch"
            entries_var = [variable("LocalAuthListCtrlr", "Entries")]
            got = await ask(csms, call.GetVariables(get_variable_data=entries_var))
            assert got.get_variable_result[0]["attribute_value"] == "1"

    run(scenario())


def test_triggers_firmware_logs_and_misc() -> None:
    async def scenario() -> None:
        async with in_process_station("T201-MISC") as (station, csms, _):
            trigger = call.TriggerMessage(requested_message="MeterValues", evse={"id": 1})
            assert (await ask(csms, trigger)).status == "Accepted"
            await wait_until(lambda: meter_values(station, "Trigger"))
            assert [m["evseId"] for m in sent_payloads(station, "MeterValues")] == [1]
            assert (await ask(csms, call.TriggerMessage(requested_message="Heartbeat"))).status == "Accepted"
            await wait_until(lambda: station.exchanges("Heartbeat"))
            before = len(statuses(station, 2))
            status = call.TriggerMessage(requested_message="StatusNotification", evse={"id": 2, "connectorId": 1})
            assert (await ask(csms, status)).status == "Accepted"
            await wait_until(lambda: len(statuses(station, 2)) == before + 1)
            assert (await ask(csms, call.TriggerMessage(requested_message="BootNotification"))).status == "Rejected"
            assert (await ask(csms, call.TriggerMessage(requested_message="TransactionEvent"))).status == "Rejected"
            unsupported = call.TriggerMessage(requested_message="SignChargingStationCertificate")
            assert (await ask(csms, unsupported)).status == "NotImplemented"
            await station.start_session(1)
            assert (await ask(csms, call.TriggerMessage(requested_message="TransactionEvent"))).status == "Accepted"
            await wait_until(lambda: events(station)[-1]["triggerReason"] == "Trigger")
            await station.stop_session(1)

            aligned = [{**variable("AlignedDataCtrlr", "Interval"), "attributeValue": "1"}]
            assert (await ask(csms, call.SetVariables(set_variable_data=aligned))).set_variable_result[0][
                "attribute_status"
            ] == "Accepted"
            await wait_until(lambda: len(meter_values(station, "Sample.Clock")) == 2, timeout=3)  # at the next second
            assert {m["evseId"] for m in meter_values(station, "Sample.Clock")} == {1, 2}
            station.device_model.find("AlignedDataCtrlr", "Interval").value = "0"

            assert (await ask(csms, call.ClearCache())).status == "Accepted"
            echoed = await ask(csms, call.DataTransfer(vendor_id="Voltstack", message_id="ping", data="42"))
            assert (echoed.status, echoed.data) == ("Accepted", "42")

            now = datetime.now(UTC).isoformat()
            firmware = {"location": "https://example.invalid/fw.bin", "retrieveDateTime": now}
            assert (await ask(csms, call.UpdateFirmware(request_id=11, firmware=firmware))).status == "Accepted"
            await wait_until(lambda: station.firmware_status == "Installed")
            notified = sent_payloads(station, "FirmwareStatusNotification")
            assert [n["status"] for n in notified] == ["Downloading", "Downloaded", "Installing", "Installed"]
            assert {n["requestId"] for n in notified} == {11}
            await wait_until(lambda: "FirmwareUpdated" in security_events(station))

            where = {"remoteLocation": "ftp://example.invalid/"}
            log = call.GetLog(log=where, log_type="DiagnosticsLog", request_id=12)
            answer = await ask(csms, log)
            assert answer.status == "Accepted" and answer.filename.startswith("DiagnosticsLog-T201-MISC")
            await wait_until(lambda: station.log_status == "Uploaded")
            uploads = sent_payloads(station, "LogStatusNotification")
            assert [(u["status"], u["requestId"]) for u in uploads] == [("Uploading", 12), ("Uploaded", 12)]
            assert all(ex.answered_ok for ex in station.exchanges(incoming=True))

    run(scenario())


def test_pending_boot_waits_and_a_trigger_cuts_the_wait_short(monkeypatch: pytest.MonkeyPatch) -> None:
    class PendingFirst(bare_csms.BareChargePoint201):
        boots = 0

        @on("BootNotification")
        def on_boot_notification(self, **_: Any) -> call_result.BootNotification:
            self.boots += 1
            status = "Pending" if self.boots == 1 else "Accepted"
            now = datetime.now(UTC).isoformat()
            return call_result.BootNotification(current_time=now, interval=30, status=status)

    monkeypatch.setattr(bare_csms, "BareChargePoint201", PendingFirst)

    async def scenario() -> None:
        central = bare_csms.BareCentralSystem201()
        port = free_port()
        async with central.serve("127.0.0.1", port):
            station = SimulatedCharger201("T201-PENDING", f"ws://127.0.0.1:{port}/ocpp")
            await station.connect()
            boot = asyncio.create_task(station.boot())
            await wait_until(lambda: station.registration == "Pending")
            await asyncio.sleep(0.1)
            assert sent_actions(station) == ["BootNotification"]
            csms = central.charge_points["T201-PENDING"]
            assert (await ask(csms, call.TriggerMessage(requested_message="BootNotification"))).status == "Accepted"
            assert (await asyncio.wait_for(boot, 5)).status == "Accepted"  # not after the 30 s interval
            assert [b["reason"] for b in sent_payloads(station, "BootNotification")] == ["PowerUp", "Triggered"]
            await station.close()
            assert_schema_valid(station)

    run(scenario())


def test_can_be_told_to_reject_or_ignore_an_action() -> None:
    answers = {"UnlockConnector": "reject", "GetVariables": "reject", "ClearCache": "ignore"}

    async def scenario() -> None:
        async with in_process_station("T201-STUBBORN", answers=answers) as (station, csms, _):
            assert (await ask(csms, call.UnlockConnector(evse_id=1, connector_id=1))).status == "UnlockFailed"
            with pytest.raises(NotSupportedError):
                await ask(csms, call.GetVariables(get_variable_data=[variable("ChargingStation", "Model")]))
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(csms.call(call.ClearCache()), 0.5)
            assert [ex.response for ex in station.exchanges("ClearCache", incoming=True)] == [None]
            assert (await ask(csms, call.Reset(type="OnIdle", evse_id=1))).status == "Rejected"

    run(scenario())
