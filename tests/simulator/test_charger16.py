"""The charger simulator against bench/bare_csms.py: no Django, no database.

    make test PYTEST_ARGS=tests/simulator/test_charger16.py

The session and outage tests talk to bare_csms.py started as a subprocess,
exactly as the bench uses it.  The CSMS-initiated calls run the same
central system in-process, so a test can send calls through it; the
`ocpp` library on that side validates every answer against the OCPP 1.6
schemas.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ocpp.exceptions import NotSupportedError
from ocpp.routing import on
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action

from simulator import ChargerOptions, SimulatedCharger
from tests.simulator.bare_support import bare_server, free_port, load_script, run, wait_until

ROOT = Path(__file__).resolve().parents[2]
BARE_CSMS = ROOT / "bench" / "bare_csms.py"
MEASURANDS = {"Energy.Active.Import.Register", "Power.Active.Import", "SoC", "Voltage", "Current.Import"}
# Short meter interval plus speedup: a few samples a second, each worth a minute of charging.
FAST = {"meter_interval": 0.1, "speedup": 600.0, "step_delay": 0.01}


bare_csms = load_script(BARE_CSMS)


@pytest.fixture(scope="module")
def bare_url() -> Iterator[str]:
    with bare_server(BARE_CSMS) as url:
        yield url


@contextlib.asynccontextmanager
async def in_process_bare() -> AsyncIterator[tuple[Any, str]]:
    central = bare_csms.BareCentralSystem(heartbeat_interval=300)
    port = free_port()
    async with central.serve("127.0.0.1", port):
        yield central, f"ws://127.0.0.1:{port}/ocpp"


def sent_actions(charger: SimulatedCharger, since: int = 0) -> list[str]:
    """The actions of the CALLs sent from frame `since` on; Heartbeats, which come whenever, left out."""
    frames = list(charger.frames)[since:]
    return [f.action for f in frames if f.direction == "sent" and f.action not in (None, "Heartbeat")]


def statuses(charger: SimulatedCharger, connector_id: int) -> list[str]:
    return [
        ex.request.payload["status"]
        for ex in charger.exchanges("StatusNotification")
        if ex.request.payload["connectorId"] == connector_id
    ]


def sampled(meter_value: dict, measurand: str) -> dict:
    return next(v for v in meter_value["sampledValue"] if v["measurand"] == measurand)


# ------------------------------------------------------------------ sessions


def test_complete_sessions_on_several_chargers(bare_url: str) -> None:
    async def scenario() -> list[tuple[SimulatedCharger, Any]]:
        chargers = [
            SimulatedCharger(f"TEST-{n}", bare_url, ChargerOptions(connectors=2, password="secret", **FAST))
            for n in range(3)
        ]
        await asyncio.gather(*(c.connect() for c in chargers))
        await asyncio.gather(*(c.boot() for c in chargers))
        sessions = await asyncio.gather(*(c.start_session(1, "TAG-1") for c in chargers))
        await asyncio.sleep(1.2)  # past the 1 s heartbeat interval, ~10 meter samples
        await asyncio.gather(*(c.stop_session(1) for c in chargers))
        await asyncio.gather(*(c.close() for c in chargers))
        return list(zip(chargers, sessions))

    results = run(scenario())

    transaction_ids = {session.transaction_id for _, session in results}
    assert len(transaction_ids) == 3 and all(isinstance(tx, int) for tx in transaction_ids)
    for charger, session in results:
        assert charger.exchanges() and all(ex.answered_ok for ex in charger.exchanges())
        boot = charger.exchanges("BootNotification")[0]
        assert boot.response.payload["status"] == "Accepted"
        assert {
            "chargePointVendor",
            "chargePointModel",
            "chargePointSerialNumber",
            "firmwareVersion",
            "iccid",
            "imsi",
            "meterType",
        } <= boot.request.payload.keys()
        assert statuses(charger, 0) == ["Available"]
        assert statuses(charger, 2) == ["Available"]
        assert statuses(charger, 1) == ["Available", "Preparing", "Charging", "Finishing", "Available"]
        assert charger.exchanges("Authorize")[0].response.payload["idTagInfo"]["status"] == "Accepted"
        assert charger.exchanges("Heartbeat")[0].response.payload["currentTime"]

        start = charger.exchanges("StartTransaction")[0]
        assert start.request.payload["connectorId"] == 1 and start.request.payload["idTag"] == "TAG-1"
        assert start.response.payload["transactionId"] == session.transaction_id

        meter_values = charger.exchanges("MeterValues")
        assert len(meter_values) >= 3
        energies = []
        for ex in meter_values:
            assert ex.request.payload["transactionId"] == session.transaction_id
            (value,) = ex.request.payload["meterValue"]
            assert {v["measurand"] for v in value["sampledValue"]} == MEASURANDS
            energy = sampled(value, "Energy.Active.Import.Register")
            assert energy["unit"] == "Wh"
            energies.append(int(energy["value"]))
            soc = sampled(value, "SoC")
            assert (soc["unit"], soc["context"], soc["location"]) == ("Percent", "Sample.Periodic", "EV")
            assert sampled(value, "Voltage")["phase"] == sampled(value, "Current.Import")["phase"] == "L1"
        assert energies == sorted(energies) and energies[-1] > energies[0]

        stop = charger.exchanges("StopTransaction")[0].request.payload
        assert stop["transactionId"] == session.transaction_id
        assert stop["reason"] == "Local" and stop["idTag"] == "TAG-1"
        assert stop["meterStop"] == session.meter_stop_wh >= energies[-1] > session.meter_start_wh
        contexts = [mv["sampledValue"][0]["context"] for mv in stop["transactionData"]]
        assert contexts == ["Transaction.Begin", "Transaction.End"]


def test_outage_queues_transaction_messages_and_flushes_them_in_order(bare_url: str) -> None:
    async def scenario() -> tuple[SimulatedCharger, Any, int, int]:
        charger = SimulatedCharger("TEST-OUTAGE", bare_url, ChargerOptions(**FAST))
        await charger.connect()
        await charger.boot()
        session = await charger.start_session()
        await asyncio.sleep(0.25)
        await charger.drop_link()
        frames_at_drop = len(charger.frames)
        await asyncio.sleep(0.35)
        await charger.stop_session(reason="EVDisconnected")
        assert not charger.connected and len(charger.frames) == frames_at_drop, "nothing goes out while offline"
        queued = charger.pending_messages
        await charger.reconnect()
        await charger.close()
        return charger, session, frames_at_drop, queued

    charger, session, frames_at_drop, queued = run(scenario())

    assert len(session.offline_samples) >= 2
    assert queued == len(session.offline_samples) + 1  # their MeterValues, then StopTransaction
    assert charger.pending_messages == 0 and charger.connect_count == 2
    assert sent_actions(charger, frames_at_drop) == (
        ["MeterValues"] * len(session.offline_samples) + ["StopTransaction"] + ["StatusNotification"] * 2
    )
    assert all(ex.answered_ok for ex in charger.exchanges())
    stop = charger.exchanges("StopTransaction")[0].request.payload
    assert stop["transactionId"] == session.transaction_id and stop["reason"] == "EVDisconnected"
    assert len(stop["transactionData"]) == len(session.offline_samples) + 2
    assert [s["status"] for s in (ex.request.payload for ex in charger.exchanges("StatusNotification"))][-2:] == [
        "Available",
        "Available",
    ]


def test_transaction_started_offline_gets_its_id_after_reconnect(bare_url: str) -> None:
    async def scenario() -> tuple[SimulatedCharger, Any, int]:
        charger = SimulatedCharger("TEST-OFFLINE-START", bare_url, ChargerOptions(**FAST))
        await charger.connect()
        await charger.boot()
        await charger.drop_link()
        frames_at_drop = len(charger.frames)
        session = await charger.start_session(authorize=True)  # authorized locally while offline
        assert session.transaction_id is None
        await asyncio.sleep(0.25)
        await charger.stop_session()
        await charger.reconnect(downtime=0.05)
        await charger.close()
        return charger, session, frames_at_drop

    charger, session, frames_at_drop = run(scenario())

    actions = sent_actions(charger, frames_at_drop)
    assert actions[0] == "StartTransaction" and actions[-3] == "StopTransaction"
    assert "Authorize" not in actions
    assert isinstance(session.transaction_id, int)
    for ex in charger.exchanges("MeterValues") + charger.exchanges("StopTransaction"):
        assert ex.request.payload["transactionId"] == session.transaction_id
        assert ex.answered_ok


# ------------------------------------------------------ CSMS-initiated calls


def test_answers_csms_initiated_calls_like_a_charger() -> None:
    async def scenario() -> None:
        async with in_process_bare() as (central, url):
            charger = SimulatedCharger("TEST-CALLS", url, ChargerOptions(connectors=2, **FAST))
            await charger.connect()
            await charger.boot()
            csms = central.charge_points["TEST-CALLS"]

            config = await csms.call(call.GetConfiguration(key=["NumberOfConnectors", "HeartbeatInterval", "Nope"]))
            by_key = {entry["key"]: entry for entry in config.configuration_key}
            assert by_key["NumberOfConnectors"] == {"key": "NumberOfConnectors", "readonly": True, "value": "2"}
            assert by_key["HeartbeatInterval"]["value"] == "300" and config.unknown_key == ["Nope"]
            assert (await csms.call(call.ChangeConfiguration("NumberOfConnectors", "4"))).status == "Rejected"
            assert (await csms.call(call.ChangeConfiguration("MeterValueSampleInterval", "abc"))).status == "Rejected"
            assert (await csms.call(call.ChangeConfiguration("Unknown", "1"))).status == "NotSupported"
            assert (await csms.call(call.ChangeConfiguration("HeartbeatInterval", "120"))).status == "Accepted"
            assert charger.configuration["HeartbeatInterval"].value == "120"

            assert (await csms.call(call.RemoteStartTransaction(id_tag="REMOTE", connector_id=2))).status == "Accepted"
            await wait_until(lambda: charger.connectors[2].session and charger.connectors[2].session.transaction_id)
            transaction_id = charger.connectors[2].session.transaction_id
            assert (await csms.call(call.RemoteStartTransaction(id_tag="X", connector_id=2))).status == "Rejected"
            assert (await csms.call(call.RemoteStopTransaction(transaction_id + 1000))).status == "Rejected"
            assert (await csms.call(call.RemoteStopTransaction(transaction_id))).status == "Accepted"
            await wait_until(lambda: charger.connectors[2].session is None)
            assert charger.completed_sessions[-1].stop_reason == "Remote"

            assert (await csms.call(call.ChangeAvailability(1, "Inoperative"))).status == "Accepted"
            await wait_until(lambda: statuses(charger, 1)[-1:] == ["Unavailable"])
            assert (await csms.call(call.RemoteStartTransaction(id_tag="X", connector_id=1))).status == "Rejected"
            assert (await csms.call(call.ChangeAvailability(1, "Operative"))).status == "Accepted"
            await wait_until(lambda: statuses(charger, 1)[-1:] == ["Available"])

            assert (await csms.call(call.TriggerMessage("MeterValues", connector_id=1))).status == "Accepted"
            await wait_until(lambda: len(charger.exchanges("MeterValues")) > 0)
            assert (await csms.call(call.TriggerMessage("Heartbeat"))).status == "Accepted"
            await wait_until(lambda: len(charger.exchanges("Heartbeat")) == 1)
            assert (await csms.call(call.UnlockConnector(1))).status == "Unlocked"
            assert (await csms.call(call.UnlockConnector(9))).status == "NotSupported"
            assert (await csms.call(call.ClearCache())).status == "Accepted"
            echoed = await csms.call(call.DataTransfer(vendor_id="Voltstack", message_id="ping", data="42"))
            assert (echoed.status, echoed.data) == ("Accepted", "42")

            await charger.start_session(1)
            profile = {
                "chargingProfileId": 7,
                "stackLevel": 1,
                "chargingProfilePurpose": "TxProfile",
                "chargingProfileKind": "Relative",
                "chargingSchedule": {
                    "chargingRateUnit": "A",
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10.0}],
                },
            }
            assert (await csms.call(call.SetChargingProfile(1, profile))).status == "Accepted"
            assert charger.connectors[1].meter.power_w == pytest.approx(10.0 * 230 * 3)
            composite = await csms.call(call.GetCompositeSchedule(1, 3600, "A"))
            assert composite.status == "Accepted"
            assert float(composite.charging_schedule["charging_schedule_period"][0]["limit"]) == 10.0
            assert (await csms.call(call.ClearChargingProfile(id=7))).status == "Accepted"
            assert (await csms.call(call.ClearChargingProfile(id=7))).status == "Unknown"
            assert charger.connectors[1].meter.power_w == 11_000.0
            await charger.stop_session(1)

            expiry = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
            assert (await csms.call(call.ReserveNow(1, expiry, "RES-TAG", 5))).status == "Accepted"
            await wait_until(lambda: statuses(charger, 1)[-1:] == ["Reserved"])
            assert (await csms.call(call.ReserveNow(1, expiry, "OTHER", 6))).status == "Occupied"
            assert (await csms.call(call.CancelReservation(5))).status == "Accepted"
            assert (await csms.call(call.CancelReservation(5))).status == "Rejected"

            local_list = [{"idTag": "LOCAL-1", "idTagInfo": {"status": "Accepted"}}]
            assert (await csms.call(call.SendLocalList(3, "Full", local_list))).status == "Accepted"
            assert (await csms.call(call.GetLocalListVersion())).list_version == 3
            assert (await csms.call(call.SendLocalList(2, "Differential", []))).status == "VersionMismatch"

            now = datetime.now(UTC).isoformat()
            await csms.call(call.UpdateFirmware(location="https://example.invalid/fw.bin", retrieve_date=now))
            await wait_until(lambda: charger.firmware_status == "Installed")
            diagnostics = await csms.call(call.GetDiagnostics(location="ftp://example.invalid/"))
            assert diagnostics.file_name.startswith("diagnostics-TEST-CALLS")
            await wait_until(lambda: charger.diagnostics_status == "Uploaded")
            notified = [ex.request.payload["status"] for ex in charger.exchanges("FirmwareStatusNotification")]
            assert notified == ["Downloading", "Downloaded", "Installing", "Installed"]

            assert (await csms.call(call.Reset("Soft"))).status == "Accepted"
            await wait_until(lambda: charger.connect_count == 2 and charger.online)
            assert len(charger.exchanges("BootNotification")) == 2
            await wait_until(lambda: central.charge_points.get("TEST-CALLS") not in (None, csms))
            assert all(ex.answered_ok for ex in charger.exchanges(incoming=True))
            await charger.close()

    run(scenario())


def test_pending_boot_waits_and_a_trigger_cuts_the_wait_short(monkeypatch: pytest.MonkeyPatch) -> None:
    class PendingFirst(bare_csms.BareChargePoint):
        boots = 0

        @on(Action.boot_notification)
        def on_boot_notification(self, **_: Any) -> call_result.BootNotification:
            self.boots += 1
            status = "Pending" if self.boots == 1 else "Accepted"
            now = datetime.now(UTC).isoformat()
            return call_result.BootNotification(current_time=now, interval=30, status=status)

    monkeypatch.setattr(bare_csms, "BareChargePoint", PendingFirst)

    async def scenario() -> None:
        async with in_process_bare() as (central, url):
            charger = SimulatedCharger("TEST-PENDING", url, ChargerOptions())
            await charger.connect()
            boot = asyncio.create_task(charger.boot())
            await wait_until(lambda: charger.registration == "Pending")
            session = asyncio.create_task(charger.start_session())  # allowed, but must wait for Accepted
            await asyncio.sleep(0.1)
            assert sent_actions(charger) == ["BootNotification"]
            csms = central.charge_points["TEST-PENDING"]
            assert (await csms.call(call.TriggerMessage("BootNotification"))).status == "Accepted"
            assert (await asyncio.wait_for(boot, 5)).status == "Accepted"  # not after the 30 s interval
            await session
            actions = sent_actions(charger)
            assert actions[:2] == ["BootNotification", "BootNotification"]
            assert actions.index("StartTransaction") > 1
            await charger.close()

    run(scenario())


def test_can_be_told_to_reject_or_ignore_an_action() -> None:
    answers = {"UnlockConnector": "reject", "GetConfiguration": "reject", "ClearCache": "ignore"}

    async def scenario() -> None:
        async with in_process_bare() as (central, url):
            charger = SimulatedCharger("TEST-STUBBORN", url, ChargerOptions(answers=answers))
            await charger.connect()
            await charger.boot()
            csms = central.charge_points["TEST-STUBBORN"]
            assert (await csms.call(call.UnlockConnector(1))).status == "UnlockFailed"
            with pytest.raises(NotSupportedError):
                await csms.call(call.GetConfiguration(), suppress=False)
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(csms.call(call.ClearCache()), 0.5)
            assert [ex.response for ex in charger.exchanges("ClearCache", incoming=True)] == [None]
            assert (await csms.call(call.ChangeConfiguration("HeartbeatInterval", "60"))).status == "Accepted"
            await charger.close()

    run(scenario())
