"""A bare OCPP 1.6J central system: the `ocpp` package on `websockets`, nothing else.

It is the baseline for bench/ocpp_load.py.  It accepts any charger on
/ocpp/<charge_point_id> with subprotocol ocpp1.6, answers every message a
1.6 charger initiates (BootNotification Accepted, Authorize Accepted,
StartTransaction with incrementing ids, ...) and persists nothing, so the
same load against it and against Voltstack shows what Voltstack's own work
(authentication, database, channel layer) costs.

    python bench/bare_csms.py --port 9000
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import resource
import signal
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.datatypes import IdTagInfo
from ocpp.v16.enums import Action, AuthorizationStatus, DataTransferStatus, RegistrationStatus
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

PATH_PREFIX = "/ocpp/"
SUBPROTOCOL = "ocpp1.6"
ACCEPTED = IdTagInfo(status=AuthorizationStatus.accepted)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


class BareChargePoint(ChargePoint):
    """The central system's side of one charger's connection; says yes to everything."""

    def __init__(self, charge_point_id: str, connection: ServerConnection, central: BareCentralSystem) -> None:
        super().__init__(charge_point_id, connection)
        self.central = central

    @on(Action.boot_notification)
    def on_boot_notification(self, **_: Any) -> call_result.BootNotification:
        return call_result.BootNotification(
            current_time=_now(), interval=self.central.heartbeat_interval, status=RegistrationStatus.accepted
        )

    @on(Action.heartbeat)
    def on_heartbeat(self, **_: Any) -> call_result.Heartbeat:
        return call_result.Heartbeat(current_time=_now())

    @on(Action.status_notification)
    def on_status_notification(self, **_: Any) -> call_result.StatusNotification:
        return call_result.StatusNotification()

    @on(Action.authorize)
    def on_authorize(self, **_: Any) -> call_result.Authorize:
        return call_result.Authorize(id_tag_info=ACCEPTED)

    @on(Action.start_transaction)
    def on_start_transaction(self, **_: Any) -> call_result.StartTransaction:
        return call_result.StartTransaction(transaction_id=self.central.next_transaction_id(), id_tag_info=ACCEPTED)

    @on(Action.meter_values)
    def on_meter_values(self, **_: Any) -> call_result.MeterValues:
        return call_result.MeterValues()

    @on(Action.stop_transaction)
    def on_stop_transaction(self, **_: Any) -> call_result.StopTransaction:
        return call_result.StopTransaction(id_tag_info=ACCEPTED)

    @on(Action.data_transfer)
    def on_data_transfer(self, **_: Any) -> call_result.DataTransfer:
        return call_result.DataTransfer(status=DataTransferStatus.accepted)

    @on(Action.diagnostics_status_notification)
    def on_diagnostics_status_notification(self, **_: Any) -> call_result.DiagnosticsStatusNotification:
        return call_result.DiagnosticsStatusNotification()

    @on(Action.firmware_status_notification)
    def on_firmware_status_notification(self, **_: Any) -> call_result.FirmwareStatusNotification:
        return call_result.FirmwareStatusNotification()


class BareCentralSystem:
    """Keeps the connected chargers by id, so in-process tests can send CSMS-initiated calls."""

    def __init__(self, heartbeat_interval: int = 300) -> None:
        self.heartbeat_interval = heartbeat_interval
        self.charge_points: dict[str, BareChargePoint] = {}
        self._transaction_ids = itertools.count(1)

    def next_transaction_id(self) -> int:
        return next(self._transaction_ids)

    def serve(self, host: str, port: int) -> Any:
        """The websockets server (use with `async with`)."""
        return serve(self._handle, host, port, subprotocols=[SUBPROTOCOL], process_request=self._check_path)

    @staticmethod
    def _check_path(connection: ServerConnection, request: Request) -> Response | None:
        if not _charge_point_id(request.path):
            return connection.respond(404, "Connect to /ocpp/<charge_point_id>\n")
        return None

    async def _handle(self, connection: ServerConnection) -> None:
        charge_point_id = _charge_point_id(connection.request.path)
        charge_point = BareChargePoint(charge_point_id, connection, self)
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
    return unquote(path[len(PATH_PREFIX):]) if path.startswith(PATH_PREFIX) else ""


def raise_open_files_limit() -> None:
    """One socket per charger: a thousand chargers need more than the usual 1024 descriptors."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 65_536 if hard == resource.RLIM_INFINITY else hard
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


async def _serve_until_signalled(host: str, port: int, heartbeat_interval: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with BareCentralSystem(heartbeat_interval).serve(host, port) as server:
        print(f"bare CSMS listening on ws://{host}:{port}{PATH_PREFIX}<charge_point_id>", flush=True)
        await stop.wait()
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--heartbeat-interval", type=int, default=300, help="seconds, sent in BootNotification")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    raise_open_files_limit()
    asyncio.run(_serve_until_signalled(args.host, args.port, args.heartbeat_interval))


if __name__ == "__main__":
    main()
