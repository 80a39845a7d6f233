"""A simulated OCPP 1.6J charger for the browser tier: the real frames a charger sends, in a real order.

It answers whatever the central system asks of it (the configuration read after
boot, a command an operator's button sent) so no CALL of the server hangs on it,
and each of its own CALLs waits for the answer with the same unique id.
"""

import asyncio
import json
import uuid
from datetime import UTC, datetime

from websockets.exceptions import ConnectionClosed

from tests.ocpp_client import open_socket

BOOT = {"chargePointVendor": "Voltstack", "chargePointModel": "Browser tier", "firmwareVersion": "1.0.0"}
# What the charger answers to each CALL of the central system; anything else is simply accepted.
ANSWERS = {"GetConfiguration": {"configurationKey": [], "unknownKey": []}}


def now() -> str:
    """The charger's clock: each frame is stamped when it is sent, so statuses arrive in order."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Charger:
    def __init__(self, ws):
        self.ws = ws
        self.pending: dict[str, asyncio.Future] = {}
        self.received: list[str] = []  # the actions the central system called, in order
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, server, charge_point_id: str, password: str) -> "Charger":
        """Open the socket and boot; the station must be Accepted, or the test has no charger."""
        charger = cls(await open_socket(server, charge_point_id, password))
        boot = await charger.call("BootNotification", BOOT)
        assert boot["status"] == "Accepted", boot
        return charger

    async def call(self, action: str, payload: dict, timeout: float = 5.0) -> dict:
        unique_id = uuid.uuid4().hex[:12]
        answered = self.pending[unique_id] = asyncio.get_running_loop().create_future()
        await self.ws.send(json.dumps([2, unique_id, action, payload]))
        frame = await asyncio.wait_for(answered, timeout)
        assert frame[0] == 3, f"{action} was answered with {frame}"
        return frame[2]

    async def status(self, connector_id: int, status: str, error_code: str = "NoError", **extra: str) -> None:
        await self.call(
            "StatusNotification",
            {"connectorId": connector_id, "status": status, "errorCode": error_code, "timestamp": now(), **extra},
        )

    async def start(self, connector_id: int, id_tag: str, meter_wh: int = 0) -> int:
        """A driver's start as a charger reports it: plugged in, card read, transaction, charging."""
        await self.status(connector_id, "Preparing")
        assert (await self.call("Authorize", {"idTag": id_tag}))["idTagInfo"]["status"] == "Accepted"
        started = await self.call(
            "StartTransaction",
            {"connectorId": connector_id, "idTag": id_tag, "meterStart": meter_wh, "timestamp": now()},
        )
        assert started["idTagInfo"]["status"] == "Accepted", started
        await self.status(connector_id, "Charging")
        return started["transactionId"]

    async def meter(self, connector_id: int, transaction_id: int, wh: int, power_w: int, soc: int) -> None:
        sampled = [
            {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
            {"value": str(power_w), "measurand": "Power.Active.Import", "unit": "W"},
            {"value": str(soc), "measurand": "SoC", "unit": "Percent", "location": "EV"},
        ]
        await self.call(
            "MeterValues",
            {
                "connectorId": connector_id,
                "transactionId": transaction_id,
                "meterValue": [{"timestamp": now(), "sampledValue": sampled}],
            },
        )

    async def stop(self, connector_id: int, transaction_id: int, id_tag: str, meter_wh: int) -> None:
        """The driver ends the session and unplugs: Finishing, then Available again."""
        await self.call(
            "StopTransaction",
            {
                "transactionId": transaction_id,
                "idTag": id_tag,
                "meterStop": meter_wh,
                "timestamp": now(),
                "reason": "Local",
            },
        )
        await self.status(connector_id, "Finishing")
        await self.status(connector_id, "Available")

    async def close(self) -> None:
        await self.ws.close()
        await self.reader

    async def _read(self) -> None:
        try:
            async for text in self.ws:
                frame = json.loads(text)
                if frame[0] == 2:
                    self.received.append(frame[2])
                    await self.ws.send(json.dumps([3, frame[1], ANSWERS.get(frame[2], {"status": "Accepted"})]))
                elif frame[1] in self.pending:
                    self.pending.pop(frame[1]).set_result(frame)
        except ConnectionClosed:
            pass
