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

import asyncio
import sys
from pathlib import Path
from typing import Any

from ocpp.routing import on
from ocpp.v201 import ChargePoint, call_result
from ocpp.v201.enums import Action, AuthorizationStatusEnumType
from websockets.asyncio.server import ServerConnection

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests load this file by path, without bench/ on sys.path
from bare_csms_common import BareCentral, SaysYes, parse_args, serve_until_signalled

SUBPROTOCOL = "ocpp2.0.1"
ACCEPTED = {"status": AuthorizationStatusEnumType.accepted}


class BareChargePoint201(SaysYes, ChargePoint):
    """The central system's side of one station's connection; says yes to everything."""

    results = call_result

    @on(Action.authorize)
    def on_authorize(self, **_: Any) -> call_result.Authorize:
        return call_result.Authorize(id_token_info=ACCEPTED)

    @on(Action.transaction_event)
    def on_transaction_event(self, id_token: dict | None = None, **_: Any) -> call_result.TransactionEvent:
        """idTokenInfo only when the event carries an idToken, as the spec asks."""
        return call_result.TransactionEvent(id_token_info=ACCEPTED if id_token is not None else None)

    @on(Action.notify_report)
    def on_notify_report(self, **_: Any) -> call_result.NotifyReport:
        return call_result.NotifyReport()

    @on(Action.notify_event)
    def on_notify_event(self, **_: Any) -> call_result.NotifyEvent:
        return call_result.NotifyEvent()

    @on(Action.security_event_notification)
    def on_security_event_notification(self, **_: Any) -> call_result.SecurityEventNotification:
        return call_result.SecurityEventNotification()

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


class BareCentralSystem201(BareCentral):
    """Keeps the connected stations by id, so in-process tests can send CSMS-initiated calls."""

    subprotocol = SUBPROTOCOL

    def _new_charge_point(self, charge_point_id: str, connection: ServerConnection) -> BareChargePoint201:
        return BareChargePoint201(charge_point_id, connection, self)


def main() -> None:
    args = parse_args(__doc__, default_port=9001)
    central = BareCentralSystem201(args.heartbeat_interval)
    asyncio.run(serve_until_signalled(central, args.host, args.port, "bare OCPP 2.0.1 CSMS"))


if __name__ == "__main__":
    main()
