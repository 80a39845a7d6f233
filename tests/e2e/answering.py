"""A raw charger for command tests: boots, then answers every CALL it receives and keeps
the exact text of each, so a test asserts the frame byte for byte."""

import asyncio
import json

from websockets.exceptions import ConnectionClosed

from tests.ocpp_client import call, open_socket

BOOT16 = {"chargePointVendor": "Voltstack", "chargePointModel": "Raw"}
BOOT201 = {"reason": "PowerUp", "chargingStation": {"vendorName": "Voltstack", "model": "Raw"}}


class AnsweringCharger:
    def __init__(self, ws, answers: dict[str, dict] | None = None):
        self.ws = ws
        self.answers = answers or {}
        self.received: list[str] = []  # the text of every CALL from the server
        self.task: asyncio.Task | None = None

    @classmethod
    async def connect(cls, server, charge_point_id: str, *, version: str = "1.6", boot: bool = True, answers=None):
        ws = await open_socket(
            server, charge_point_id, subprotocols=("ocpp2.0.1",) if version == "2.0.1" else ("ocpp1.6",)
        )
        charger = cls(ws, answers)
        if boot:
            charger.boot_status = (await call(ws, "BootNotification", BOOT201 if version == "2.0.1" else BOOT16))[2][
                "status"
            ]
        charger.task = asyncio.create_task(charger._answer())
        return charger

    async def _answer(self) -> None:
        try:
            async for text in self.ws:
                frame = json.loads(text)
                if frame[0] == 2:
                    self.received.append(text)
                    await self.ws.send(json.dumps([3, frame[1], self.answers.get(frame[2], {"status": "Accepted"})]))
        except ConnectionClosed:
            pass

    def calls(self, action: str) -> list[str]:
        """The payloads of the CALLs of this action received, as the exact JSON text sent."""
        return [json.dumps(json.loads(text)[3]) for text in self.received if json.loads(text)[2] == action]

    async def close(self) -> None:
        await self.ws.close()
        if self.task:
            await self.task
