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

import asyncio
import itertools
import sys
from pathlib import Path
from typing import Any

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.datatypes import IdTagInfo
from ocpp.v16.enums import Action, AuthorizationStatus
from websockets.asyncio.server import ServerConnection

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests load this file by path, without bench/ on sys.path
from bare_csms_common import BareCentral, SaysYes, parse_args, raise_open_files_limit, serve_until_signalled

SUBPROTOCOL = "ocpp1.6"
ACCEPTED = IdTagInfo(status=AuthorizationStatus.accepted)


class BareChargePoint(SaysYes, ChargePoint):
    """The central system's side of one charger's connection; says yes to everything."""

    results = call_result

    @on(Action.authorize)
    def on_authorize(self, **_: Any) -> call_result.Authorize:
        return call_result.Authorize(id_tag_info=ACCEPTED)

    @on(Action.start_transaction)
    def on_start_transaction(self, **_: Any) -> call_result.StartTransaction:
        return call_result.StartTransaction(transaction_id=self.central.next_transaction_id(), id_tag_info=ACCEPTED)

    @on(Action.stop_transaction)
    def on_stop_transaction(self, **_: Any) -> call_result.StopTransaction:
        return call_result.StopTransaction(id_tag_info=ACCEPTED)

    @on(Action.diagnostics_status_notification)
    def on_diagnostics_status_notification(self, **_: Any) -> call_result.DiagnosticsStatusNotification:
        return call_result.DiagnosticsStatusNotification()


class BareCentralSystem(BareCentral):
    """The 1.6 central system; it also hands out the transaction ids 1.6 leaves to the CSMS."""

    subprotocol = SUBPROTOCOL

    def __init__(self, heartbeat_interval: int = 300) -> None:
        super().__init__(heartbeat_interval)
        self._transaction_ids = itertools.count(1)

    def next_transaction_id(self) -> int:
        return next(self._transaction_ids)

    def _new_charge_point(self, charge_point_id: str, connection: ServerConnection) -> BareChargePoint:
        return BareChargePoint(charge_point_id, connection, self)


def main() -> None:
    args = parse_args(__doc__, default_port=9000)
    raise_open_files_limit()
    central = BareCentralSystem(args.heartbeat_interval)
    asyncio.run(serve_until_signalled(central, args.host, args.port, "bare CSMS"))


if __name__ == "__main__":
    main()
