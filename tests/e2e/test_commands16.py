"""The command API from another process: the test process commands a 1.6 charger connected to the server."""

import asyncio
import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from csms.ocpp import commands
from csms.ocpp.commands import LocalListEntry
from csms.ocpp.models import OcppMessage
from sessions import local_list, remote_control, reservations
from sessions.models import Reservation, Transaction
from simulator import ChargerOptions, SimulatedCharger
from stations import charging_schedules, configuration
from stations import local_list as station_local_list
from stations.models import ChargingStation, CompositeSchedule, ConfigurationKey, Connector
from stations.services.connections import change_registration
from tests.conftest import eventually
from tests.e2e.answering import AnsweringCharger
from tests.ocpp_client import STATION_PASSWORD, answer, call, open_socket

pytestmark = pytest.mark.e2e


async def online_charger(
    server, make_station, make_id_tag, charge_point_id: str, **answers
) -> tuple[ChargingStation, SimulatedCharger]:
    station = await make_station(charge_point_id, evse_count=2)
    await make_id_tag("CMD-TAG")
    charger = SimulatedCharger(
        charge_point_id,
        server.ocpp_url,
        ChargerOptions(
            password=STATION_PASSWORD,
            connectors=2,
            id_tag="CMD-TAG",
            meter_interval=0,
            speedup=600,
            step_delay=0.05,
            reconnect_delay=0.1,
            answers=answers,
        ),
    )
    await charger.connect()
    await charger.boot()

    def registered():
        """the server has the charger's socket"""
        return ChargingStation.objects.get(pk=station.pk).connection_channel

    await eventually(registered)
    return station, charger


async def reload(station: ChargingStation) -> ChargingStation:
    return await sync_to_async(ChargingStation.objects.get)(pk=station.pk)


async def test_configuration_commands_keep_what_the_charger_reports(server, make_station, make_id_tag):
    station, charger = await online_charger(server, make_station, make_id_tag, "CMD-CONF")
    answer = await configuration.get_configuration(station_id=station.pk)
    keys = await sync_to_async(
        lambda: {k.key: (k.value, k.readonly) for k in ConfigurationKey.objects.filter(station=station)}
    )()
    assert keys["HeartbeatInterval"][1] is False and keys["NumberOfConnectors"] == ("2", True)
    assert len(keys) == len(answer.data["configuration_key"])

    assert (
        await configuration.change_configuration(station_id=station.pk, key="MeterValueSampleInterval", value="15")
    ).status == "Accepted"
    assert charger.configuration["MeterValueSampleInterval"].value == "15"
    stored = await sync_to_async(ConfigurationKey.objects.get)(station=station, key="MeterValueSampleInterval")
    assert stored.value == "15"
    with pytest.raises(commands.CommandRejected) as rejected:
        await configuration.change_configuration(station_id=station.pk, key="NumberOfConnectors", value="5")
    assert rejected.value.status == "Rejected"
    await charger.close()


async def test_operational_commands_reach_the_charger(server, make_station, make_id_tag):
    station, charger = await online_charger(server, make_station, make_id_tag, "CMD-OPS")
    assert (await commands.send(station.pk, commands.UnlockConnector(evse_number=1))).status == "Unlocked"
    assert (
        await commands.send(station.pk, commands.ChangeAvailability(evse_number=2, operative=False))
    ).status == "Accepted"

    def unavailable():
        """EVSE 2 reported Unavailable"""
        return Connector.objects.get(evse__station=station, evse__number=2).status == "Unavailable"

    await eventually(unavailable)
    assert (await commands.send(station.pk, commands.ClearCache())).status == "Accepted"
    assert (
        await commands.send(station.pk, commands.DataTransfer(vendor_id="com.voltstack", message_id="Ping", data="1"))
    ).status
    assert (await commands.send(station.pk, commands.TriggerMessage(message="Heartbeat"))).status == "Accepted"

    await local_list.send_local_list(
        station_id=station.pk, version=7, entries=[LocalListEntry(id_tag="CMD-TAG", status="Accepted")]
    )
    assert (await station_local_list.get_local_list_version(station_id=station.pk)).data["list_version"] == 7
    assert (await reload(station)).local_list_version == 7

    await commands.send(
        station.pk, commands.UpdateFirmware(location="https://fw.example/1.2.bin", retrieve_at=timezone.now())
    )
    await commands.send(station.pk, commands.GetDiagnostics(location="ftp://diag.example/up"))

    def firmware_installed():
        """firmware and diagnostics progress arrived"""
        s = ChargingStation.objects.get(pk=station.pk)
        return s.firmware_status == "Installed" and s.diagnostics_status == "Uploaded"

    await eventually(firmware_installed, timeout=10)
    await charger.close()


async def test_smart_charging_and_reservation_commands(server, make_station, make_id_tag):
    station, charger = await online_charger(server, make_station, make_id_tag, "CMD-SMART")
    profile = commands.ChargingProfile(
        profile_id=11,
        stack_level=1,
        purpose="TxDefault",
        rate_unit="A",
        periods=[commands.SchedulePeriod(start_s=0, limit=16.0), commands.SchedulePeriod(start_s=3600, limit=8.0)],
    )
    assert (
        await commands.send(station.pk, commands.SetChargingProfile(evse_number=1, profile=profile))
    ).status == "Accepted"
    schedule = await charging_schedules.get_composite_schedule(
        station_id=station.pk, evse_number=1, duration_s=600, rate_unit="A"
    )
    assert schedule.status == "Accepted"
    kept = await sync_to_async(CompositeSchedule.objects.get)(station=station, evse_number=1)
    assert kept.schedule["charging_schedule_period"][0]["limit"] == 16.0
    assert (await commands.send(station.pk, commands.ClearChargingProfile(profile_id=11))).status == "Accepted"

    await reservations.reserve_now(
        station_id=station.pk, evse_number=2, id_tag="CMD-TAG", expires_at=timezone.now() + timedelta(minutes=15)
    )
    reservation = await sync_to_async(Reservation.objects.get)(station=station)
    assert (reservation.status, reservation.station_answer, reservation.evse_number) == ("accepted", "Accepted", 2)
    await reservations.cancel_reservation(station_id=station.pk, reservation_id=reservation.pk)
    assert (await sync_to_async(Reservation.objects.get)(pk=reservation.pk)).status == "cancelled"
    await charger.close()


async def test_remote_start_and_stop_and_reset(server, make_station, make_id_tag):
    station, charger = await online_charger(server, make_station, make_id_tag, "CMD-REMOTE")
    assert (
        await remote_control.remote_start(station_id=station.pk, id_tag="CMD-TAG", evse_number=1)
    ).status == "Accepted"

    def started():
        """the charger started the session it agreed to"""
        return Transaction.objects.filter(station=station, status="active").first()

    tx = await eventually(started)
    assert tx.id_tag_value == "CMD-TAG"
    assert (await remote_control.remote_stop(transaction_id=tx.pk)).status == "Accepted"

    def stopped():
        """the charger stopped it, reason Remote"""
        return Transaction.objects.filter(pk=tx.pk, status="completed", stop_reason="Remote").exists()

    await eventually(stopped)

    booted_before = (await reload(station)).last_boot_at
    assert (await commands.send(station.pk, commands.Reset(hard=True))).status == "Accepted"

    def rebooted():
        """the charger rebooted and sent a new BootNotification"""
        return ChargingStation.objects.get(pk=station.pk).last_boot_at > booted_before

    await eventually(rebooted, timeout=10)
    await charger.close()


async def test_sync_callers_use_the_same_commands(server, make_station, make_id_tag):
    station, charger = await online_charger(server, make_station, make_id_tag, "CMD-SYNC")
    answer = await sync_to_async(commands.send.sync, thread_sensitive=False)(station.pk, commands.ClearCache())
    assert answer.status == "Accepted"
    await charger.close()


async def test_failures_are_distinct(server, make_station, make_id_tag):
    offline = await make_station("CMD-OFFLINE")
    with pytest.raises(commands.StationNotConnected):
        await commands.send(offline.pk, commands.Reset())

    station, charger = await online_charger(
        server, make_station, make_id_tag, "CMD-NO", Reset="reject", ClearCache="ignore"
    )
    with pytest.raises(commands.CommandRejected) as rejected:
        await commands.send(station.pk, commands.Reset())
    assert rejected.value.status == "Rejected"
    with pytest.raises(commands.CommandTimeout):  # the test server waits 5 s for answers
        await commands.send(station.pk, commands.ClearCache())
    assert (
        await commands.send(station.pk, commands.UnlockConnector(evse_number=1))
    ).status == "Unlocked"  # the link is fine
    await charger.close()


async def test_call_error_and_late_answer(server, make_station):
    """A raw charger answers one command with a CALLERROR and another too late."""
    station = await make_station("CMD-RAW")
    async with open_socket(server, "CMD-RAW") as ws:
        await call(ws, "BootNotification", {"chargePointVendor": "Raw", "chargePointModel": "R1"})
        follow_up = await answer(ws, follow_ups=True)  # the configuration read after an Accepted boot
        assert follow_up[2] == "GetConfiguration"
        await ws.send(json.dumps([3, follow_up[1], {"configurationKey": []}]))

        pending = asyncio.ensure_future(commands.send(station.pk, commands.ClearCache()))
        request = await answer(ws)
        assert request[2] == "ClearCache"
        await ws.send(json.dumps([4, request[1], "NotSupported", "no cache here", {}]))
        with pytest.raises(commands.CommandCallError) as error:
            await pending
        assert (error.value.code, error.value.description) == ("NotSupported", "no cache here")

        late = asyncio.ensure_future(commands.send(station.pk, commands.ClearCache()))
        request = await answer(ws)
        with pytest.raises(commands.CommandTimeout):
            await late
        await ws.send(json.dumps([3, request[1], {"status": "Accepted"}]))  # too late now

        next_command = asyncio.ensure_future(commands.send(station.pk, commands.UnlockConnector(evse_number=1)))
        request = await answer(ws)
        assert request[2] == "UnlockConnector"
        await ws.send(json.dumps([3, request[1], {"status": "UnlockFailed"}]))
        with pytest.raises(commands.CommandRejected) as rejected:
            await next_command
        assert rejected.value.status == "UnlockFailed"  # the late "Accepted" was not taken for this answer

    def late_logged():
        """the late answer is in the message log, marked ignored"""
        return OcppMessage.objects.filter(charge_point_id="CMD-RAW", direction="in", error__contains="late").exists()

    await eventually(late_logged)


async def test_soc_on_demand_enables_soc_sampling_once(server, make_station, make_id_tag):
    station, charger = await online_charger(server, make_station, make_id_tag, "CMD-SOC")
    await configuration.change_configuration(
        station_id=station.pk, key="MeterValuesSampledData", value="Energy.Active.Import.Register,Power.Active.Import"
    )
    assert await configuration.ensure_soc_sampling(station_id=station.pk, ocpp_version="1.6") is True
    assert (
        charger.configuration["MeterValuesSampledData"].value == "Energy.Active.Import.Register,Power.Active.Import,SoC"
    )
    changes = len(charger.exchanges("ChangeConfiguration", incoming=True))
    assert (
        await configuration.ensure_soc_sampling(station_id=station.pk, ocpp_version="1.6") is True
    )  # already sampled: nothing changed
    assert len(charger.exchanges("ChangeConfiguration", incoming=True)) == changes
    kept = await sync_to_async(ConfigurationKey.objects.get)(station=station, key="MeterValuesSampledData")
    assert kept.value.endswith(",SoC")
    await charger.close()


async def test_a_request_breaking_the_schema_is_not_sent(server, make_station, make_id_tag):
    station, charger = await online_charger(server, make_station, make_id_tag, "CMD-INVALID")
    received = len(charger.exchanges("SendLocalList", incoming=True))
    with pytest.raises(commands.CommandInvalid) as invalid:
        await local_list.send_local_list(
            station_id=station.pk, version=2, entries=[LocalListEntry(id_tag="X" * 25, status="Accepted")]
        )
    assert "not sent" in str(invalid.value) and "too long" in str(invalid.value)
    assert len(charger.exchanges("SendLocalList", incoming=True)) == received
    with pytest.raises(commands.StationNotConnected):
        await reservations.reserve_now(
            station_id=(await make_station("CMD-OFF")).pk,
            evse_number=1,
            id_tag="CMD-TAG",
            expires_at=timezone.now() + timedelta(minutes=5),
        )
    assert (
        await sync_to_async(lambda: Reservation.objects.get(station__charge_point_id="CMD-OFF").status)() == "refused"
    )
    await charger.close()


async def test_a_command_to_a_station_not_booted_or_pending_is_refused_at_once(server, make_station):
    """Issue 9 #23: a connected charger that has not booted, or was answered Pending, refuses
    most requests with SecurityError: they are not sent; what 1.6 §4.2 allows is."""
    station = await make_station("CMD-UNBOOTED")
    charger = await AnsweringCharger.connect(server, "CMD-UNBOOTED", boot=False)
    try:

        def connected():
            """the server holds the charger's socket"""
            return ChargingStation.objects.get(pk=station.pk).connection_channel

        await eventually(connected)
        with pytest.raises(commands.StationNotAccepted) as refused:
            await commands.send(station.pk, commands.Reset(hard=True))
        assert (
            str(refused.value) == "CMD-UNBOOTED has not booted yet (no BootNotification answered): reset was not sent"
        )
        assert (
            await commands.send(station.pk, commands.TriggerMessage(message="BootNotification"))
        ).status == "Accepted"
        assert charger.calls("TriggerMessage") == ['{"requestedMessage": "BootNotification"}']
        assert charger.calls("Reset") == []
    finally:
        await charger.close()

    await sync_to_async(change_registration)(station_ids=[station.pk], status="Pending")
    charger = await AnsweringCharger.connect(
        server, "CMD-UNBOOTED", answers={"GetConfiguration": {"configurationKey": []}}
    )
    try:
        assert charger.boot_status == "Pending"
        assert (await configuration.get_configuration(station_id=station.pk)).action == "GetConfiguration"
        with pytest.raises(commands.StationNotAccepted) as refused:
            await remote_control.remote_start(station_id=station.pk, id_tag="ANY", evse_number=1)
        assert "is Pending, not Accepted" in str(refused.value)
        assert [json.loads(text)[2] for text in charger.received] == ["GetConfiguration"]
    finally:
        await charger.close()


async def test_local_list_frames_are_in_schema_order_and_reset_is_per_station(server, make_station, make_id_tag):
    """Issue 9 #30 (1.6): SendLocalList keys in the schema's order, idTagInfo on every entry that
    is not a removal; a per-EVSE reset is not a 1.6 operation and nothing is sent."""
    station = await make_station("CMD-LIST16")
    charger = await AnsweringCharger.connect(server, "CMD-LIST16")
    try:
        await local_list.send_local_list(
            station_id=station.pk,
            version=4,
            full=True,
            entries=[
                LocalListEntry(
                    id_tag="CARD-1", status="Accepted", expires_at="2030-01-01T00:00:00Z", parent_id_tag="FLEET"
                ),
                LocalListEntry(id_tag="CARD-2", status="Blocked"),
            ],
        )
        await local_list.send_local_list(
            station_id=station.pk, version=5, full=False, entries=[LocalListEntry(id_tag="CARD-2", status=None)]
        )
        assert charger.calls("SendLocalList") == [
            json.dumps(
                {
                    "listVersion": 4,
                    "localAuthorizationList": [
                        {
                            "idTag": "CARD-1",
                            "idTagInfo": {
                                "expiryDate": "2030-01-01T00:00:00Z",
                                "parentIdTag": "FLEET",
                                "status": "Accepted",
                            },
                        },
                        {"idTag": "CARD-2", "idTagInfo": {"status": "Blocked"}},
                    ],
                    "updateType": "Full",
                }
            ),
            json.dumps(
                {"listVersion": 5, "localAuthorizationList": [{"idTag": "CARD-2"}], "updateType": "Differential"}
            ),
        ]
        with pytest.raises(commands.CommandInvalid):
            await local_list.send_local_list(
                station_id=station.pk, version=6, full=True, entries=[LocalListEntry(id_tag="CARD-3", status=None)]
            )
        with pytest.raises(commands.CommandInvalid):
            await commands.send(station.pk, commands.Reset(evse_number=1))
        assert (
            await commands.send(
                station.pk, commands.ChangeAvailability(evse_number=1, connector_number=1, operative=False)
            )
        ).status == "Accepted"
        assert charger.calls("ChangeAvailability") == ['{"connectorId": 1, "type": "Inoperative"}']
        assert charger.calls("Reset") == [] and len(charger.calls("SendLocalList")) == 2
    finally:
        await charger.close()
