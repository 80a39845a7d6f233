"""Charger commands from the admin: the operator picks an action, the charger answers, the page says so.

The Django test client runs the admin in this process; the simulated charger
is connected to the server process; each command crosses Redis between them.
"""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse
from django.utils import timezone

from csms.ocpp.commands import (
    CommandCallError,
    CommandError,
    CommandNotSupported,
    CommandRejected,
    CommandTimeout,
    StationNotAccepted,
    StationNotConnected,
)
from sessions.models import Reservation, Transaction
from simulator import ChargerOptions, ChargerOptions201, SimulatedCharger, SimulatedCharger201
from stations.admin.commands import failure
from stations.models import ChargingStation, CompositeSchedule, ConfigurationKey, Connector
from tests.conftest import eventually
from tests.ocpp_client import STATION_PASSWORD

STATIONS = reverse("admin:stations_chargingstation_changelist")
TRANSACTIONS = reverse("admin:charging_transaction_changelist")
TAG = "ADMIN-TAG"


@pytest.fixture
def operator(client, django_user_model, transactional_db):
    client.force_login(django_user_model.objects.create_superuser("op", "op@example.com", "op-password-123"))
    return client


@pytest.fixture
async def online(server, make_station, make_id_tag):
    """Connect simulated chargers to the server (stations provisioned first); all closed at the end."""
    await make_id_tag(TAG)
    chargers = []

    async def connect(charge_point_id: str, **answers) -> tuple[ChargingStation, SimulatedCharger]:
        station = await make_station(charge_point_id, evse_count=2)
        charger = SimulatedCharger(
            charge_point_id,
            server.ocpp_url,
            ChargerOptions(
                password=STATION_PASSWORD,
                connectors=2,
                id_tag=TAG,
                meter_interval=0,
                speedup=600,
                step_delay=0.05,
                reconnect_delay=0.1,
                answers=answers,
            ),
        )
        chargers.append(charger)
        await charger.connect()
        await charger.boot()

        def registered():
            """the server holds the charger's socket"""
            return ChargingStation.objects.get(pk=station.pk).connection_channel

        await eventually(registered)
        return station, charger

    yield connect
    for charger in chargers:
        await charger.close()


async def act(client, url: str, action: str, *objects, **fields):
    """POST an admin action (with `apply` when fields are given) the way the admin page does,
    and follow the redirect to the page the operator sees next."""
    data = {"action": action, "_selected_action": [obj.pk for obj in objects], **fields}
    if fields:
        data["apply"] = "yes"
    return await post(client, url, data)


async def post(client, url: str, data: dict):
    response = await sync_to_async(client.post)(url, data, follow=True)
    assert response.status_code == 200, response.content[:2000]
    return response


def told(response) -> list[tuple[str, str]]:
    """The messages shown on the page: (level, text)."""
    return [(message.level_tag, message.message) for message in response.context["messages"]]


def redirected(response) -> str | None:
    """Where the action sent the browser (None: it answered with a page of its own)."""
    return response.redirect_chain[-1][0] if response.redirect_chain else None


async def test_reset_shows_the_charger_answer(operator, online):
    station, charger = await online("CP-ADM-RESET")
    response = await act(operator, STATIONS, "reset_hard", station)
    assert redirected(response) == STATIONS
    assert told(response) == [("success", "CP-ADM-RESET: Reset Accepted")]
    [reset] = charger.exchanges("Reset", incoming=True)
    assert reset.request.payload == {"type": "Hard"} and reset.answered_ok


async def test_get_configuration_refreshes_the_stored_keys(operator, online):
    station, charger = await online("CP-ADM-CONF")
    response = await act(operator, STATIONS, "get_configuration", station)
    count = len(charger.configuration)
    assert told(response) == [("success", f"CP-ADM-CONF: GetConfiguration returned {count} keys")]
    assert charger.exchanges("GetConfiguration", incoming=True)[0].answered_ok
    stored = await sync_to_async(
        lambda: dict(ConfigurationKey.objects.filter(station=station).values_list("key", "value"))
    )()
    assert len(stored) == count and stored["NumberOfConnectors"] == "2"

    page = await sync_to_async(operator.get)(reverse("admin:stations_chargingstation_change", args=[station.pk]))
    assert page.status_code == 200
    assert b"MeterValuesSampledData" in page.content  # the read-only configuration inline


async def test_change_availability_asks_then_sends(operator, online):
    station, charger = await online("CP-ADM-AVAIL")
    form = await act(operator, STATIONS, "change_availability", station)
    assert redirected(form) is None and b"Change availability" in form.content
    assert b'name="evse_number"' in form.content and b'name="apply"' in form.content
    assert b'value="change_availability"' in form.content

    invalid = await act(
        operator, STATIONS, "change_availability", station, evse_number="-1", availability="Inoperative"
    )
    assert redirected(invalid) is None and b"errorlist" in invalid.content
    assert charger.exchanges("ChangeAvailability", incoming=True) == []  # nothing sent on a bad form

    sent = await act(operator, STATIONS, "change_availability", station, evse_number="2", availability="Inoperative")
    assert redirected(sent) == STATIONS
    assert told(sent) == [("success", "CP-ADM-AVAIL: ChangeAvailability Accepted")]
    [change] = charger.exchanges("ChangeAvailability", incoming=True)
    assert change.request.payload == {"connectorId": 2, "type": "Inoperative"}

    def unavailable():
        """EVSE 2 reported Unavailable"""
        return Connector.objects.get(evse__station=station, evse__number=2).status == "Unavailable"

    await eventually(unavailable)


async def test_remote_stop_from_the_transaction_admin(operator, online):
    station, charger = await online("CP-ADM-TX")
    started = await act(operator, STATIONS, "remote_start", station, evse_number="1", id_tag=TAG)
    assert told(started) == [("success", "CP-ADM-TX: RemoteStartTransaction Accepted")]

    def active():
        """the charger started the session it agreed to"""
        return Transaction.objects.filter(station=station, status="active").first()

    tx = await eventually(active)

    stopped = await act(operator, TRANSACTIONS, "remote_stop", tx)
    assert told(stopped) == [("success", f"CP-ADM-TX: RemoteStopTransaction Accepted (transaction {tx.pk})")]

    def completed():
        """the charger stopped it, reason Remote"""
        return Transaction.objects.filter(pk=tx.pk, status="completed", stop_reason="Remote").exists()

    await eventually(completed)
    again = await act(operator, TRANSACTIONS, "remote_stop", tx)
    assert told(again) == [("warning", f"Transaction {tx.pk} is not active; nothing to stop.")]
    assert len(charger.exchanges("RemoteStopTransaction", incoming=True)) == 1


async def test_failures_are_told_per_station_never_raised(operator, online, make_station):
    offline = await make_station("CP-ADM-OFF")
    station, charger = await online("CP-ADM-NO", Reset="reject", GetConfiguration="reject", ClearCache="ignore")

    reset = await act(operator, STATIONS, "reset_soft", offline, station)
    assert redirected(reset) == STATIONS
    assert sorted(told(reset)) == [
        ("warning", "CP-ADM-NO: Reset (soft) rejected with status Rejected."),
        ("warning", "CP-ADM-OFF: Reset (soft) failed, the station is not connected."),
    ]
    configuration = await act(operator, STATIONS, "get_configuration", station)
    [(level, text)] = told(configuration)
    assert level == "error" and text.startswith("CP-ADM-NO: Get configuration failed with CALLERROR NotSupported")
    cache = await act(operator, STATIONS, "clear_cache", station)  # the server waits 5 s for answers
    assert told(cache) == [
        ("error", "CP-ADM-NO: Clear cache unconfirmed, the station did not answer ClearCache within 5s.")
    ]
    assert await sync_to_async(ConfigurationKey.objects.filter(station=station).exists)() is False


async def test_every_station_action_reaches_the_charger(operator, online):
    station, charger = await online("CP-ADM-ALL")
    soon = (timezone.now() + timedelta(minutes=20)).strftime("%Y-%m-%d %H:%M:%S")
    cases = [
        ("clear_cache", {}, "ClearCache", "CP-ADM-ALL: ClearCache Accepted"),
        (
            "trigger_message",
            {"message": "Heartbeat"},
            "TriggerMessage",
            "CP-ADM-ALL: TriggerMessage Accepted (Heartbeat)",
        ),
        (
            "change_configuration",
            {"key": "HeartbeatInterval", "value": "120"},
            "ChangeConfiguration",
            "CP-ADM-ALL: ChangeConfiguration Accepted (HeartbeatInterval=120)",
        ),
        ("unlock_connector", {"evse_number": "1"}, "UnlockConnector", "CP-ADM-ALL: UnlockConnector Unlocked"),
        (
            "set_charging_profile",
            {
                "evse_number": "1",
                "limit": "16",
                "rate_unit": "A",
                "purpose": "TxDefault",
                "profile_id": "7",
                "stack_level": "1",
            },
            "SetChargingProfile",
            "CP-ADM-ALL: SetChargingProfile Accepted",
        ),
        (
            "get_composite_schedule",
            {"evse_number": "1", "duration_s": "600", "rate_unit": "A"},
            "GetCompositeSchedule",
            "CP-ADM-ALL: GetCompositeSchedule Accepted: 1 period(s), kept with the station",
        ),
        (
            "clear_charging_profile",
            {"profile_id": "7"},
            "ClearChargingProfile",
            "CP-ADM-ALL: ClearChargingProfile Accepted",
        ),
        (
            "reserve_now",
            {"evse_number": "2", "id_tag": TAG, "expires_at": soon},
            "ReserveNow",
            "CP-ADM-ALL: ReserveNow Accepted",
        ),
        (
            "send_local_list",
            {"version": "4"},
            "SendLocalList",
            "CP-ADM-ALL: SendLocalList Accepted (1 id tags, version 4)",
        ),
        ("get_local_list_version", {}, "GetLocalListVersion", "CP-ADM-ALL: local list version 4"),
        (
            "update_firmware",
            {"location": "https://fw.example/2.0.bin", "retrieve_at": soon},
            "UpdateFirmware",
            "CP-ADM-ALL: UpdateFirmware acknowledged",
        ),
        (
            "get_diagnostics",
            {"location": "ftp://diag.example/up"},
            "GetDiagnostics",
            "CP-ADM-ALL: GetDiagnostics: uploading",
        ),
        (
            "data_transfer",
            {"vendor_id": "com.voltstack", "message_id": "Ping", "data": "1"},
            "DataTransfer",
            "CP-ADM-ALL: DataTransfer",
        ),
    ]
    for action, fields, ocpp_action, message in cases:
        response = await act(operator, STATIONS, action, station, **fields)
        assert redirected(response) == STATIONS, (action, response.content[:2000])
        [(level, text)] = told(response)
        assert text.startswith(message), (action, text)
        assert len(charger.exchanges(ocpp_action, incoming=True)) == 1, action

    assert charger.configuration["HeartbeatInterval"].value == "120"
    assert charger.local_list_version == 4
    assert await sync_to_async(CompositeSchedule.objects.filter(station=station).count)() == 1
    reservation = await sync_to_async(Reservation.objects.get)(station=station)
    assert reservation.status == "accepted"

    cancelled = await act(operator, STATIONS, "cancel_reservation", station)
    assert told(cancelled) == [("success", f"CP-ADM-ALL: CancelReservation Accepted (reservation {reservation.pk})")]
    assert (await sync_to_async(Reservation.objects.get)(pk=reservation.pk)).status == "cancelled"
    nothing = await act(operator, STATIONS, "cancel_reservation", station)
    assert told(nothing) == [("info", "The selected stations hold no reservation.")]


async def test_the_change_page_sends_commands_to_its_station(operator, online):
    station, charger = await online("CP-ADM-PAGE")
    page_url = reverse("admin:stations_chargingstation_change", args=[station.pk])
    command_url = reverse("admin:stations_chargingstation_command", args=[station.pk])
    page = await sync_to_async(operator.get)(page_url)
    assert command_url.encode() in page.content and b'value="reset_soft"' in page.content

    cleared = await post(operator, command_url, {"action": "clear_cache", "_selected_action": station.pk})
    assert redirected(cleared) == page_url
    assert told(cleared) == [("success", "CP-ADM-PAGE: ClearCache Accepted")]

    form = await post(operator, command_url, {"action": "unlock_connector", "_selected_action": station.pk})
    assert redirected(form) is None and b"Unlock connector" in form.content
    unlocked = await post(
        operator,
        command_url,
        {"action": "unlock_connector", "_selected_action": station.pk, "evse_number": "2", "apply": "yes"},
    )
    assert redirected(unlocked) == page_url
    assert told(unlocked) == [("success", "CP-ADM-PAGE: UnlockConnector Unlocked")]
    assert charger.exchanges("UnlockConnector", incoming=True)[0].request.payload == {"connectorId": 2}


@pytest.mark.parametrize(
    "error, level, text",
    [
        (StationNotConnected("CP-X"), "warning", "CP-X: Reset failed, the station is not connected."),
        (
            StationNotConnected("CP-X", "disconnected before answering Reset"),
            "warning",
            "CP-X: Reset failed, the station disconnected before answering Reset.",
        ),
        (
            StationNotAccepted("CP-X", "reset", "is Pending, not Accepted"),
            "warning",
            "CP-X: Reset not sent, the station is Pending, not Accepted.",
        ),
        (
            CommandTimeout("CP-X", "Reset", 30),
            "error",
            "CP-X: Reset unconfirmed, the station did not answer Reset within 30s.",
        ),
        (CommandRejected("CP-X", "Reset", "Rejected", {}), "warning", "CP-X: Reset rejected with status Rejected."),
        (
            CommandCallError("CP-X", "Reset", "InternalError", "boom"),
            "error",
            "CP-X: Reset failed with CALLERROR InternalError: boom",
        ),
        (
            CommandNotSupported("reset is not an operation of OCPP 2.0.1"),
            "warning",
            "CP-X: Reset is not supported by its OCPP version (2.0.1).",
        ),
        (CommandError("CP-X: the consumer failed"), "error", "CP-X: Reset failed: the consumer failed"),
        (RuntimeError("bug"), "error", "CP-X: Reset failed unexpectedly (RuntimeError); see the server log."),
    ],
)
def test_each_failure_reads_distinctly(error, level, text):
    from django.contrib.messages import DEFAULT_TAGS

    station = ChargingStation(charge_point_id="CP-X", ocpp_version="2.0.1")
    got_level, got_text = failure(station, "Reset", error)
    assert (DEFAULT_TAGS[got_level], got_text) == (level, text)


async def test_connector_actions_reach_the_charger(operator, online):
    station, charger = await online("CP-ADM-CONN")
    connector = await sync_to_async(Connector.objects.get)(evse__station=station, evse__number=2)
    url = reverse("admin:stations_connector_changelist")
    response = await act(operator, url, "unlock", connector)
    assert told(response) == [("success", "CP-ADM-CONN: UnlockConnector Unlocked")]
    assert charger.exchanges("UnlockConnector", incoming=True)[0].request.payload == {"connectorId": 2}
    response = await act(operator, url, "make_inoperative", connector)
    assert told(response) == [("success", "CP-ADM-CONN: ChangeAvailability Accepted")]

    def unavailable():
        """EVSE 2 reported Unavailable"""
        return Connector.objects.get(pk=connector.pk).status == "Unavailable"

    await eventually(unavailable)


async def test_201_device_model_actions(operator, server, make_station):
    station = await make_station("CP-ADM-201", evse_count=1)
    charger = SimulatedCharger201(
        "CP-ADM-201", server.ocpp_url, ChargerOptions201(password=STATION_PASSWORD, meter_interval=0)
    )
    await charger.connect()
    await charger.boot()

    def registered():
        """the 2.0.1 socket is registered"""
        return (
            ChargingStation.objects.filter(pk=station.pk, ocpp_version="2.0.1").exclude(connection_channel="").exists()
        )

    await eventually(registered)
    response = await act(
        operator,
        STATIONS,
        "set_variables",
        station,
        component="OCPPCommCtrlr",
        variable="HeartbeatInterval",
        value="90",
    )
    assert told(response) == [("success", "CP-ADM-201: OCPPCommCtrlr.HeartbeatInterval Accepted")]
    response = await act(
        operator, STATIONS, "get_variables", station, component="OCPPCommCtrlr", variable="HeartbeatInterval"
    )
    assert told(response) == [("success", "CP-ADM-201: OCPPCommCtrlr.HeartbeatInterval = 90 (Accepted)")]
    response = await act(operator, STATIONS, "get_base_report", station)
    assert told(response) == [("success", "CP-ADM-201: GetBaseReport Accepted")]
    response = await act(operator, STATIONS, "get_configuration", station)
    assert told(response) == [
        ("warning", "CP-ADM-201: Get configuration is not supported by its OCPP version (2.0.1).")
    ]
    await charger.close()
