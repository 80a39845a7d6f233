"""Refused handshakes through a real server: the HTTP status a charger hears, rate limits on
guessing, bad paths, what operators see, and keepalive that never cuts a live connection."""

import asyncio
import os

import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from csms.ocpp.models import RefusedConnection
from stations.models import ChargingStation, NetworkSettings
from tests.conftest import AsgiServer, eventually, server_env
from tests.conftest import _wait_until_all_stations_offline as wait_until_all_stations_offline
from tests.ocpp_client import call, open_socket

pytestmark = pytest.mark.e2e

BOOT = {"chargePointVendor": "ABB", "chargePointModel": "Terra AC"}


async def refusal(server, charge_point_id: str, **kwargs):
    """The HTTP response that refused the handshake."""
    with pytest.raises(InvalidStatus) as error:
        async with open_socket(server, charge_point_id, **kwargs):
            pass
    return error.value.response


async def refusal_of_path(server, path: str):
    with pytest.raises(InvalidStatus) as error:
        async with connect(f"ws://127.0.0.1:{server.port}{path}", subprotocols=["ocpp1.6"], open_timeout=5):
            pass
    return error.value.response


def log_size(server) -> int:
    return os.path.getsize(server.log.name)


def log_since(server, offset: int) -> str:
    with open(server.log.name) as log:
        log.seek(offset)
        return log.read()


# --- item 29: 401 for missing or wrong credentials ---------------------------------------


async def test_missing_and_wrong_credentials_are_answered_401_with_a_basic_challenge(server, make_station):
    await make_station("CP-401")
    for response in (
        await refusal(server, "CP-401", password="not-the-password"),
        await refusal(server, "CP-401", password=None),
    ):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Basic ")
    async with open_socket(server, "CP-401") as ws:  # the right password still opens the door
        assert (await call(ws, "BootNotification", BOOT))[2]["status"] == "Accepted"


# --- item 3: unknown ids look like wrong passwords; per-station and per-address limits ------


async def test_an_unknown_station_id_is_refused_exactly_like_a_wrong_password(server, make_station):
    await make_station("CP-KNOWN")
    known = await refusal(server, "CP-KNOWN", password="a-guessed-password")
    unknown = await refusal(server, "CP-UNKNOWN", password="a-guessed-password")
    assert known.status_code == unknown.status_code == 401
    assert known.body == unknown.body
    assert known.headers["WWW-Authenticate"] == unknown.headers["WWW-Authenticate"]


async def test_the_eleventh_attempt_after_ten_wrong_passwords_is_429_even_with_the_right_one(server, make_station):
    await make_station("CP-GUESSED")
    for attempt in range(10):
        assert (await refusal(server, "CP-GUESSED", password=f"guess-{attempt}")).status_code == 401
    limited = await refusal(server, "CP-GUESSED")  # the right password
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    await make_station("CP-NEIGHBOUR")  # another station is not affected by CP-GUESSED's lock-out
    async with open_socket(server, "CP-NEIGHBOUR") as ws:
        assert (await call(ws, "Heartbeat", {}))[0] == 3


# --- item 7: bad paths are a 4xx and one log line, never a 500 ------------------------------


@pytest.mark.parametrize(
    "path, status",
    [
        ("/ocpp/../x", 404),
        ("/ocpp/%2E%2E%2Fx", 404),
        ("/ocpp/a%2Fb", 404),
        ("/ocpp/CP%00X", 400),
        ("/ocpp/CP%0AX", 400),
        ("/no/such/socket", 404),
        ("/ws/v1/nothing-here", 404),
    ],
)
async def test_a_bad_path_is_a_refused_handshake_and_one_log_line(server, transactional_db, path, status):
    offset = log_size(server)
    assert (await refusal_of_path(server, path)).status_code == status
    await asyncio.sleep(0.2)  # the server writes its log line as it answers
    log = log_since(server, offset)
    assert "refused" in log and "Traceback" not in log and " 500" not in log


async def test_an_over_long_id_is_refused_even_with_auto_registration(server, transactional_db):
    await sync_to_async(NetworkSettings.objects.update_or_create)(pk=1, defaults={"auto_register_stations": True})
    too_long = "X" * 65  # ChargingStation.charge_point_id holds 64
    assert (await refusal(server, too_long, password="first-use-password")).status_code == 400
    assert not await sync_to_async(ChargingStation.objects.filter(charge_point_id__startswith="XXX").exists)()
    async with open_socket(server, "X" * 64, password="first-use-password") as ws:  # the longest id still registers
        assert (await call(ws, "BootNotification", BOOT))[2]["status"] == "Pending"


async def test_no_supported_subprotocol_is_answered_400(server, make_station):
    await make_station("CP-OCPP15")
    assert (await refusal(server, "CP-OCPP15", subprotocols=("ocpp1.5",))).status_code == 400
    assert (await refusal(server, "CP-OCPP15", subprotocols=())).status_code == 400


# --- item 33: refused attempts are visible to operators, aggregated --------------------------


async def test_refused_attempts_are_recorded_once_per_id_address_and_reason(server, make_station):
    await make_station("CP-AUDIT")
    await refusal(server, "CP-AUDIT", password="wrong-one")
    await refusal(server, "CP-AUDIT", password="wrong-two")
    await refusal(server, "CP-NOBODY")
    await refusal(server, "CP-AUDIT", subprotocols=("ocpp1.2",))

    def recorded() -> dict:
        return {
            (row.charge_point_id, row.reason): (row.attempts, row.client_address)
            for row in RefusedConnection.objects.filter(charge_point_id__in=["CP-AUDIT", "CP-NOBODY"])
        }

    assert await sync_to_async(recorded)() == {
        ("CP-AUDIT", "wrong_password"): (2, "127.0.0.1"),
        ("CP-NOBODY", "unknown_station"): (1, "127.0.0.1"),
        ("CP-AUDIT", "no_subprotocol"): (1, "127.0.0.1"),
    }


# --- a server of its own: tiny keepalive and address limits ---------------------------------

PING_INTERVAL, PING_TIMEOUT = 0.3, 0.6


@pytest.fixture(scope="module")
def tuned_asgi_server(django_db_setup, django_db_blocker, localstripe):
    """Its own cache prefix: its address counters start at zero whatever other tests refused."""
    with django_db_blocker.unblock():
        env = server_env(STRIPE_API_BASE=localstripe.url)
    env.update(
        CHANNEL_LAYER_PREFIX=f"{env['CHANNEL_LAYER_PREFIX']}-tuned",
        OCPP_HANDSHAKE_FAILURES_PER_ADDRESS="3",
        OCPP_WS_PING_INTERVAL=str(PING_INTERVAL),
        OCPP_WS_PING_TIMEOUT=str(PING_TIMEOUT),
    )
    server = AsgiServer(env)
    yield server
    server.stop()


@pytest.fixture
def tuned_server(tuned_asgi_server, transactional_db):
    yield tuned_asgi_server
    wait_until_all_stations_offline()


# --- item 19: no timer of ours cuts a connection; pings find dead peers ----------------------


async def test_an_idle_charger_that_answers_pings_stays_connected(tuned_server, make_station):
    await make_station("CP-IDLE")
    async with open_socket(tuned_server, "CP-IDLE") as ws:
        await call(ws, "BootNotification", BOOT)
        await asyncio.sleep(10 * (PING_INTERVAL + PING_TIMEOUT))  # many keepalive rounds, no frame of ours
        assert (await call(ws, "Heartbeat", {}))[0] == 3
        station = await sync_to_async(ChargingStation.objects.get)(charge_point_id="CP-IDLE")
        assert station.connection_channel


async def test_a_peer_that_stops_answering_pings_is_disconnected(tuned_server, make_station):
    await make_station("CP-DEAD-LINK")
    async with open_socket(tuned_server, "CP-DEAD-LINK") as ws:
        await call(ws, "BootNotification", BOOT)
        ws.transport.pause_reading()  # the link goes dead: no pong ever comes back

        def offline():
            """the server dropped the dead link and marked the station offline"""
            return ChargingStation.objects.get(charge_point_id="CP-DEAD-LINK").connection_channel == ""

        await eventually(offline, timeout=10)
        ws.transport.resume_reading()


# --- item 3: the address limit, last: it locks 127.0.0.1 out of the tuned server -------------


async def test_too_many_refusals_from_one_address_are_429_for_every_station(tuned_server, make_station):
    await make_station("CP-BEHIND-NAT")
    for number in range(3):
        assert (await refusal(tuned_server, f"CP-SPRAYED-{number}")).status_code == 401
    limited = await refusal(tuned_server, "CP-BEHIND-NAT")  # right password, but from the same address
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    rows = await sync_to_async(list)(RefusedConnection.objects.filter(reason="rate_limited"))
    assert [(row.charge_point_id, row.attempts) for row in rows] == [("CP-BEHIND-NAT", 1)]
