"""Issue 9 #17: a station whose socket is gone is offline at once, whichever process held it.

A server process killed with SIGKILL cannot mark its stations offline: its liveness key
expires (OCPP_PROCESS_TTL), and from then on a start or a command is refused at once and
the sweep records the station offline. A reconnect storm ends with the live socket recorded.
"""

import asyncio
import contextlib

import pytest
from asgiref.sync import sync_to_async
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.protocol import State

from csms.ocpp import commands
from sessions.driver_sessions import SessionRefused, StartRequest, request_start
from stations.models import ChargingStation
from stations.selectors.connections import station_online
from stations.services.connections import clear_dead_connections
from tests.conftest import AsgiServer, eventually, server_env
from tests.e2e.answering import AnsweringCharger
from tests.ocpp_client import answer, open_socket

pytestmark = pytest.mark.e2e


@pytest.fixture
def doomed_server(transactional_db):
    """A server process of this test's own, to be killed; its liveness lives 2 s unrefreshed."""
    server = AsgiServer(server_env(OCPP_PROCESS_TTL="2", OCPP_CALL_TIMEOUT="5"))
    yield server
    server.stop()


async def test_a_station_on_a_killed_process_is_offline_and_a_start_is_refused_at_once(
    doomed_server, make_station, django_user_model
):
    station = await make_station("CP-ON-KILLED")
    driver = await sync_to_async(django_user_model.objects.create_user)(
        "killed@example.com", "killed@example.com", "pw-123456789"
    )
    charger = await AnsweringCharger.connect(doomed_server, "CP-ON-KILLED")

    def held():
        """the doomed server holds the charger's socket"""
        return ChargingStation.objects.get(pk=station.pk).connection_channel

    await eventually(held)
    doomed_server.process.kill()  # SIGKILL: no disconnect handler runs
    await asyncio.to_thread(doomed_server.process.wait)

    def offline_for_starts():
        """the station counts as offline: its process is dead"""
        return not station_online(station=ChargingStation.objects.get(pk=station.pk))

    await eventually(offline_for_starts, timeout=20)
    with pytest.raises(SessionRefused) as refused:
        await sync_to_async(request_start)(
            driver=driver, request=StartRequest(charge_point_id="CP-ON-KILLED", evse_number=1)
        )
    assert refused.value.code == "station_offline"
    with pytest.raises(commands.StationNotConnected):
        await commands.send(station.pk, commands.ClearCache())

    assert await sync_to_async(clear_dead_connections)() == 1  # what the beat sweep records
    stored = await sync_to_async(ChargingStation.objects.get)(pk=station.pk)
    assert stored.connection_channel == "" and stored.disconnected_at is not None
    with contextlib.suppress(ConnectionClosed, OSError):
        await charger.close()


async def test_a_reconnect_storm_ends_with_the_live_socket_recorded(server, make_station):
    station = await make_station("CP-STORM")

    async def attempt(n: int):
        """One reconnect; a third of them the charger abandons at once."""
        try:
            ws = await open_socket(server, "CP-STORM")
        except (InvalidStatus, OSError):  # refused: a newer handshake already holds the station
            return None
        if n % 3 == 0:
            await ws.close()
        return ws

    sockets = []
    for _ in range(3):  # waves of interleaved handshakes
        sockets += await asyncio.gather(*(attempt(n) for n in range(8)))
    sockets = [ws for ws in sockets if ws is not None]

    def at_most_one_open():
        """every socket but the newest was closed by the server"""
        return sum(ws.state is State.OPEN for ws in sockets) <= 1

    await eventually(at_most_one_open, timeout=15)
    survivors = [ws for ws in sockets if ws.state is State.OPEN]

    def recorded_matches_survivors():
        """a socket is recorded exactly when one is open"""
        return bool(ChargingStation.objects.get(pk=station.pk).connection_channel) == bool(survivors)

    await eventually(recorded_matches_survivors)

    final = await AnsweringCharger.connect(server, "CP-STORM", boot=False)
    try:
        for ws in survivors:
            with pytest.raises(ConnectionClosed) as closed:
                await answer(ws, 10)
            assert closed.value.rcvd.code == 4000
        assert (
            await commands.send(station.pk, commands.TriggerMessage(message="BootNotification"))
        ).status == "Accepted"
        assert final.calls("TriggerMessage") == ['{"requestedMessage": "BootNotification"}']
    finally:
        await final.close()
        for ws in sockets:
            await ws.close()

    def offline():
        """after every socket closed, the station is offline"""
        return ChargingStation.objects.get(pk=station.pk).connection_channel == ""

    await eventually(offline)
