"""The network side of a simulated OCPP 2.0.1 station: the shared link, set up for 2.0.1.

`StationLink201` is the part of the simulator that knows nothing about
charging.  The WebSocket, CALLs, frame log, reconnecting and the offline
queue are `ChargerLink`'s, shared with the 1.6 simulator; this adds what
2.0.1 does differently: its subprotocol and rejection statuses, a Basic
auth password that SetVariables can change, and TransactionEvents that are
complete when made (the station names transactions), so the queue can tell
which transactions still wait.  `SimulatedCharger201` builds the station on
top of it and supplies `boot()`, `_resume_sending()` and `_retry_policy()`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ocpp.v201 import ChargePoint, call
from ocpp.v201.enums import Action

from simulator.link import ChargerLink

SUBPROTOCOL = "ocpp2.0.1"
# What "reject" answers for actions whose response carries a status; the others
# (GetVariables, SetVariables, GetLocalListVersion, GetTransactionStatus) get a NotSupported CALLERROR.
REJECTION_STATUS: dict[str, str] = {
    Action.cancel_reservation: "Rejected",
    Action.change_availability: "Rejected",
    Action.clear_cache: "Rejected",
    Action.clear_charging_profile: "Unknown",
    Action.data_transfer: "Rejected",
    Action.get_base_report: "Rejected",
    Action.get_charging_profiles: "NoProfiles",
    Action.get_composite_schedule: "Rejected",
    Action.get_log: "Rejected",
    Action.get_report: "Rejected",
    Action.request_start_transaction: "Rejected",
    Action.request_stop_transaction: "Rejected",
    Action.reserve_now: "Rejected",
    Action.reset: "Rejected",
    Action.send_local_list: "Failed",
    Action.set_charging_profile: "Rejected",
    Action.trigger_message: "Rejected",
    Action.unlock_connector: "UnlockFailed",
    Action.update_firmware: "Rejected",
}


class StationLink201(ChargerLink, ChargePoint):
    """The shared link, speaking 2.0.1 (see module docstring)."""

    subprotocol = SUBPROTOCOL
    rejection_status = REJECTION_STATUS
    queued_noun = "TransactionEvent"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.password = self.options.password  # SetVariables(SecurityCtrlr.BasicAuthPassword) changes it

    def queued_for(self, transaction_id: str | None = None) -> bool:
        """Whether messages of this transaction (any, when None) still wait to be delivered."""
        return any(transaction_id in (None, item.message.transaction_info["transaction_id"]) for item in self._tx_queue)

    async def _send_transaction_event(
        self, payload: call.TransactionEvent, on_result: Callable[[Any], None] | None = None
    ) -> bool:
        """Queued like every transaction message, so TransactionEvents reach the CSMS in seqNo order."""
        return await self._enqueue(payload, on_result)

    def _basic_auth_password(self) -> str | None:
        return self.password
