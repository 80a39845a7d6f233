"""What the bare 1.6 and 2.0.1 central systems share, so each file holds only its version's answers.

Both accept any charger on /ocpp/<charge_point_id>, keep the connected ones
by id for in-process tests, say yes to the messages both versions spell
alike (BootNotification, Heartbeat, StatusNotification, MeterValues,
FirmwareStatusNotification, DataTransfer) and run until SIGINT or SIGTERM.
Like the two scripts, it uses the `ocpp` package on `websockets`, nothing else.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import signal
from datetime import UTC, datetime
from types import ModuleType
from typing import Any
from urllib.parse import unquote

from ocpp.charge_point import ChargePoint
from ocpp.routing import on
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

PATH_PREFIX = "/ocpp/"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class SaysYes:
    """Mixed in before a version's ChargePoint: the central system's answers that read the same in both versions.

    Routes are plain action names, which 1.6 and 2.0.1 share; `results` is the
    version's call_result module, as the payload classes differ.
    """

    results: ModuleType

    def __init__(self, charge_point_id: str, connection: ServerConnection, central: BareCentral) -> None:
        super().__init__(charge_point_id, connection)
        self.central = central

    @on("BootNotification")
    def on_boot_notification(self, **_: Any) -> Any:
        return self.results.BootNotification(
            current_time=now(), interval=self.central.heartbeat_interval, status="Accepted"
        )

    @on("Heartbeat")
    def on_heartbeat(self, **_: Any) -> Any:
        return self.results.Heartbeat(current_time=now())

    @on("StatusNotification")
    def on_status_notification(self, **_: Any) -> Any:
        return self.results.StatusNotification()

    @on("MeterValues")
    def on_meter_values(self, **_: Any) -> Any:
        return self.results.MeterValues()

    @on("FirmwareStatusNotification")
    def on_firmware_status_notification(self, **_: Any) -> Any:
        return self.results.FirmwareStatusNotification()

    @on("DataTransfer")
    def on_data_transfer(self, **_: Any) -> Any:
        return self.results.DataTransfer(status="Accepted")


class BareCentral:
    """Keeps the connected chargers by id, so in-process tests can send CSMS-initiated calls."""

    subprotocol: str

    def __init__(self, heartbeat_interval: int = 300) -> None:
        self.heartbeat_interval = heartbeat_interval
        self.charge_points: dict[str, ChargePoint] = {}

    def serve(self, host: str, port: int) -> Any:
        """The websockets server (use with `async with`)."""
        return serve(self._handle, host, port, subprotocols=[self.subprotocol], process_request=self._check_path)

    def _new_charge_point(self, charge_point_id: str, connection: ServerConnection) -> ChargePoint:
        """The version's charge point; looked up at each connection so tests can swap the class."""
        raise NotImplementedError

    @staticmethod
    def _check_path(connection: ServerConnection, request: Request) -> Response | None:
        if not _charge_point_id(request.path):
            return connection.respond(404, "Connect to /ocpp/<charge_point_id>\n")
        return None

    async def _handle(self, connection: ServerConnection) -> None:
        charge_point_id = _charge_point_id(connection.request.path)
        charge_point = self._new_charge_point(charge_point_id, connection)
        self.charge_points[charge_point_id] = charge_point
        try:
            await charge_point.start()
        except ConnectionClosed:
            pass
        finally:
            if self.charge_points.get(charge_point_id) is charge_point:
                del self.charge_points[charge_point_id]


def _charge_point_id(path: str) -> str:
    path = path.split("?", 1)[0]
    return unquote(path[len(PATH_PREFIX) :]) if path.startswith(PATH_PREFIX) else ""


def raise_open_files_limit() -> None:
    """One socket per charger: a thousand chargers need more than the usual 1024 descriptors."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 65_536 if hard == resource.RLIM_INFINITY else hard
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def parse_args(doc: str, default_port: int) -> argparse.Namespace:
    """The command line both scripts take; also sets up logging, as both want only warnings."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=default_port)
    parser.add_argument("--heartbeat-interval", type=int, default=300, help="seconds, sent in BootNotification")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    return args


async def serve_until_signalled(central: BareCentral, host: str, port: int, name: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with central.serve(host, port) as server:
        print(f"{name} listening on ws://{host}:{port}{PATH_PREFIX}<charge_point_id>", flush=True)
        await stop.wait()
        server.close()
