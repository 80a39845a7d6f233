"""Reservations, the local authorization list, firmware updates and diagnostics of a simulated 1.6J charger.

These CSMS-initiated calls share a pattern: the answer comes at once, and
what it sets in motion shows up later as its own messages (StatusNotification
Reserved and back when a reservation ends, FirmwareStatusNotification and
DiagnosticsStatusNotification steps).  `ChargerServices16` is a mixin of SimulatedCharger.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from ocpp.routing import on
from ocpp.v16 import call, call_result
from ocpp.v16.enums import (
    Action,
    CancelReservationStatus,
    ChargePointStatus,
    DiagnosticsStatus,
    FirmwareStatus,
    ReservationStatus,
    UpdateStatus,
    UpdateType,
)

from simulator.base16 import ChargerBase16
from simulator.model import Connector, Reservation

# What an UpdateFirmware leads to, one StatusNotification per step.
FIRMWARE_STEPS = (
    FirmwareStatus.downloading,
    FirmwareStatus.downloaded,
    FirmwareStatus.installing,
    FirmwareStatus.installed,
)


class ChargerServices16(ChargerBase16):
    """Reservations, local list, firmware and diagnostics (see module docstring)."""

    @on(Action.reserve_now)
    def _on_reserve_now(
        self,
        connector_id: int,
        expiry_date: str,
        id_tag: str,
        reservation_id: int,
        parent_id_tag: str | None = None,
        **_: Any,
    ) -> call_result.ReserveNow:
        connector = self.connectors.get(connector_id)
        if connector is None:  # connector 0 too: ReserveConnectorZeroSupported is false
            return call_result.ReserveNow(ReservationStatus.rejected)
        if not connector.operative:
            return call_result.ReserveNow(ReservationStatus.unavailable)
        held = connector.reservation
        if connector.session is not None or (held is not None and held.reservation_id != reservation_id):
            return call_result.ReserveNow(ReservationStatus.occupied)
        self._drop_reservation(reservation_id)
        reservation = Reservation(reservation_id, id_tag, datetime.fromisoformat(expiry_date), parent_id_tag)
        connector.reservation = reservation
        self._after_reply(lambda: self._hold_reservation(connector, reservation))
        return call_result.ReserveNow(ReservationStatus.accepted)

    @on(Action.cancel_reservation)
    def _on_cancel_reservation(self, reservation_id: int, **_: Any) -> call_result.CancelReservation:
        connector = self._drop_reservation(reservation_id)
        if connector is None:
            return call_result.CancelReservation(CancelReservationStatus.rejected)
        self._after_reply(lambda: self._set_status(connector.connector_id, self._idle_status(connector)))
        return call_result.CancelReservation(CancelReservationStatus.accepted)

    @on(Action.send_local_list)
    def _on_send_local_list(
        self, list_version: int, update_type: str, local_authorization_list: list[dict] | None = None, **_: Any
    ) -> call_result.SendLocalList:
        entries = local_authorization_list or []
        if update_type == UpdateType.differential and list_version <= self.local_list_version:
            return call_result.SendLocalList(UpdateStatus.version_mismatch)
        updated = {} if update_type == UpdateType.full else dict(self.local_list)
        for entry in entries:
            if entry.get("id_tag_info") is None:
                updated.pop(entry["id_tag"], None)
            else:
                updated[entry["id_tag"]] = entry["id_tag_info"]
        if len(updated) > int(self.configuration["LocalAuthListMaxLength"].value):
            return call_result.SendLocalList(UpdateStatus.failed)
        self.local_list, self.local_list_version = updated, list_version
        return call_result.SendLocalList(UpdateStatus.accepted)

    @on(Action.get_local_list_version)
    def _on_get_local_list_version(self, **_: Any) -> call_result.GetLocalListVersion:
        return call_result.GetLocalListVersion(list_version=self.local_list_version)

    @on(Action.update_firmware)
    def _on_update_firmware(self, location: str, retrieve_date: str, **_: Any) -> call_result.UpdateFirmware:
        self._after_reply(lambda: self._update_firmware(datetime.fromisoformat(retrieve_date)))
        return call_result.UpdateFirmware()

    @on(Action.get_diagnostics)
    def _on_get_diagnostics(self, location: str, **_: Any) -> call_result.GetDiagnostics:
        file_name = f"diagnostics-{self.id}-{int(time.time())}.log"
        self._after_reply(self._upload_diagnostics)
        return call_result.GetDiagnostics(file_name=file_name)

    def _drop_reservation(self, reservation_id: int) -> Connector | None:
        """Forget a reservation wherever it is; returns the connector that held it."""
        for connector in self.connectors.values():
            if connector.reservation is not None and connector.reservation.reservation_id == reservation_id:
                connector.reservation = None
                return connector
        return None

    async def _hold_reservation(self, connector: Connector, reservation: Reservation) -> None:
        """Show Reserved until the reservation is used, cancelled or expires."""
        await self._set_status(connector.connector_id, ChargePointStatus.reserved)
        expiry = reservation.expiry if reservation.expiry.tzinfo else reservation.expiry.replace(tzinfo=UTC)
        await asyncio.sleep(max(0.0, (expiry - datetime.now(UTC)).total_seconds()))
        if connector.reservation is reservation:
            connector.reservation = None
            self.emit(f"reservation {reservation.reservation_id} expired")
            await self._set_status(connector.connector_id, self._idle_status(connector))

    async def _update_firmware(self, retrieve_date: datetime) -> None:
        when = retrieve_date if retrieve_date.tzinfo else retrieve_date.replace(tzinfo=UTC)
        await asyncio.sleep(max(0.0, (when - datetime.now(UTC)).total_seconds()))
        for status in FIRMWARE_STEPS:
            self.firmware_status = status
            await self._notify(call.FirmwareStatusNotification(status))
            await asyncio.sleep(self.options.step_delay)

    async def _upload_diagnostics(self) -> None:
        for status in (DiagnosticsStatus.uploading, DiagnosticsStatus.uploaded):
            self.diagnostics_status = status
            await self._notify(call.DiagnosticsStatusNotification(status))
            await asyncio.sleep(self.options.step_delay)
