"""A simulated OCPP 1.6J charge point, built on the `ocpp` package.

It plays the charger's side of the protocol well enough to exercise a CSMS
end to end: it boots, reports connector statuses, runs charging sessions
with believable meter values, survives network outages with an ordered
queue of transaction messages, and answers the CSMS-initiated calls the way
a real charger would (including the follow-up messages those calls cause).
For negative tests an action can be answered with a rejection or not at
all.  Nothing here imports Django, so it runs from a plain script, a load
generator or a test.

The class is assembled from one module per concept, as its 2.0.1 twin is:
link16 (WebSocket, CALLs, offline queue), transactions16 (sessions),
handlers16 (remote control, availability, configuration, triggers),
smartcharging16, services16 (reservations, local list, firmware,
diagnostics), base16 (what the parts share) and model (connectors, sessions).
This module is the charger itself: its state, boot, heartbeat and connectors.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from ocpp.v16 import call, call_result
from ocpp.v16.enums import (
    ChargePointErrorCode,
    ChargePointStatus,
    DiagnosticsStatus,
    FirmwareStatus,
    Reason,
    RegistrationStatus,
)

from simulator.errors import SimulatorError
from simulator.handlers16 import CsmsCalls16
from simulator.meter import Meter, utc_now
from simulator.model import ChargerOptions, Connector, Session, default_configuration
from simulator.profiles import ChargingProfiles
from simulator.services16 import ChargerServices16
from simulator.smartcharging16 import SmartCharging16
from simulator.transactions16 import Transactions16


class SimulatedCharger(Transactions16, CsmsCalls16, SmartCharging16, ChargerServices16):
    """An OCPP 1.6J charge point: connect(), boot(), start_session(), stop_session(), close().

    `on_event(charge_point_id, text)` hears about notable events (boot,
    sessions, outages, CSMS calls); `observer(action, seconds, outcome)` is
    told about every CALL it sends, with outcome one of ok, error, timeout,
    offline, cancelled.  `frames` keeps the raw traffic for assertions.
    The WebSocket, CALL and offline-queue machinery is `ChargerLink`'s.
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
        super().__init__(charge_point_id, url, options or ChargerOptions(), on_event=on_event, observer=observer)
        self.configuration = default_configuration(self.options)
        self.charging_profiles = ChargingProfiles(self.options.voltage_v, self.options.phases)
        self.connectors = {n: Connector(n, self._new_meter(n)) for n in range(1, self.options.connectors + 1)}
        self.operative = True  # connector 0, the charge point as a whole
        self.completed_sessions: list[Session] = []
        self.local_list_version = 0
        self.local_list: dict[str, dict | None] = {}
        self.firmware_status: str = FirmwareStatus.idle
        self.diagnostics_status: str = DiagnosticsStatus.idle
        self._heartbeat: asyncio.Task | None = None
        self._boot_now = asyncio.Event()

    # ------------------------------------------------------------------ state

    @property
    def active_sessions(self) -> list[Session]:
        return [c.session for c in self.connectors.values() if c.session is not None]

    # ------------------------------------------------------------------- boot

    async def boot(self) -> call_result.BootNotification:
        """BootNotification until Accepted, then heartbeats, the offline queue and every connector's status."""
        for _ in range(self.options.boot_attempts):
            result = await self._call(self._boot_notification())
            self.registration = result.status
            self.emit(f"boot {result.status}, interval {result.interval}s")
            if result.status == RegistrationStatus.accepted:
                if result.interval > 0:
                    self.configuration["HeartbeatInterval"].value = str(result.interval)
                self._restart_heartbeat()
                await self._resume_sending()
                return result
            await self._wait_for_boot_retry(result.interval or self.options.boot_retry_interval)
        raise SimulatorError(f"not accepted after {self.options.boot_attempts} BootNotifications")

    async def reboot(self, reason: str = Reason.reboot) -> None:
        """Power-cycle: stop running sessions, close the socket, come back and boot again."""
        for session in self.active_sessions:
            if not session.stopping.is_set():
                await self.stop_session(session.connector_id, reason=reason)
        await self._disconnect()
        self.registration = None
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        self.emit(f"rebooting ({reason})")
        await asyncio.sleep(self.options.step_delay)
        self._link_wanted = True
        await self._reconnect_loop(first_delay=0.0)

    # -------------------------------------------------------------- helpers

    def _boot_notification(self) -> call.BootNotification:
        o = self.options
        serial = o.serial_number or f"SN-{self.id}"[:25]
        return call.BootNotification(
            charge_point_model=o.model,
            charge_point_vendor=o.vendor,
            charge_point_serial_number=serial,
            charge_box_serial_number=serial,
            firmware_version=o.firmware_version,
            iccid=o.iccid,
            imsi=o.imsi,
            meter_type=o.meter_type,
            meter_serial_number=f"M-{serial}"[:25],
        )

    def _new_meter(self, connector_id: int) -> Meter:
        return Meter.for_charger(self.options, lambda: self._limit_w(connector_id))

    def _limit_w(self, connector_id: int) -> float | None:
        connector = self.connectors.get(connector_id)
        session = connector.session if connector is not None else None
        return self.charging_profiles.limit_w(connector_id, session.started if session else None)

    def _config_float(self, key: str) -> float:
        return float(self.configuration[key].value)

    def _config_bool(self, key: str) -> bool:
        return self.configuration[key].value.lower() == "true"

    def _measurands(self) -> list[str]:
        return [item.strip() for item in self.configuration["MeterValuesSampledData"].value.split(",")]

    def _connector(self, connector_id: int) -> Connector:
        try:
            return self.connectors[connector_id]
        except KeyError:
            raise SimulatorError(f"{self.id} has no connector {connector_id}") from None

    def _running_session(self, connector_id: int | None) -> tuple[Connector, Session]:
        """The session to stop (on `connector_id`, or the first running) and its connector."""
        candidates = self.connectors.values() if connector_id is None else [self._connector(connector_id)]
        for connector in candidates:
            if connector.session is not None and not connector.session.stopping.is_set():
                return connector, connector.session
        raise SimulatorError(f"{self.id} has no running session to stop")

    def _check_can_start(self, connector: Connector, id_tag: str) -> None:
        if connector.session is not None:
            raise SimulatorError(f"connector {connector.connector_id} already has a session")
        if not (connector.operative and self.operative):
            raise SimulatorError(f"connector {connector.connector_id} is unavailable")
        if connector.reservation is not None and not connector.reservation.admits(id_tag):
            raise SimulatorError(f"connector {connector.connector_id} is reserved for another id tag")

    def _connector_for_remote_start(self, connector_id: int | None, id_tag: str) -> Connector | None:
        """The connector a RemoteStartTransaction would use, or None when a real charger would reject it."""
        candidates = list(self.connectors.values()) if connector_id is None else [self.connectors.get(connector_id)]
        for connector in candidates:
            if connector is None:
                continue
            try:
                self._check_can_start(connector, id_tag)
            except SimulatorError:
                continue
            return connector
        return None

    def _idle_status(self, connector: Connector) -> str:
        if not (connector.operative and self.operative):
            return ChargePointStatus.unavailable
        if connector.reservation is not None:
            return ChargePointStatus.reserved
        return ChargePointStatus.available

    def _charge_point_status(self) -> str:
        return ChargePointStatus.available if self.operative else ChargePointStatus.unavailable

    async def _set_status(self, connector_id: int, status: str) -> None:
        if connector_id in self.connectors:
            self.connectors[connector_id].status = status
        await self._notify(
            call.StatusNotification(
                connector_id=connector_id, error_code=ChargePointErrorCode.no_error, status=status, timestamp=utc_now()
            )
        )

    async def _report_idle_status(self, connector: Connector) -> None:
        """The status a connector shows without a session, as it stands when this runs."""
        await self._set_status(connector.connector_id, self._idle_status(connector))

    async def _report_statuses(self) -> None:
        """Tell the CSMS where every connector stands (after boot and after an outage)."""
        await self._set_status(0, self._charge_point_status())
        for connector in self.connectors.values():
            await self._set_status(connector.connector_id, connector.status)

    def _restart_heartbeat(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        self._heartbeat = self._spawn(self._heartbeat_loop())

    async def _heartbeat_loop(self) -> None:
        while (interval := self._config_float("HeartbeatInterval")) > 0:
            await asyncio.sleep(interval)
            await self._notify(call.Heartbeat())

    async def _wait_for_boot_retry(self, delay: float) -> None:
        """Sleep until the next BootNotification, cut short by a TriggerMessage(BootNotification)."""
        self._boot_now.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._boot_now.wait(), delay)

    async def _resume_sending(self) -> None:
        """After boot or an outage: queued transaction messages first, then the current statuses."""
        if not self._flushing:
            await self._flush()
        await self._report_statuses()

    def _retry_policy(self) -> tuple[float, float]:
        return self._config_float("TransactionMessageAttempts"), self._config_float("TransactionMessageRetryInterval")

    async def _send_triggered_boot(self, _: int | None) -> None:
        if self.online:
            await self._notify(self._boot_notification())
        else:
            self._boot_now.set()  # wakes the Pending boot loop
