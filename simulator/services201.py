"""Reservations, the local authorization list, firmware updates and log uploads of a simulated 2.0.1 station.

These CSMS-initiated calls share a pattern: the answer comes at once, and
what it sets in motion shows up later as its own messages (StatusNotification
Reserved, ReservationStatusUpdate when a reservation expires,
FirmwareStatusNotification and LogStatusNotification steps carrying the
requestId).  `StationServices201` is a mixin of SimulatedCharger201.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from ocpp.routing import on
from ocpp.v201 import call, call_result
from ocpp.v201.enums import (
    Action,
    CancelReservationStatusEnumType,
    FirmwareStatusEnumType,
    LogStatusEnumType,
    ReservationUpdateStatusEnumType,
    ReserveNowStatusEnumType,
    SecurityEventType,
    SendLocalListStatusEnumType,
    UpdateEnumType,
    UpdateFirmwareStatusEnumType,
    UploadLogStatusEnumType,
)

from simulator.base201 import StationBase201
from simulator.model import Reservation
from simulator.model201 import Evse

LOCAL_LIST_CAPACITY = 1000


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def _sleep_until(moment: datetime) -> None:
    await asyncio.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()))


class StationServices201(StationBase201):
    """CSMS-initiated reservation, local list, firmware and log calls; state lives in SimulatedCharger201."""

    # ------------------------------------------------------------ reservations

    def _reservation_refusal(self, evse: Evse, reservation_id: int) -> str | None:
        """Why this EVSE cannot take the reservation (a ReserveNowStatus), or None."""
        if evse.faulted:
            return ReserveNowStatusEnumType.faulted
        if not (evse.operative and self.operative):
            return ReserveNowStatusEnumType.unavailable
        held = evse.reservation
        if evse.plugged or evse.transaction is not None or (held is not None and held.reservation_id != reservation_id):
            return ReserveNowStatusEnumType.occupied
        return None

    @on(Action.reserve_now)
    def _on_reserve_now(
        self,
        id: int,
        expiry_date_time: str,
        id_token: dict,
        connector_type: str | None = None,
        evse_id: int | None = None,
        group_id_token: dict | None = None,
        **_: Any,
    ) -> call_result.ReserveNow:
        """An EVSE-less reservation is pinned to the first free EVSE, which is how many stations do it."""
        if not self._setting_bool("ReservationCtrlr", "Enabled"):
            return call_result.ReserveNow(ReserveNowStatusEnumType.rejected, status_info={"reason_code": "NotEnabled"})
        if connector_type not in (None, self._connector_type):
            info = {"reason_code": "UnknownConnectorType"}
            return call_result.ReserveNow(ReserveNowStatusEnumType.rejected, status_info=info)
        if evse_id is not None and evse_id not in self.evses:
            return call_result.ReserveNow(ReserveNowStatusEnumType.rejected, status_info={"reason_code": "UnknownEvse"})
        candidates = [self.evses[evse_id]] if evse_id is not None else list(self.evses.values())
        refusals = [self._reservation_refusal(evse, id) for evse in candidates]
        if None not in refusals:
            return call_result.ReserveNow(refusals[0])
        evse = candidates[refusals.index(None)]
        self._drop_reservation(id)
        group = group_id_token["id_token"] if group_id_token else None
        reservation = Reservation(id, id_token["id_token"], _parse_time(expiry_date_time), group)
        evse.reservation = reservation
        self._after_reply(lambda: self._hold_reservation(evse, reservation))
        return call_result.ReserveNow(ReserveNowStatusEnumType.accepted)

    @on(Action.cancel_reservation)
    def _on_cancel_reservation(self, reservation_id: int, **_: Any) -> call_result.CancelReservation:
        evse = self._drop_reservation(reservation_id)
        if evse is None:
            return call_result.CancelReservation(CancelReservationStatusEnumType.rejected)
        self._after_reply(lambda: self._update_status(evse))
        return call_result.CancelReservation(CancelReservationStatusEnumType.accepted)

    def _drop_reservation(self, reservation_id: int) -> Evse | None:
        """Forget a reservation wherever it is; returns the EVSE that held it."""
        for evse in self.evses.values():
            if evse.reservation is not None and evse.reservation.reservation_id == reservation_id:
                evse.reservation = None
                return evse
        return None

    async def _hold_reservation(self, evse: Evse, reservation: Reservation) -> None:
        """Show Reserved until the reservation is used, cancelled or expires (then ReservationStatusUpdate)."""
        await self._update_status(evse)
        await _sleep_until(reservation.expiry)
        if evse.reservation is reservation:
            self.emit(f"reservation {reservation.reservation_id} expired")
            await self._end_reservation(evse, ReservationUpdateStatusEnumType.expired)

    async def _end_reservation(self, evse: Evse, why: str) -> None:
        """A reservation the station itself ends (expired, or removed because the EVSE went out of service)."""
        reservation, evse.reservation = evse.reservation, None
        if reservation is None:
            return
        await self._notify(call.ReservationStatusUpdate(reservation.reservation_id, why))
        await self._update_status(evse)

    # -------------------------------------------------------- local auth list

    @on(Action.send_local_list)
    def _on_send_local_list(
        self, version_number: int, update_type: str, local_authorization_list: list[dict] | None = None, **_: Any
    ) -> call_result.SendLocalList:
        if not self._setting_bool("LocalAuthListCtrlr", "Enabled"):
            info = {"reason_code": "NotEnabled"}
            return call_result.SendLocalList(SendLocalListStatusEnumType.failed, status_info=info)
        if update_type == UpdateEnumType.differential and version_number <= self.local_list_version:
            return call_result.SendLocalList(SendLocalListStatusEnumType.version_mismatch)
        updated = {} if update_type == UpdateEnumType.full else dict(self.local_list)
        for entry in local_authorization_list or []:
            token, token_info = entry["id_token"]["id_token"], entry.get("id_token_info")
            if token_info is None:
                updated.pop(token, None)
            else:
                updated[token] = token_info
        if len(updated) > LOCAL_LIST_CAPACITY:
            info = {"reason_code": "OutOfStorage"}
            return call_result.SendLocalList(SendLocalListStatusEnumType.failed, status_info=info)
        self.local_list, self.local_list_version = updated, version_number
        return call_result.SendLocalList(SendLocalListStatusEnumType.accepted)

    @on(Action.get_local_list_version)
    def _on_get_local_list_version(self, **_: Any) -> call_result.GetLocalListVersion:
        return call_result.GetLocalListVersion(version_number=self.local_list_version)

    # ---------------------------------------------------------------- firmware

    @on(Action.update_firmware)
    def _on_update_firmware(self, request_id: int, firmware: dict, **_: Any) -> call_result.UpdateFirmware:
        """A new request cancels one in progress (AcceptedCanceled), as the spec has it."""
        running = self._firmware_task
        status = UpdateFirmwareStatusEnumType.accepted
        if running is not None and not running.done():
            running.cancel()
            status = UpdateFirmwareStatusEnumType.accepted_canceled
        self._after_reply(lambda: self._update_firmware(request_id, firmware))
        return call_result.UpdateFirmware(status)

    async def _update_firmware(self, request_id: int, firmware: dict) -> None:
        """Download (when retrieveDateTime comes), verify, install (when installDateTime comes)."""
        self._firmware_task = asyncio.current_task()
        self.firmware_request_id = request_id
        retrieve = _parse_time(firmware["retrieve_date_time"])
        if retrieve > datetime.now(UTC):
            await self._firmware_step(FirmwareStatusEnumType.download_scheduled)
            await _sleep_until(retrieve)
        await self._firmware_step(FirmwareStatusEnumType.downloading)
        await self._firmware_step(FirmwareStatusEnumType.downloaded)
        if firmware.get("signature"):
            await self._firmware_step(FirmwareStatusEnumType.signature_verified)
        install = firmware.get("install_date_time")
        if install and _parse_time(install) > datetime.now(UTC):
            await self._firmware_step(FirmwareStatusEnumType.install_scheduled)
            await _sleep_until(_parse_time(install))
        await self._firmware_step(FirmwareStatusEnumType.installing)
        await self._firmware_step(FirmwareStatusEnumType.installed)
        await self.send_security_event(SecurityEventType.firmware_updated, f"request {request_id}")

    async def _firmware_step(self, status: str) -> None:
        self.firmware_status = status
        await self._notify(call.FirmwareStatusNotification(status, request_id=self.firmware_request_id))
        await asyncio.sleep(self.options.step_delay)

    async def _send_firmware_status(self) -> None:
        """For TriggerMessage: Idle (without requestId) once nothing is going on."""
        busy = self._firmware_task is not None and not self._firmware_task.done()
        status = self.firmware_status if busy else FirmwareStatusEnumType.idle
        request_id = self.firmware_request_id if busy else None
        await self._notify(call.FirmwareStatusNotification(status, request_id=request_id))

    # -------------------------------------------------------------------- logs

    @on(Action.get_log)
    def _on_get_log(self, log: dict, log_type: str, request_id: int, **_: Any) -> call_result.GetLog:
        running = self._log_task
        status = LogStatusEnumType.accepted
        if running is not None and not running.done():
            running.cancel()
            status = LogStatusEnumType.accepted_canceled
        filename = f"{log_type}-{self.id}-{int(time.time())}.log"
        self._after_reply(lambda: self._upload_log(request_id))
        return call_result.GetLog(status, filename=filename)

    async def _upload_log(self, request_id: int) -> None:
        self._log_task = asyncio.current_task()
        self.log_request_id = request_id
        for status in (UploadLogStatusEnumType.uploading, UploadLogStatusEnumType.uploaded):
            self.log_status = status
            await self._notify(call.LogStatusNotification(status, request_id=request_id))
            await asyncio.sleep(self.options.step_delay)

    async def _send_log_status(self) -> None:
        busy = self._log_task is not None and not self._log_task.done()
        status = self.log_status if busy else UploadLogStatusEnumType.idle
        await self._notify(call.LogStatusNotification(status, request_id=self.log_request_id if busy else None))
