"""A raw OCPP-J client for tests: sends exactly the frames a test writes, byte for byte.

After an Accepted BootNotification the central system reads the station's
configuration (GetConfiguration, or 2.0.1 GetBaseReport): a raw client leaves
those follow-ups unanswered, and `answer`/`no_answer` pass over them unless a
test asks for them (`follow_ups=True`).
"""

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


# The CALLs the central system sends of its own accord once a boot is Accepted.
BOOT_FOLLOW_UPS = frozenset({"GetConfiguration", "GetBaseReport"})


def is_follow_up(frame: list) -> bool:
    return len(frame) > 2 and frame[0] == 2 and frame[2] in BOOT_FOLLOW_UPS


async def answer(ws: ClientConnection, timeout: float = 5.0, *, follow_ups: bool = False) -> list:
    """The next frame from the server (passing over boot follow-ups, unless asked for)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), deadline - asyncio.get_running_loop().time()))
        if follow_ups or not is_follow_up(frame):
            return frame


async def no_answer(ws: ClientConnection, within: float = 0.5) -> bool:
    """Nothing but boot follow-ups arrives within the time."""
    try:
        await answer(ws, within)
    except TimeoutError:
        return True
    return False
