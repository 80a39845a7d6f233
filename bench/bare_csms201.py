"""A bare OCPP 2.0.1 central system: the `ocpp` package on `websockets`, nothing else.

The 2.0.1 counterpart of bench/bare_csms.py.  It accepts any station on
/ocpp/<charge_point_id> with subprotocol ocpp2.0.1, answers every message a
2.0.1 station initiates (BootNotification Accepted, Authorize and
TransactionEvent idTokens Accepted, every notification acknowledged) and
persists nothing.  The `ocpp` library validates what arrives and what it
answers against the 2.0.1 schemas, so a station that sends a malformed
message gets a CALLERROR.  Tests run it in-process to send CSMS-initiated
calls through `BareCentralSystem201.charge_points`.

    python bench/bare_csms201.py --port 9001
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

from ocpp.routing import on
from ocpp.v201 import ChargePoint, call_result
from ocpp.v201.enums import Action, AuthorizationStatusEnumType, DataTransferStatusEnumType, RegistrationStatusEnumType
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

PATH_PREFIX = "/ocpp/"
SUBPROTOCOL = "ocpp2.0.1"
ACCEPTED = {"status": AuthorizationStatusEnumType.accepted}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


class BareChargePoint201(ChargePoint):
    """The central system's side of one station's connection; says yes to everything."""

    def __init__(self, charge_point_id: str, connection: ServerConnection, central: BareCentralSystem201) -> None:
        super().__init__(charge_point_id, connection)
        self.central = central

    @on(Action.boot_notification)
    def on_boot_notification(self, **_: Any) -> call_result.BootNotification:
        return call_result.BootNotification(
            current_time=_now(), interval=self.central.heartbeat_interval, status=RegistrationStatusEnumType.accepted
        )

    @on(Action.heartbeat)
    def on_heartbeat(self, **_: Any) -> call_result.Heartbeat:
        return call_result.Heartbeat(current_time=_now())

    @on(Action.status_notification)
    def on_status_notification(self, **_: Any) -> call_result.StatusNotification:
        return call_result.StatusNotification()

    @on(Action.authorize)
    def on_authorize(self, **_: Any) -> call_result.Authorize:
        return call_result.Authorize(id_token_info=ACCEPTED)

    @on(Action.transaction_event)
    def on_transaction_event(self, id_token: dict | None = None, **_: Any) -> call_result.TransactionEvent:
        """idTokenInfo only when the event carries an idToken, as the spec asks."""
        return call_result.TransactionEvent(id_token_info=ACCEPTED if id_token is not None else None)

    @on(Action.meter_values)
    def on_meter_values(self, **_: Any) -> call_result.MeterValues:
        return call_result.MeterValues()

    @on(Action.notify_report)
    def on_notify_report(self, **_: Any) -> call_result.NotifyReport:
        return call_result.NotifyReport()

    @on(Action.notify_event)
    def on_notify_event(self, **_: Any) -> call_result.NotifyEvent:
        return call_result.NotifyEvent()

    @on(Action.security_event_notification)
    def on_security_event_notification(self, **_: Any) -> call_result.SecurityEventNotification:
        return call_result.SecurityEventNotification()

    @on(Action.firmware_status_notification)
    def on_firmware_status_notification(self, **_: Any) -> call_result.FirmwareStatusNotification:
        return call_result.FirmwareStatusNotification()

    @on(Action.log_status_notification)
    def on_log_status_notification(self, **_: Any) -> call_result.LogStatusNotification:
        return call_result.LogStatusNotification()

    @on(Action.reservation_status_update)
    def on_reservation_status_update(self, **_: Any) -> call_result.ReservationStatusUpdate:
        return call_result.ReservationStatusUpdate()

    @on(Action.report_charging_profiles)
    def on_report_charging_profiles(self, **_: Any) -> call_result.ReportChargingProfiles:
        return call_result.ReportChargingProfiles()

    @on(Action.notify_charging_limit)
    def on_notify_charging_limit(self, **_: Any) -> call_result.NotifyChargingLimit:
        return call_result.NotifyChargingLimit()

    @on(Action.cleared_charging_limit)
    def on_cleared_charging_limit(self, **_: Any) -> call_result.ClearedChargingLimit:
        return call_result.ClearedChargingLimit()

    @on(Action.data_transfer)
    def on_data_transfer(self, **_: Any) -> call_result.DataTransfer:
        return call_result.DataTransfer(status=DataTransferStatusEnumType.accepted)


class BareCentralSystem201:
    """Keeps the connected stations by id, so in-process tests can send CSMS-initiated calls."""

    def __init__(self, heartbeat_interval: int = 300) -> None:
        self.heartbeat_interval = heartbeat_interval
        self.charge_points: dict[str, BareChargePoint201] = {}

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
        charge_point = BareChargePoint201(charge_point_id, connection, self)
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


async def _serve_until_signalled(host: str, port: int, heartbeat_interval: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with BareCentralSystem201(heartbeat_interval).serve(host, port) as server:
        print(f"bare OCPP 2.0.1 CSMS listening on ws://{host}:{port}{PATH_PREFIX}<charge_point_id>", flush=True)
        await stop.wait()
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9001)
    parser.add_argument("--heartbeat-interval", type=int, default=300, help="seconds, sent in BootNotification")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(_serve_until_signalled(args.host, args.port, args.heartbeat_interval))


if __name__ == "__main__":
    main()
