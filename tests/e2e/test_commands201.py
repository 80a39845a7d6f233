"""The command API against a simulated OCPP 2.0.1 station connected to the real server."""

import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from csms.ocpp import commands
from csms.ocpp.commands import LocalListEntry, Variable, VariableValue
from sessions import local_list, remote_control, reservations
from sessions.models import Reservation, Transaction
from simulator import ChargerOptions201, SimulatedCharger201
from stations import charging_schedules, configuration
from stations import local_list as station_local_list
from stations.models import ChargingStation, CompositeSchedule, Connector, DeviceModelVariable
from tests.conftest import eventually
from tests.e2e.answering import AnsweringCharger
from tests.ocpp_client import STATION_PASSWORD

pytestmark = pytest.mark.e2e


async def online_station(server, make_station, make_id_tag, charge_point_id: str, **answers):
    station = await make_station(charge_point_id, evse_count=2)
    await make_id_tag("V2-TAG")
    charger = SimulatedCharger201(
        charge_point_id,
        server.ocpp_url,
        ChargerOptions201(
            password=STATION_PASSWORD,
            connectors=2,
            id_tag="V2-TAG",
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
        """the server holds the station's 2.0.1 socket"""
        s = ChargingStation.objects.get(pk=station.pk)
        return s if s.connection_channel and s.ocpp_version == "2.0.1" else None

    return await eventually(registered), charger


async def test_device_model_commands(server, make_station, make_id_tag):
    station, charger = await online_station(server, make_station, make_id_tag, "V2C-DM")
    with pytest.raises(commands.CommandNotSupported):
        await configuration.get_configuration(station_id=station.pk)
    assert (await commands.send(station.pk, commands.GetBaseReport())).status == "Accepted"

    def reported():
        """NotifyReport filled the device model"""
        return DeviceModelVariable.objects.filter(station=station).count() > 10

    await eventually(reported)
    await configuration.set_variables(
        station_id=station.pk, values=[VariableValue("OCPPCommCtrlr", "HeartbeatInterval", "120")]
    )
    answer = await configuration.get_variables(
        station_id=station.pk, variables=[Variable("OCPPCommCtrlr", "HeartbeatInterval")]
    )
    assert answer.data["get_variable_result"][0]["attribute_value"] == "120"
    assert await configuration.ensure_soc_sampling(station_id=station.pk, ocpp_version="2.0.1") is True
    measurands = await configuration.get_variables(
        station_id=station.pk, variables=[Variable("SampledDataCtrlr", "TxUpdatedMeasurands")]
    )
    assert "SoC" in measurands.data["get_variable_result"][0]["attribute_value"].split(",")
    await charger.close()


async def test_operational_commands(server, make_station, make_id_tag):
    station, charger = await online_station(server, make_station, make_id_tag, "V2C-OPS")
    assert (await commands.send(station.pk, commands.UnlockConnector(evse_number=1))).status == "Unlocked"
    assert (
        await commands.send(station.pk, commands.ChangeAvailability(evse_number=2, operative=False))
    ).status == "Accepted"

    def unavailable():
        """EVSE 2 reported Unavailable"""
        return Connector.objects.filter(evse__station=station, evse__number=2, status="Unavailable").exists()

    await eventually(unavailable)
    assert (await commands.send(station.pk, commands.ClearCache())).status == "Accepted"
    assert (await commands.send(station.pk, commands.TriggerMessage(message="Heartbeat"))).status == "Accepted"
    assert (
        await commands.send(station.pk, commands.DataTransfer(vendor_id="com.voltstack", message_id="Ping", data="1"))
    ).status
    await local_list.send_local_list(
        station_id=station.pk, version=3, entries=[LocalListEntry(id_tag="V2-TAG", status="Accepted")]
    )
    await station_local_list.get_local_list_version(station_id=station.pk)
    assert (await sync_to_async(ChargingStation.objects.get)(pk=station.pk)).local_list_version == 3
    await commands.send(
        station.pk, commands.UpdateFirmware(location="https://fw.example/2.bin", retrieve_at=timezone.now())
    )
    await commands.send(station.pk, commands.GetDiagnostics(location="https://logs.example/up"))

    def progressed():
        """firmware and log upload progress arrived"""
        s = ChargingStation.objects.get(pk=station.pk)
        return s.firmware_status == "Installed" and s.diagnostics_status == "Uploaded"

    await eventually(progressed, timeout=10)
    await charger.close()


async def test_smart_charging_and_reservations(server, make_station, make_id_tag):
    station, charger = await online_station(server, make_station, make_id_tag, "V2C-SMART")
    profile = commands.ChargingProfile(
        profile_id=21,
        stack_level=0,
        purpose="TxDefault",
        rate_unit="A",
        periods=[commands.SchedulePeriod(start_s=0, limit=10.0)],
    )
    assert (
        await commands.send(station.pk, commands.SetChargingProfile(evse_number=1, profile=profile))
    ).status == "Accepted"
    assert (
        await charging_schedules.get_composite_schedule(
            station_id=station.pk, evse_number=1, duration_s=300, rate_unit="A"
        )
    ).status == "Accepted"
    assert await sync_to_async(
        CompositeSchedule.objects.filter(station=station, evse_number=1, status="Accepted").exists
    )()
    assert (await commands.send(station.pk, commands.ClearChargingProfile(profile_id=21))).status == "Accepted"
    await reservations.reserve_now(
        station_id=station.pk, evse_number=2, id_tag="V2-TAG", expires_at=timezone.now() + timedelta(minutes=10)
    )
    reservation = await sync_to_async(Reservation.objects.get)(station=station)
    assert reservation.status == "accepted"
    await reservations.cancel_reservation(station_id=station.pk, reservation_id=reservation.pk)
    await charger.close()


async def test_remote_start_stop_and_reset(server, make_station, make_id_tag):
    station, charger = await online_station(server, make_station, make_id_tag, "V2C-REMOTE")
    assert (
        await remote_control.remote_start(station_id=station.pk, id_tag="V2-TAG", evse_number=1)
    ).status == "Accepted"

    def started():
        """the station opened the transaction it agreed to (a string id)"""
        return (
            Transaction.objects.filter(station=station, status="active")
            .exclude(uid=None)
            .exclude(id_tag_value="")
            .first()
        )

    tx = await eventually(started)
    assert tx.id_tag_value == "V2-TAG"
    assert (await remote_control.remote_stop(transaction_id=tx.pk)).status == "Accepted"

    def stopped():
        """the station ended it remotely"""
        return Transaction.objects.filter(pk=tx.pk, status="completed", stop_reason="Remote").exists()

    await eventually(stopped)
    booted = (await sync_to_async(ChargingStation.objects.get)(pk=station.pk)).last_boot_at
    assert (await commands.send(station.pk, commands.Reset(hard=True))).status == "Accepted"

    def rebooted():
        """the station booted again"""
        return ChargingStation.objects.get(pk=station.pk).last_boot_at > booted

    await eventually(rebooted, timeout=10)
    await charger.close()


async def test_rejected_and_silent_stations(server, make_station, make_id_tag):
    station, charger = await online_station(
        server, make_station, make_id_tag, "V2C-NO", Reset="reject", ClearCache="ignore"
    )
    with pytest.raises(commands.CommandRejected):
        await commands.send(station.pk, commands.Reset())
    with pytest.raises(commands.CommandTimeout):
        await commands.send(station.pk, commands.ClearCache())
    await charger.close()


async def test_typed_tokens_per_evse_reset_per_connector_availability_and_local_list_frames(
    server, make_station, make_id_tag
):
    """Issue 9 #30: the exact 2.0.1 frames: Reset of one EVSE, ChangeAvailability of one connector,
    id tokens with their own type, SendLocalList in schema order with idTokenInfo on every entry
    that is not a removal."""
    station = await make_station("V2C-FRAMES")
    await make_id_tag("EMAID-1", id_token_type="eMAID")
    await make_id_tag("FLEET-1", id_token_type="Central")
    await make_id_tag("CARD-1", id_token_type="ISO15693")
    charger = await AnsweringCharger.connect(server, "V2C-FRAMES", version="2.0.1")
    try:
        await commands.send(station.pk, commands.Reset(hard=False, evse_number=2))
        await commands.send(station.pk, commands.ChangeAvailability(evse_number=2, connector_number=1, operative=False))
        await remote_control.remote_start(station_id=station.pk, id_tag="EMAID-1", evse_number=1)
        await reservations.reserve_now(
            station_id=station.pk, evse_number=2, id_tag="CARD-1", expires_at=timezone.now() + timedelta(minutes=5)
        )
        await local_list.send_local_list(
            station_id=station.pk,
            version=3,
            full=False,
            entries=[
                LocalListEntry(
                    id_tag="CARD-1", status="Accepted", expires_at="2030-01-01T00:00:00Z", parent_id_tag="FLEET-1"
                ),
                LocalListEntry(id_tag="EMAID-1", status=None),
            ],
        )
        assert charger.calls("Reset") == ['{"type": "OnIdle", "evseId": 2}']
        assert charger.calls("ChangeAvailability") == [
            '{"operationalStatus": "Inoperative", "evse": {"id": 2, "connectorId": 1}}'
        ]
        [start] = charger.calls("RequestStartTransaction")
        assert json.loads(start)["idToken"] == {"idToken": "EMAID-1", "type": "eMAID"}
        [reserve] = charger.calls("ReserveNow")
        assert json.loads(reserve)["idToken"] == {"idToken": "CARD-1", "type": "ISO15693"}
        assert charger.calls("SendLocalList") == [
            json.dumps(
                {
                    "localAuthorizationList": [
                        {
                            "idToken": {"idToken": "CARD-1", "type": "ISO15693"},
                            "idTokenInfo": {
                                "status": "Accepted",
                                "cacheExpiryDateTime": "2030-01-01T00:00:00Z",
                                "groupIdToken": {"idToken": "FLEET-1", "type": "Central"},
                            },
                        },
                        {"idToken": {"idToken": "EMAID-1", "type": "eMAID"}},
                    ],
                    "versionNumber": 3,
                    "updateType": "Differential",
                }
            )
        ]
    finally:
        await charger.close()


async def test_a_pending_station_takes_only_what_b02_allows(server, make_station):
    """Issue 9 #23 (2.0.1 B02.FR.01): while Pending, GetVariables/SetVariables/GetBaseReport and
    TriggerMessage are sent; anything else is refused at once and never reaches the station."""
    station = await make_station("V2C-PENDING", registration_status="Pending")
    charger = await AnsweringCharger.connect(
        server,
        "V2C-PENDING",
        version="2.0.1",
        answers={
            "GetVariables": {
                "getVariableResult": [
                    {
                        "attributeStatus": "Accepted",
                        "attributeValue": "300",
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "HeartbeatInterval"},
                    }
                ]
            },
        },
    )
    try:
        assert charger.boot_status == "Pending"
        await configuration.get_variables(
            station_id=station.pk, variables=[Variable("OCPPCommCtrlr", "HeartbeatInterval")]
        )
        for refused in (
            commands.send(station.pk, commands.Reset()),
            remote_control.remote_start(station_id=station.pk, id_tag="T", evse_number=1),
            commands.send(station.pk, commands.ClearCache()),
        ):
            with pytest.raises(commands.StationNotAccepted):
                await refused
        assert [json.loads(text)[2] for text in charger.received] == ["GetVariables"]
    finally:
        await charger.close()
