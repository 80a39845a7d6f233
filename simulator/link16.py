"""The network side of a simulated OCPP 1.6J charger: the shared link, set up for 1.6.

The WebSocket, CALLs, frame log, reconnecting and the offline queue are
`ChargerLink`'s, shared with the 2.0.1 simulator; this adds what 1.6 does
its own way: its subprotocol and rejection statuses, a Basic auth password
that ChangeConfiguration(AuthorizationKey) can change, and transaction
messages built only when sent (a StopTransaction needs the transaction id
the CSMS may only have answered after an outage).  `SimulatedCharger`
builds the charger on top of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ocpp.v16 import ChargePoint
from ocpp.v16.enums import (
    Action,
    AvailabilityStatus,
    CancelReservationStatus,
    ChargingProfileStatus,
    ClearCacheStatus,
    ClearChargingProfileStatus,
    ConfigurationStatus,
    DataTransferStatus,
    GetCompositeScheduleStatus,
    RemoteStartStopStatus,
    ReservationStatus,
    ResetStatus,
    TriggerMessageStatus,
    UnlockStatus,
    UpdateStatus,
)

from simulator.link import ChargerLink
from simulator.offline_queue import Queued

SUBPROTOCOL = "ocpp1.6"
# What "reject" answers for actions whose response carries a status; the
# others (GetConfiguration, GetLocalListVersion, UpdateFirmware,
# GetDiagnostics) have nothing to reject with, so they get a NotSupported CALLERROR.
REJECTION_STATUS: dict[str, str] = {
    Action.cancel_reservation: CancelReservationStatus.rejected,
    Action.change_availability: AvailabilityStatus.rejected,
    Action.change_configuration: ConfigurationStatus.rejected,
    Action.clear_cache: ClearCacheStatus.rejected,
    Action.clear_charging_profile: ClearChargingProfileStatus.unknown,
    Action.data_transfer: DataTransferStatus.rejected,
    Action.get_composite_schedule: GetCompositeScheduleStatus.rejected,
    Action.remote_start_transaction: RemoteStartStopStatus.rejected,
    Action.remote_stop_transaction: RemoteStartStopStatus.rejected,
    Action.reserve_now: ReservationStatus.rejected,
    Action.reset: ResetStatus.rejected,
    Action.send_local_list: UpdateStatus.failed,
    Action.set_charging_profile: ChargingProfileStatus.rejected,
    Action.trigger_message: TriggerMessageStatus.rejected,
    Action.unlock_connector: UnlockStatus.unlock_failed,
}


class ChargerLink16(ChargerLink, ChargePoint):
    """The shared link, speaking 1.6 (see module docstring)."""

    subprotocol = SUBPROTOCOL
    rejection_status = REJECTION_STATUS
    queued_noun = "transaction message"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.password = self.options.password  # ChangeConfiguration(AuthorizationKey) changes it

    def _basic_auth_password(self) -> str | None:
        return self.password

    async def _send_transaction_message(
        self, build: Callable[[], Any | None], on_result: Callable[[Any], None] | None = None
    ) -> bool:
        """Queue a message built only at send time, so it can use a transaction id learnt meanwhile.

        Returns True once delivered, False when it stays queued for later (or was given up).
        """
        return await self._enqueue(build, on_result)

    def _payload(self, item: Queued) -> Any | None:
        """Build the queued message now; None when there is nothing to send any more."""
        return item.message()
