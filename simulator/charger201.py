"""A simulated OCPP 2.0.1 charging station, built on the `ocpp` package.

It plays the station's side of 2.0.1 well enough to exercise a CSMS end to
end: it boots (BootNotification with its modem), reports each EVSE's
connector status, authorizes idTokens, and runs transactions as a sequence
of TransactionEvents it names (a UUID) and numbers (seqNo from 0) with
believable meter values; events made while the link is down carry
`offline: true` and go out in order after reconnecting.  It answers the
CSMS-initiated calls as a real station does, and keeps a small device
model for GetVariables, SetVariables and reports.  Like the 1.6 simulator,
an action can be answered with a rejection or not at all, and nothing here
imports Django.

The class is assembled from one module per concept:
link201 (WebSocket, CALLs, offline queue), transactions201 (sessions as
TransactionEvents), handlers201 (remote control, availability, device
model, triggers), smartcharging201, services201 (reservations, local list,
firmware, logs), devicemodel201 and model201 (EVSEs, transactions).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable

from ocpp.v201 import call, call_result
from ocpp.v201.datatypes import MeterValueType
from ocpp.v201.enums import (
    BootReasonEnumType,
    EventNotificationEnumType,
    EventTriggerEnumType,
    FirmwareStatusEnumType,
    ReadingContextEnumType,
    ReasonEnumType,
    RegistrationStatusEnumType,
    ReservationUpdateStatusEnumType,
    SecurityEventType,
    UploadLogStatusEnumType,
)
from ocpp.v201.enums import TriggerReasonEnumType as Trigger

from simulator.devicemodel201 import apply_overrides, default_device_model
from simulator.errors import SimulatorError
from simulator.handlers201 import CsmsCalls201
from simulator.meter import Meter, utc_now
from simulator.model import ChargerOptions
from simulator.model201 import ChargerOptions201, Evse, Transaction, meter_value_201
from simulator.services201 import StationServices201
from simulator.smartcharging201 import SmartCharging201, StationProfiles
from simulator.transactions201 import Transactions201


class SimulatedCharger201(Transactions201, CsmsCalls201, SmartCharging201, StationServices201):
    """An OCPP 2.0.1 charging station: connect(), boot(), start_session(), stop_session(), close().

    `options.connectors` is the number of EVSEs, each with connector 1.
    `on_event(charge_point_id, text)` hears about notable events;
    `observer(action, seconds, outcome)` about every CALL it sends;
    `frames` keeps the raw traffic for assertions.
    """

    def __init__(
        self,
        charge_point_id: str,
        url: str,
        options: ChargerOptions | None = None,
        *,
        on_event: Callable[[str, str], None] | None = None,
        observer: Callable[[str, float, str], None] | None = None,
    ) -> None:
        super().__init__(charge_point_id, url, options or ChargerOptions201(), on_event=on_event, observer=observer)
        o = self.options
        self.evses = {n: Evse(n, self._new_meter(n)) for n in range(1, o.connectors + 1)}
        self.device_model = default_device_model(
            model=o.model,
            vendor=o.vendor,
            phases=o.phases,
            evses=o.connectors,
            power_w=o.power_w,
            connector_type=self._connector_type,
            measurands=o.measurands,
            tx_updated_interval=_number(o.meter_interval),
            message_timeout=_number(o.response_timeout),
            secured=o.password is not None,
            station_state=self._station_state,
            evse_state=lambda n: self.evses[n].connector_status(self.operative),
            local_list_size=lambda: len(self.local_list),
        )
        apply_overrides(self.device_model, o.config_overrides)
        self.profiles = StationProfiles(o.voltage_v, o.phases)
        self.operative = True  # the station as a whole
        self.scheduled_operative: bool | None = None  # station-wide ChangeAvailability waiting for idle
        self.completed_sessions: list[Transaction] = []
        self.local_list_version = 0
        self.local_list: dict[str, dict] = {}  # idToken → idTokenInfo (SendLocalList)
        self.auth_cache: dict[str, str] = {}  # idToken → status of the last Authorize
        self.boot_reason: str = BootReasonEnumType.power_up
        self.firmware_status: str = FirmwareStatusEnumType.idle
        self.firmware_request_id: int | None = None
        self.log_status: str = UploadLogStatusEnumType.idle
        self.log_request_id: int | None = None
        self._firmware_task: asyncio.Task | None = None
        self._log_task: asyncio.Task | None = None
        self._reset_pending = False  # Reset OnIdle answered Scheduled
        self._heartbeat: asyncio.Task | None = None
        self._aligned: asyncio.Task | None = None
        self._boot_now = asyncio.Event()
        self._event_ids = itertools.count(1)

    # ------------------------------------------------------------------ state

    @property
    def active_sessions(self) -> list[Transaction]:
        """Running transactions, not counting those being stopped."""
        return [evse.running for evse in self.evses.values() if evse.running is not None]

    # ------------------------------------------------------------------- boot

    async def boot(self) -> call_result.BootNotification:
        """BootNotification until Accepted, then heartbeats, the offline queue and every connector's status."""
        for _ in range(self.options.boot_attempts):
            result = await self._call(self._boot_notification())
            self.registration = result.status
            self.emit(f"boot {result.status}, interval {result.interval}s")
            if result.status == RegistrationStatusEnumType.accepted:
                if result.interval > 0:
                    self.device_model.find("OCPPCommCtrlr", "HeartbeatInterval").value = str(result.interval)
                self._restart_heartbeat()
                self._restart_aligned()
                await self._resume_sending()
                return result
            await self._wait_for_boot_retry(result.interval or self.options.boot_retry_interval)
        raise SimulatorError(f"not accepted after {self.options.boot_attempts} BootNotifications")

    async def reboot(self, reason: str = BootReasonEnumType.remote_reset) -> None:
        """Restart: end running transactions (ImmediateReset), close the socket, come back and boot with `reason`."""
        self._reset_pending = False
        for tx in self.active_sessions:
            await self.stop_session(tx.evse_id, reason=ReasonEnumType.immediate_reset)
        await self.send_security_event(SecurityEventType.reset_or_reboot, f"reset ({reason})")
        await self._disconnect()
        self.registration = None
        for task in (self._heartbeat, self._aligned):
            if task is not None:
                task.cancel()
        for evse in self.evses.values():
            evse.status = None  # reported afresh after the boot
        self.boot_reason = reason
        self.emit(f"rebooting ({reason})")
        await asyncio.sleep(self.options.step_delay)
        self._link_wanted = True
        await self._reconnect_loop(first_delay=0.0)

    def _boot_notification(self) -> call.BootNotification:
        o = self.options
        station = {
            "model": o.model,
            "vendor_name": o.vendor,
            "serial_number": o.serial_number or f"SN-{self.id}"[:25],
            "firmware_version": o.firmware_version,
            "modem": {"iccid": o.iccid, "imsi": o.imsi},
        }
        return call.BootNotification(charging_station=station, reason=self.boot_reason)

    async def _wait_for_boot_retry(self, delay: float) -> None:
        """Sleep until the next BootNotification, cut short by a TriggerMessage(BootNotification)."""
        self._boot_now.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._boot_now.wait(), delay)

    async def _resume_sending(self) -> None:
        """After boot or an outage: queued TransactionEvents first, then the current statuses."""
        if not self._flushing:
            await self._flush()
        for evse in self.evses.values():
            await self._update_status(evse, force=True)

    # ------------------------------------------------------- station messages

    async def set_faulted(self, evse_id: int, faulted: bool = True, *, tech_info: str | None = None) -> None:
        """A connector fault (or its end): a running transaction ends, StatusNotification, NotifyEvent Problem."""
        evse = self._evse(evse_id)
        if faulted and evse.running is not None:
            await self.stop_session(evse_id, reason=ReasonEnumType.other, trigger_reason=Trigger.abnormal_condition)
        evse.faulted = faulted
        if faulted and evse.reservation is not None:
            await self._end_reservation(evse, ReservationUpdateStatusEnumType.removed)
        await self._update_status(evse)
        event = {
            "event_id": next(self._event_ids),
            "timestamp": utc_now(),
            "trigger": EventTriggerEnumType.delta,
            "actual_value": "true" if faulted else "false",
            "event_notification_type": EventNotificationEnumType.hard_wired_notification,
            "component": {"name": "Connector", "evse": {"id": evse_id, "connector_id": evse.connector_id}},
            "variable": {"name": "Problem"},
            "cleared": not faulted or None,
            "tech_info": tech_info,
        }
        await self._notify(call.NotifyEvent(generated_at=utc_now(), seq_no=0, event_data=[event]))

    async def send_security_event(self, kind: str, tech_info: str | None = None) -> None:
        """SecurityEventNotification, e.g. ResetOrReboot or FirmwareUpdated."""
        await self._notify(call.SecurityEventNotification(type=kind, timestamp=utc_now(), tech_info=tech_info))

    async def _update_status(self, evse: Evse, *, force: bool = False) -> None:
        """StatusNotification when the connector's status changed (or when asked to repeat it)."""
        status = evse.connector_status(self.operative)
        if status == evse.status and not force:
            return
        evse.status = status
        await self._notify(
            call.StatusNotification(
                timestamp=utc_now(), connector_status=status, evse_id=evse.evse_id, connector_id=evse.connector_id
            )
        )

    def _station_state(self) -> str:
        return "Available" if self.operative else "Unavailable"

    def _restart_heartbeat(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        self._heartbeat = self._spawn(self._heartbeat_loop())

    async def _heartbeat_loop(self) -> None:
        while (interval := float(self._setting("OCPPCommCtrlr", "HeartbeatInterval"))) > 0:
            await asyncio.sleep(interval)
            await self._notify(call.Heartbeat())

    def _restart_aligned(self) -> None:
        if self._aligned is not None:
            self._aligned.cancel()
        self._aligned = self._spawn(self._aligned_loop())

    async def _aligned_loop(self) -> None:
        """Clock-aligned meter values every AlignedDataCtrlr.Interval seconds past the full hour (0: none)."""
        while (interval := float(self._setting("AlignedDataCtrlr", "Interval"))) > 0:
            await asyncio.sleep(interval - time.time() % interval)
            if not self._setting_bool("AlignedDataCtrlr", "Enabled"):
                continue
            for evse in self.evses.values():
                await self.send_meter_values(evse.evse_id, ReadingContextEnumType.sample_clock)

    # -------------------------------------------------------------- helpers

    def _retry_policy(self) -> tuple[int, float]:
        attempts = self._setting("OCPPCommCtrlr", "MessageAttempts", "TransactionEvent")
        interval = self._setting("OCPPCommCtrlr", "MessageAttemptInterval", "TransactionEvent")
        return int(attempts), float(interval)

    def _setting(self, component: str, name: str, instance: str | None = None) -> str:
        return self.device_model.value(component, name, instance)

    def _setting_bool(self, component: str, name: str) -> bool:
        return self._setting(component, name).lower() == "true"

    def _setting_list(self, component: str, name: str) -> list[str]:
        return [item.strip() for item in self._setting(component, name).split(",") if item.strip()]

    @property
    def _connector_type(self) -> str:
        """Plain 1.6 ChargerOptions work too; they lack the 2.0.1 fields."""
        return getattr(self.options, "connector_type", ChargerOptions201.connector_type)

    @property
    def _id_token_type(self) -> str:
        return getattr(self.options, "id_token_type", ChargerOptions201.id_token_type)

    def _sample(self, evse: Evse, context: str, component: str, variable: str) -> MeterValueType:
        """A meter reading with the measurands the device model lists for this purpose."""
        return meter_value_201(evse.meter.sample(context, self._setting_list(component, variable)))

    def _new_meter(self, evse_id: int) -> Meter:
        return Meter.for_charger(self.options, lambda: self._limit_w(evse_id))

    def _limit_w(self, evse_id: int) -> float | None:
        evse = self.evses.get(evse_id)
        tx = evse.transaction if evse is not None else None
        return self.profiles.limit_w(evse_id, tx.started if tx else None)

    def _evse(self, evse_id: int) -> Evse:
        try:
            return self.evses[evse_id]
        except KeyError:
            raise SimulatorError(f"{self.id} has no EVSE {evse_id}") from None

    def _running_transaction(self, evse_id: int | None) -> tuple[Evse, Transaction]:
        """The transaction to stop (on `evse_id`, or the first running) and its EVSE."""
        candidates = self.evses.values() if evse_id is None else [self._evse(evse_id)]
        for evse in candidates:
            if evse.running is not None:
                return evse, evse.running
        raise SimulatorError(f"{self.id} has no running transaction to stop")

    def _check_can_start(self, evse: Evse, token: str) -> None:
        if evse.transaction is not None:
            raise SimulatorError(f"EVSE {evse.evse_id} already has a transaction")
        if evse.faulted or not (evse.operative and self.operative):
            raise SimulatorError(f"EVSE {evse.evse_id} is unavailable")
        if evse.reservation is not None and not evse.reservation.admits(token):
            raise SimulatorError(f"EVSE {evse.evse_id} is reserved for another idToken")

    def _evse_for_start(self, evse_id: int | None, token: str) -> Evse | None:
        """The EVSE a RequestStartTransaction would use, or None when a real station would reject it."""
        candidates = list(self.evses.values()) if evse_id is None else [self.evses.get(evse_id)]
        for evse in candidates:
            if evse is None:
                continue
            try:
                self._check_can_start(evse, token)
            except SimulatorError:
                continue
            return evse
        return None


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
