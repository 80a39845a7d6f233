"""Connecting: subprotocol negotiation, security profile 1, auto-registration, one socket per station."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from stations.models import ChargingStation, NetworkSettings
from tests.conftest import eventually
from tests.ocpp_client import STATION_PASSWORD, basic_auth, call, open_socket

pytestmark = pytest.mark.e2e


def connect_as(server, charge_point_id: str, user: str):
    return connect(
        f"{server.ocpp_url}/{charge_point_id}",
        subprotocols=["ocpp1.6"],
        additional_headers=basic_auth(user, STATION_PASSWORD),
    )


async def refused(server, charge_point_id: str, **kwargs) -> int:
    with pytest.raises(InvalidStatus) as error:
        async with open_socket(server, charge_point_id, **kwargs):
            pass
    return error.value.response.status_code


async def test_handshake_negotiates_ocpp16(server, make_station):
    await make_station("CP-NEG")
    async with open_socket(server, "CP-NEG", subprotocols=("ocpp1.5", "ocpp1.6")) as ws:
        assert ws.subprotocol == "ocpp1.6"


async def test_handshake_without_a_supported_subprotocol_is_refused(server, make_station):
    await make_station("CP-NOPROTO")
    assert await refused(server, "CP-NOPROTO", subprotocols=("ocpp1.5",)) == 400
    assert await refused(server, "CP-NOPROTO", subprotocols=()) == 400


async def test_wrong_missing_or_foreign_password_is_refused(server, make_station):
    await make_station("CP-AUTH")
    await make_station("CP-OTHER")
    assert await refused(server, "CP-AUTH", password="not-the-password") == 401
    assert await refused(server, "CP-AUTH", password=None) == 401
    # CP-OTHER's valid credentials do not open CP-AUTH's door
    with pytest.raises(InvalidStatus):
        async with connect_as(server, "CP-AUTH", user="CP-OTHER"):
            pass
    station = await sync_to_async(ChargingStation.objects.get)(charge_point_id="CP-AUTH")
    assert station.connection_channel == ""


async def test_unknown_station_is_refused_without_auto_registration(server, transactional_db):
    assert await refused(server, "CP-STRANGER") == 401  # like a wrong password: ids cannot be probed
    assert not await sync_to_async(ChargingStation.objects.filter(charge_point_id="CP-STRANGER").exists)()


async def test_auto_registration_creates_a_pending_station_until_accepted(server, transactional_db):
    await sync_to_async(NetworkSettings.objects.update_or_create)(pk=1, defaults={"auto_register_stations": True})
    boot = {"chargePointVendor": "ABB", "chargePointModel": "Terra AC"}
    async with open_socket(server, "CP-NEWCOMER", password="first-use-password") as ws:
        answer = await call(ws, "BootNotification", boot)
        assert answer[2]["status"] == "Pending" and answer[2]["interval"] == 60
        refused_call = await call(ws, "Authorize", {"idTag": "ANY"})
        assert refused_call[0] == 4 and refused_call[2] == "SecurityError"
        station = await sync_to_async(ChargingStation.objects.get)(charge_point_id="CP-NEWCOMER")
        assert station.auto_registered and station.vendor == "ABB"
        station.registration_status = "Accepted"
        await sync_to_async(station.save)()
        assert (await call(ws, "BootNotification", boot))[2]["status"] == "Accepted"
        assert (await call(ws, "Authorize", {"idTag": "ANY"}))[2]["idTagInfo"]["status"] == "Invalid"
    # the password presented on first use is now the station's password
    assert await refused(server, "CP-NEWCOMER", password="someone-else-guessing") == 401


async def test_rejected_station_is_told_so(server, make_station):
    await make_station("CP-REJECTED", registration_status="Rejected")
    async with open_socket(server, "CP-REJECTED") as ws:
        answer = await call(ws, "BootNotification", {"chargePointVendor": "X", "chargePointModel": "Y"})
        assert answer[2]["status"] == "Rejected"
        assert (
            await call(
                ws,
                "StartTransaction",
                {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": "2026-11-21T08:00:00Z"},
            )
        )[2] == "SecurityError"


async def test_reconnect_new_socket_wins_and_old_cleanup_leaves_it_alone(server, make_station):
    await make_station("CP-TWICE")
    async with open_socket(server, "CP-TWICE") as old:
        await call(old, "Heartbeat", {})
        async with open_socket(server, "CP-TWICE") as new:
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(old.recv(), 5)
            assert closed.value.rcvd.code == 4000

            def new_socket_registered():
                """the station is connected through the new socket"""
                return ChargingStation.objects.get(charge_point_id="CP-TWICE").connection_channel

            channel = await eventually(new_socket_registered)
            await asyncio.sleep(0.3)  # give the old consumer's disconnect cleanup time to run
            assert (await sync_to_async(new_socket_registered)()) == channel
            assert (await call(new, "Heartbeat", {}))[0] == 3

    def offline():
        """the station is offline once its last socket closed"""
        return ChargingStation.objects.get(charge_point_id="CP-TWICE").connection_channel == ""

    await eventually(offline)
