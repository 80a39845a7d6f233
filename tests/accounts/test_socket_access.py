"""A driver's live sockets end with the driver's access: at the token's expiry, at sign-out everywhere,
at a password change and when the account is deactivated — and only that driver's."""

import asyncio
import json
import time
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from rest_framework_simplejwt.tokens import AccessToken
from websockets.exceptions import ConnectionClosed

from sessions.models import DriverSession, IdTag
from stations.models import Connector
from stations.services.connections import provision_station
from tests.api_client import DriverApp, next_message
from tests.ocpp_client import STATION_PASSWORD

pytestmark = pytest.mark.e2e


@sync_to_async
def active_session(email: str) -> int:
    """An active session of the driver on its own station, as the app would watch it."""
    driver = get_user_model().objects.get(username=email)
    station = provision_station(charge_point_id=f"CP-{driver.pk}", password=STATION_PASSWORD, evse_count=1)
    session = DriverSession.objects.create(
        driver=driver,
        id_tag=IdTag.objects.get(owner=driver),
        station=station,
        connector=Connector.objects.get(evse__station=station),
        state=DriverSession.State.ACTIVE,
    )
    return session.pk


async def signed_up_watching(server, email: str):
    """A signed-up driver, its refresh token, and its session socket after the first state."""
    app = DriverApp(server)
    account = await app.sign_up(email)
    session_id = await active_session(email)
    socket = await app.live(f"/ws/v1/sessions/{session_id}")
    assert (await next_message(socket))["session"]["state"] == "active"
    return app, account["tokens"]["refresh"], socket


@sync_to_async
def token_issued_seconds_ago(email: str, seconds: int) -> str:
    token = AccessToken.for_user(get_user_model().objects.get(username=email))
    token["iat"] = int(time.time()) - seconds
    return str(token)


async def close_code(socket, timeout: float = 5.0) -> int:
    """Wait for the server to close the socket (any state message before it is skipped)."""

    async def drain():
        try:
            while True:
                await socket.recv()
        except ConnectionClosed as closed:
            return closed.rcvd.code

    return await asyncio.wait_for(drain(), timeout)


async def still_streaming(socket) -> bool:
    """The station stream answers a subscription: the socket is open and served."""
    await socket.send(json.dumps({"subscribe": ["NO-SUCH"]}))
    return (await next_message(socket))["code"] == "station_not_found"


async def test_a_socket_closes_with_4401_when_its_token_expires(server):
    app = DriverApp(server)
    await app.sign_up("brief@example.com")
    session_id = await active_session("brief@example.com")
    token = AccessToken.for_user(await sync_to_async(get_user_model().objects.get)(username="brief@example.com"))
    token.set_exp(lifetime=timedelta(seconds=2))
    app.access = str(token)
    async with app.live(f"/ws/v1/sessions/{session_id}") as session, app.live("/ws/v1/stations") as stations:
        assert (await next_message(session))["session"]["state"] == "active"
        assert await still_streaming(stations)
        assert await close_code(session) == 4401
        assert await close_code(stations) == 4401


async def test_sign_out_everywhere_closes_the_drivers_sockets_at_once_and_no_one_elses(server):
    app, refresh, session = await signed_up_watching(server, "dana@example.com")
    other, _, others_session = await signed_up_watching(server, "sam@example.com")
    async with app.live("/ws/v1/stations") as stations, other.live("/ws/v1/stations") as others_stations:
        assert await still_streaming(stations) and await still_streaming(others_stations)
        signed_out = await app.post("/api/v1/auth/logout", {"refresh": refresh, "everywhere": True})
        assert signed_out.status == 204, signed_out.body
        assert await close_code(session) == 4401
        assert await close_code(stations) == 4401
        assert await still_streaming(others_stations)
        await others_session.ping()  # the other driver's session socket is open too
    await others_session.close()
    app.access = await token_issued_seconds_ago("dana@example.com", 2)
    async with app.live("/ws/v1/stations") as again:
        assert await close_code(again) == 4401  # a token from before the sign-out opens no new socket


async def test_a_password_change_closes_the_drivers_sockets(server):
    app, _, session = await signed_up_watching(server, "dana@example.com")
    changed = await app.post(
        "/api/v1/me/password", {"current_password": "a-fine-password-42", "new_password": "a-new-password-43"}
    )
    assert changed.status == 200, changed.body
    assert await close_code(session) == 4401


async def test_deactivating_the_account_closes_its_sockets(server):
    _, _, session = await signed_up_watching(server, "dana@example.com")

    @sync_to_async
    def deactivate() -> None:  # what an operator does in the admin, from another process than the server
        driver = get_user_model().objects.get(username="dana@example.com")
        driver.is_active = False
        driver.save()

    await deactivate()
    assert await close_code(session) == 4401


async def test_sign_out_everywhere_closes_a_station_stream_that_is_the_drivers_only_socket(server):
    """The station stream hears the revocation itself (not through a session socket in the same
    process closing its siblings): it closes before its own periodic re-check could."""
    app = DriverApp(server)
    account = await app.sign_up("solo@example.com")
    async with app.live("/ws/v1/stations") as stations:
        assert await still_streaming(stations)
        signed_out = await app.post(
            "/api/v1/auth/logout", {"refresh": account["tokens"]["refresh"], "everywhere": True}
        )
        assert signed_out.status == 204, signed_out.body
        assert await close_code(stations, timeout=5.0) == 4401
