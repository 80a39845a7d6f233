"""WebSocket /ws/v1/stations through a real server: a charger changes, the app is told."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from csms.api.websocket_auth import JwtAuthMiddleware
from stations import consumers
from stations.models import ChargingStation, Location, RegistrationStatus
from stations.services.connections import provision_station
from tests.ocpp_client import STATION_PASSWORD, call, open_socket
from tests.stations.conftest import access_token

pytestmark = pytest.mark.e2e


def stream(server, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return connect(f"ws://127.0.0.1:{server.port}/ws/v1/stations", additional_headers=headers, open_timeout=5)


async def receive(ws, timeout: float = 5.0) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def nothing_within(ws, seconds: float = 0.5) -> bool:
    try:
        await asyncio.wait_for(ws.recv(), seconds)
    except TimeoutError:
        return True
    return False


def status(connector_id: int, value: str, at: str) -> dict:
    return {"connectorId": connector_id, "status": value, "errorCode": "NoError", "timestamp": at}


@pytest.fixture
def driver_token(transactional_db):
    @sync_to_async
    def make() -> str:
        return access_token(
            get_user_model().objects.create_user(username="app@example.com", password="x-long-password")
        )

    return make


@sync_to_async
def provision_located(charge_point_id: str) -> ChargingStation:
    location = Location.objects.create(name="Depot", latitude=52.52, longitude=13.405)
    return provision_station(
        charge_point_id=charge_point_id, password=STATION_PASSWORD, location=location, evse_count=2
    )


def evses(snapshot: dict) -> list[tuple[int, str]]:
    return [(evse["evse_id"], evse["status"]) for evse in snapshot["station"]["evses"]]


async def test_the_state_is_pushed_whenever_the_charger_changes(server, driver_token):
    station = await provision_located("CP-LIVE")
    async with stream(server, await driver_token()) as app:
        await app.send(json.dumps({"subscribe": ["CP-LIVE", "NO-SUCH"]}))
        snapshot = await receive(app)
        assert snapshot["type"] == "station"
        assert snapshot["station"] == {
            "id": "CP-LIVE",
            "is_online": False,
            "available_evses": 0,
            "total_evses": 2,
            "evses": [
                {"uid": str((await sync_to_async(station.evses.get)(number=1)).pk), "evse_id": 1, "status": "UNKNOWN"},
                {"uid": str((await sync_to_async(station.evses.get)(number=2)).pk), "evse_id": 2, "status": "UNKNOWN"},
            ],
        }
        error = await receive(app)
        assert error["type"] == "error" and error["code"] == "station_not_found" and "NO-SUCH" in error["message"]

        async with open_socket(server, "CP-LIVE") as charger:
            online = await receive(app)
            assert online["station"]["is_online"] is True and evses(online) == [(1, "UNKNOWN"), (2, "UNKNOWN")]
            await call(charger, "StatusNotification", status(1, "Available", "2026-11-21T09:00:00Z"))
            available = await receive(app)
            assert (
                evses(available) == [(1, "AVAILABLE"), (2, "UNKNOWN")] and available["station"]["available_evses"] == 1
            )
            await call(charger, "StatusNotification", status(2, "Charging", "2026-11-21T09:00:01Z"))
            assert evses(await receive(app)) == [(1, "AVAILABLE"), (2, "CHARGING")]
            await call(charger, "StatusNotification", status(1, "Faulted", "2026-11-21T09:00:02Z"))
            faulted = await receive(app)
            assert evses(faulted) == [(1, "OUTOFORDER"), (2, "CHARGING")] and faulted["station"]["available_evses"] == 0

        # Pushed at once, as a rule; if the channel layer dropped the event (see RESYNC_SECONDS), at the next resync.
        offline = await receive(app, timeout=consumers.RESYNC_SECONDS + 10)
        assert offline["station"]["is_online"] is False and evses(offline) == [(1, "UNKNOWN"), (2, "UNKNOWN")]

        await app.send(json.dumps({"unsubscribe": ["CP-LIVE"]}))
        async with open_socket(server, "CP-LIVE") as charger:
            await call(charger, "StatusNotification", status(1, "Available", "2026-11-21T09:05:00Z"))
            assert await nothing_within(app)


async def test_without_a_valid_token_the_socket_is_closed_with_4401(server):
    for token in (None, "not-a-token"):
        async with stream(server, token) as app:
            with pytest.raises(ConnectionClosed) as closed:
                await receive(app)
            assert closed.value.rcvd.code == 4401


async def test_bad_messages_get_an_error_and_the_socket_stays_open(server, driver_token):
    await provision_located("CP-OK")
    async with stream(server, await driver_token()) as app:
        await app.send("{not json")
        assert (await receive(app))["code"] == "invalid_json"
        await app.send(b"\x00\x01")
        assert (await receive(app))["code"] == "invalid_json"
        await app.send(json.dumps({"subscribe": "CP-OK"}))
        invalid = await receive(app)
        assert invalid == {"type": "error", "code": "invalid_message", "message": invalid["message"]}
        assert invalid["message"].startswith("subscribe:")
        await app.send(json.dumps({"hello": 1}))
        assert (await receive(app))["code"] == "invalid_message"
        await app.send(json.dumps(["CP-OK"]))
        assert (await receive(app))["code"] == "invalid_message"
        await app.send(json.dumps({"subscribe": ["X" * 65]}))
        assert "subscribe.0" in (await receive(app))["message"]
        await app.send(json.dumps({"subscribe": ["CP-OK"]}))
        assert (await receive(app))["station"]["id"] == "CP-OK"


@sync_to_async
def many_stations(count: int) -> list[str]:
    ids = [f"MANY-{n:04d}" for n in range(count)]
    ChargingStation.objects.bulk_create(
        ChargingStation(charge_point_id=charge_point_id, registration_status=RegistrationStatus.ACCEPTED)
        for charge_point_id in ids
    )
    return ids


async def test_at_most_500_stations_are_watched(server, driver_token):
    ids = await many_stations(501)
    async with stream(server, await driver_token()) as app:
        await app.send(json.dumps({"subscribe": ids}))
        assert "no more than 500" in (await receive(app))["message"]  # a single message of more than 500
        await app.send(json.dumps({"subscribe": ids[:300]}))
        await app.send(json.dumps({"subscribe": ids[200:500]}))  # 100 already watched: 500 in all
        received = {(await receive(app))["station"]["id"] for _ in range(600)}
        assert received == set(ids[:500])
        await app.send(json.dumps({"subscribe": ids[500:]}))
        too_many = await receive(app)
        assert too_many["code"] == "too_many_subscriptions"
        await app.send(json.dumps({"unsubscribe": ids[:1], "subscribe": ids[500:]}))
        assert (await receive(app))["station"]["id"] == ids[500]


async def test_a_change_whose_event_was_lost_arrives_with_the_next_resync(transactional_db, driver_token, monkeypatch):
    """In-process: the database changes with no event published, as when the channel layer drops one."""
    monkeypatch.setattr(consumers, "RESYNC_SECONDS", 0.2)
    station = await provision_located("CP-QUIET")
    headers = [(b"authorization", f"Bearer {await driver_token()}".encode())]
    app = WebsocketCommunicator(
        JwtAuthMiddleware(consumers.StationStatusConsumer.as_asgi()), "/ws/v1/stations", headers=headers
    )
    assert (await app.connect())[0]
    await app.send_json_to({"subscribe": ["CP-QUIET"]})
    assert (await app.receive_json_from(timeout=5))["station"]["is_online"] is False
    await sync_to_async(ChargingStation.objects.filter(pk=station.pk).update)(connection_channel="elsewhere")
    assert (await app.receive_json_from(timeout=5))["station"]["is_online"] is True
    assert await app.receive_nothing(timeout=0.5)  # unchanged since: nothing more is sent
    await app.disconnect()
