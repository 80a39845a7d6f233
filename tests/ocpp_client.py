"""A raw OCPP-J client for tests: sends exactly the frames a test writes, byte for byte."""

import asyncio
import base64
import json
import uuid

from websockets.asyncio.client import ClientConnection, connect

STATION_PASSWORD = "a-long-station-password"


def basic_auth(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def open_socket(server, charge_point_id: str, password: str | None = STATION_PASSWORD, subprotocols=("ocpp1.6",)):
    headers = basic_auth(charge_point_id, password) if password is not None else {}
    return connect(
        f"{server.ocpp_url}/{charge_point_id}",
        subprotocols=list(subprotocols) or None,
        additional_headers=headers,
        open_timeout=5,
    )


async def call(ws: ClientConnection, action: str, payload: dict, unique_id: str | None = None) -> list:
    """Send a CALL and return the frame that answers it."""
    unique_id = unique_id or uuid.uuid4().hex[:12]
    await ws.send(json.dumps([2, unique_id, action, payload]))
    return await answer(ws)


async def answer(ws: ClientConnection, timeout: float = 5.0) -> list:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def no_answer(ws: ClientConnection, within: float = 0.5) -> bool:
    try:
        await asyncio.wait_for(ws.recv(), within)
    except TimeoutError:
        return True
    return False
