"""A driver app's view of the server, for end-to-end tests: HTTP with a bearer token, and the live WebSocket."""

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import requests
from websockets.asyncio.client import connect


@dataclass
class Reply:
    status: int
    body: dict | list | str | None
    headers: Mapping[str, str] = field(default_factory=dict)


class DriverApp:
    def __init__(self, server, access: str | None = None):
        self.server = server
        self.access = access

    async def request(
        self, method: str, path: str, body: dict | None = None, headers: dict | None = None, **params
    ) -> Reply:
        return await asyncio.to_thread(self._request, method, path, body, headers or {}, params)

    def _request(self, method, path, body, headers, params) -> Reply:
        if self.access:
            headers = {"Authorization": f"Bearer {self.access}", **headers}
        response = requests.request(
            method, f"{self.server.http_url}{path}", json=body, headers=headers, params=params, timeout=30
        )
        kind = response.headers.get("Content-Type", "")
        payload = response.json() if kind.startswith("application/json") else (response.text or None)
        return Reply(response.status_code, payload, response.headers)  # case-insensitive, as HTTP header names are

    async def get(self, path: str, **params) -> Reply:
        return await self.request("GET", path, **params)

    async def post(self, path: str, body: dict | None = None, headers: dict | None = None) -> Reply:
        return await self.request("POST", path, body, headers)

    async def sign_up(self, email: str, password: str = "a-fine-password-42") -> dict:
        reply = await self.post("/api/v1/auth/signup", {"email": email, "password": password, "first_name": "Dana"})
        assert reply.status == 201, reply.body
        self.access = reply.body["tokens"]["access"]
        return reply.body

    def live(self, path: str):
        return connect(
            f"ws://127.0.0.1:{self.server.port}{path}",
            additional_headers={"Authorization": f"Bearer {self.access}"} if self.access else {},
            open_timeout=5,
        )


async def next_message(ws, timeout: float = 5.0) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def session_until(ws, predicate, timeout: float = 10.0) -> dict:
    """Read session messages until one satisfies `predicate`; return its session."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise AssertionError("no session message matched in time")
        message = await next_message(ws, remaining)
        if message.get("type") == "session" and predicate(message["session"]):
            return message["session"]
