"""A simulated OCPP 1.6J charge point, built on the `ocpp` package.

It plays the charger's side of the protocol well enough to exercise a CSMS
end to end: it boots, reports connector statuses, runs charging sessions
with believable meter values, survives network outages with an ordered
queue of transaction messages, and answers the CSMS-initiated calls the way
a real charger would (including the follow-up messages those calls cause).
For negative tests an action can be answered with a rejection or not at
all.  The module deliberately imports nothing from Django so it runs from a
plain script, a load generator or a test.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ocpp.exceptions import OCPPError
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.datatypes import KeyValue, MeterValue
from ocpp.v16.enums import (
    Action,
    AuthorizationStatus,
    AvailabilityStatus,
    AvailabilityType,
    CancelReservationStatus,
    ChargePointErrorCode,
    ChargePointStatus,
    ChargingProfilePurposeType,
    ChargingProfileStatus,
    ChargingRateUnitType,
    ClearCacheStatus,
    ClearChargingProfileStatus,
    ConfigurationStatus,
    DataTransferStatus,
    DiagnosticsStatus,
    FirmwareStatus,
    GetCompositeScheduleStatus,
    MessageTrigger,
    ReadingContext,
    Reason,
    RegistrationStatus,
    RemoteStartStopStatus,
    ReservationStatus,
    ResetStatus,
    ResetType,
    TriggerMessageStatus,
    UnlockStatus,
    UpdateStatus,
    UpdateType,
)
from websockets.exceptions import ConnectionClosed

from simulator.link import CONNECT_ERRORS as CONNECT_ERRORS  # re-exported: fleet and bench import it here
from simulator.link import ChargerLink, LinkDown, Queued, SimulatorError
from simulator.meter import Meter, ocpp_time, utc_now
from simulator.model import (
    ChargerOptions,
    Connector,
    Reservation,
    Session,
    authorization_key_password,
    default_configuration,
)
from simulator.profiles import ChargingProfiles

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


class AuthorizationRejected(SimulatorError):
    """The CSMS refused the id tag, so no session started."""


# What an UpdateFirmware leads to, one StatusNotification per step.
FIRMWARE_STEPS = (
    FirmwareStatus.downloading,
    FirmwareStatus.downloaded,
    FirmwareStatus.installing,
    FirmwareStatus.installed,
)


class SimulatedCharger(ChargerLink, ChargePoint):
    """An OCPP 1.6J charge point: connect(), boot(), start_session(), stop_session(), close().

    `on_event(charge_point_id, text)` hears about notable events (boot,
    sessions, outages, CSMS calls); `observer(action, seconds, outcome)` is
    told about every CALL it sends, with outcome one of ok, error, timeout,
    offline, cancelled.  `frames` keeps the raw traffic for assertions.
    The WebSocket, CALL and offline-queue machinery is `ChargerLink`'s.
    """

    subprotocol = SUBPROTOCOL
    rejection_status = REJECTION_STATUS
    queued_noun = "transaction message"

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
        self.password = self.options.password  # ChangeConfiguration(AuthorizationKey) changes it

    # ------------------------------------------------------------------ state

    def _basic_auth_password(self) -> str | None:
        return self.password

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

    # --------------------------------------------------------------- sessions

    async def start_session(
        self, connector_id: int = 1, id_tag: str | None = None, *, authorize: bool = True
    ) -> Session:
        """Plug in an EV and charge: Preparing, Authorize, StartTransaction, Charging, then periodic MeterValues."""
        connector = self._connector(connector_id)
        id_tag = id_tag or self.options.id_tag
        self._check_can_start(connector, id_tag)
        session = connector.session = Session(connector_id, id_tag)
        await self._set_status(connector_id, ChargePointStatus.preparing)
        if authorize and not await self._authorize(id_tag):
            connector.session = None
            await self._set_status(connector_id, self._idle_status(connector))
            raise AuthorizationRejected(f"id tag {id_tag} refused")
        if connector.reservation is not None:
            session.reservation_id = connector.reservation.reservation_id
            connector.reservation = None
        connector.meter.plug_in(self.options.soc_start)
        session.started = datetime.now(UTC)
        session.meter_start_wh = connector.meter.meter_wh
        session.begin_sample = connector.meter.sample(ReadingContext.transaction_begin, self._measurands())
        start = call.StartTransaction(
            connector_id=connector_id,
            id_tag=id_tag,
            meter_start=session.meter_start_wh,
            timestamp=ocpp_time(session.started),
            reservation_id=session.reservation_id,
        )
        await self._send_transaction_message(lambda: start, lambda result: self._transaction_started(session, result))
        await self._set_status(connector_id, ChargePointStatus.charging)
        session.meter_task = self._spawn(self._meter_loop(session))
        self.emit(f"session started on connector {connector_id}, transaction {session.transaction_id}")
        return session

    async def send_meter_values(self, connector_id: int = 1, context: str = ReadingContext.sample_periodic) -> bool:
        """Sample the connector's meter and send it; during a transaction it is queued while offline.

        Returns whether it was delivered now.
        """
        connector = self._connector(connector_id)
        session = connector.session
        sample = connector.meter.sample(context, self._measurands())
        if session is None or not session.in_transaction:
            return await self._notify(call.MeterValues(connector_id=connector_id, meter_value=[sample])) is not None
        if not self.online:
            session.offline_samples.append(sample)
        return await self._send_transaction_message(
            lambda: call.MeterValues(
                connector_id=connector_id, meter_value=[sample], transaction_id=session.transaction_id
            )
        )

    async def stop_session(
        self, connector_id: int | None = None, *, reason: str = Reason.local, id_tag: str | None = None
    ) -> Session:
        """End the session as a compliant charger does: StopTransaction (meterStop, reason,
        transactionData), then Finishing while the cable is unplugged, then Available. (Finishing
        before the stop would be time parked inside the transaction, and billed as such.)"""
        connector = self._connector_with_session(connector_id)
        session = connector.session
        session.stopping.set()
        if session.meter_task is not None:
            await asyncio.wait([session.meter_task])  # let an in-flight MeterValues finish first
        end_sample = connector.meter.sample(ReadingContext.transaction_end, self._measurands())
        connector.meter.unplug()
        session.meter_stop_wh = connector.meter.meter_wh
        session.stopped_at = end_sample.timestamp
        session.stop_reason = reason
        transaction_data = [session.begin_sample, *session.offline_samples, end_sample]
        await self._send_transaction_message(lambda: self._stop_transaction(session, id_tag, transaction_data))
        connector.session = None
        await self._set_status(connector.connector_id, ChargePointStatus.finishing)
        self.completed_sessions.append(session)
        self.charging_profiles.discard_tx_profiles(connector.connector_id)
        if connector.scheduled_operative is not None:
            connector.operative, connector.scheduled_operative = connector.scheduled_operative, None
        await self._set_status(connector.connector_id, self._idle_status(connector))
        self.emit(
            f"session stopped on connector {connector.connector_id}, transaction {session.transaction_id}, "
            f"{session.meter_stop_wh - session.meter_start_wh} Wh, reason {reason}"
        )
        return session

    async def stop_own_session(self, session: Session, *, reason: str = Reason.local) -> Session | None:
        """Stop `session` if it still runs; None when it has ended already (refused, say). Whatever
        else runs on its connector by then (a driver's remote start) is not this session's to stop."""
        connector = self.connectors.get(session.connector_id)
        if connector is None or connector.session is not session or session.stopping.is_set():
            return None
        return await self.stop_session(session.connector_id, reason=reason)

    # ------------------------------------------------------ sending machinery

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

    def _retry_policy(self) -> tuple[float, float]:
        return self._config_float("TransactionMessageAttempts"), self._config_float("TransactionMessageRetryInterval")

    # ------------------------------------------------- CSMS-initiated calls

    @on(Action.remote_start_transaction)
    def _on_remote_start_transaction(
        self, id_tag: str, connector_id: int | None = None, charging_profile: dict | None = None, **_: Any
    ) -> call_result.RemoteStartTransaction:
        connector = self._connector_for_remote_start(connector_id, id_tag)
        if connector is None:
            return call_result.RemoteStartTransaction(RemoteStartStopStatus.rejected)
        if charging_profile is not None:
            self.charging_profiles.install(connector.connector_id, charging_profile)
        authorize = self._config_bool("AuthorizeRemoteTxRequests")
        self._after_reply(lambda: self.start_session(connector.connector_id, id_tag, authorize=authorize))
        return call_result.RemoteStartTransaction(RemoteStartStopStatus.accepted)

    @on(Action.remote_stop_transaction)
    def _on_remote_stop_transaction(self, transaction_id: int, **_: Any) -> call_result.RemoteStopTransaction:
        session = next(
            (s for s in self.active_sessions if s.transaction_id == transaction_id and not s.stopping.is_set()), None
        )
        if session is None:
            return call_result.RemoteStopTransaction(RemoteStartStopStatus.rejected)
        self._after_reply(lambda: self.stop_session(session.connector_id, reason=Reason.remote))
        return call_result.RemoteStopTransaction(RemoteStartStopStatus.accepted)

    @on(Action.reset)
    def _on_reset(self, type: str, **_: Any) -> call_result.Reset:
        reason = Reason.hard_reset if type == ResetType.hard else Reason.soft_reset
        self._after_reply(lambda: self.reboot(reason))
        return call_result.Reset(ResetStatus.accepted)

    @on(Action.unlock_connector)
    def _on_unlock_connector(self, connector_id: int, **_: Any) -> call_result.UnlockConnector:
        connector = self.connectors.get(connector_id)
        if connector is None:
            return call_result.UnlockConnector(UnlockStatus.not_supported)
        if connector.session is not None and not connector.session.stopping.is_set():
            self._after_reply(lambda: self.stop_session(connector_id, reason=Reason.unlock_command))
        return call_result.UnlockConnector(UnlockStatus.unlocked)

    @on(Action.change_availability)
    def _on_change_availability(self, connector_id: int, type: str, **_: Any) -> call_result.ChangeAvailability:
        if connector_id != 0 and connector_id not in self.connectors:
            return call_result.ChangeAvailability(AvailabilityStatus.rejected)
        operative = type == AvailabilityType.operative
        targets = list(self.connectors.values()) if connector_id == 0 else [self.connectors[connector_id]]
        if connector_id == 0:
            self.operative = operative
            self._after_reply(lambda: self._set_status(0, self._charge_point_status()))
        busy = False
        for connector in targets:
            if connector.session is not None:
                connector.scheduled_operative = operative
                busy = True
            else:
                connector.operative = operative
                self._after_reply(lambda c=connector: self._set_status(c.connector_id, self._idle_status(c)))
        return call_result.ChangeAvailability(AvailabilityStatus.scheduled if busy else AvailabilityStatus.accepted)

    @on(Action.get_configuration)
    def _on_get_configuration(self, key: list[str] | None = None, **_: Any) -> call_result.GetConfiguration:
        wanted = key or list(self.configuration)
        known = [
            KeyValue(key=k, readonly=self.configuration[k].readonly, value=self.configuration[k].value)
            for k in wanted
            if k in self.configuration
        ]
        unknown = [k for k in wanted if k not in self.configuration]
        return call_result.GetConfiguration(configuration_key=known, unknown_key=unknown or None)

    @on(Action.change_configuration)
    def _on_change_configuration(self, key: str, value: str, **_: Any) -> call_result.ChangeConfiguration:
        if key == "AuthorizationKey":
            return self._change_authorization_key(value)
        entry = self.configuration.get(key)
        if entry is None:
            return call_result.ChangeConfiguration(ConfigurationStatus.not_supported)
        if entry.readonly or not entry.accepts(value):
            return call_result.ChangeConfiguration(ConfigurationStatus.rejected)
        entry.value = value
        if key == "HeartbeatInterval" and self.online:
            self._restart_heartbeat()
        return call_result.ChangeConfiguration(ConfigurationStatus.accepted)

    def _change_authorization_key(self, value: str) -> call_result.ChangeConfiguration:
        """Security whitepaper: the new Basic password, hex-encoded; write-only, so GetConfiguration never
        reports it (it is kept apart from the configuration keys)."""
        password = authorization_key_password(value)
        if password is None:
            return call_result.ChangeConfiguration(ConfigurationStatus.rejected)
        self.password = password  # presented from the next connection on
        return call_result.ChangeConfiguration(ConfigurationStatus.accepted)

    @on(Action.trigger_message)
    def _on_trigger_message(
        self, requested_message: str, connector_id: int | None = None, **_: Any
    ) -> call_result.TriggerMessage:
        senders = {
            MessageTrigger.boot_notification: self._send_triggered_boot,
            MessageTrigger.heartbeat: lambda _: self._notify(call.Heartbeat()),
            MessageTrigger.status_notification: self._send_triggered_status,
            MessageTrigger.meter_values: self._send_triggered_meter_values,
            MessageTrigger.firmware_status_notification: lambda _: self._notify(
                call.FirmwareStatusNotification(self.firmware_status)
            ),
            MessageTrigger.diagnostics_status_notification: lambda _: self._notify(
                call.DiagnosticsStatusNotification(self.diagnostics_status)
            ),
        }
        if connector_id not in (None, 0, *self.connectors):
            return call_result.TriggerMessage(TriggerMessageStatus.rejected)
        sender = senders.get(requested_message)
        if sender is None:
            return call_result.TriggerMessage(TriggerMessageStatus.not_implemented)
        self._after_reply(lambda: sender(connector_id))
        return call_result.TriggerMessage(TriggerMessageStatus.accepted)

    @on(Action.clear_cache)
    def _on_clear_cache(self, **_: Any) -> call_result.ClearCache:
        return call_result.ClearCache(ClearCacheStatus.accepted)

    @on(Action.data_transfer)
    def _on_data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: str | None = None, **_: Any
    ) -> call_result.DataTransfer:
        """Accepts anything and echoes the data, so a CSMS test can see its payload came through."""
        return call_result.DataTransfer(DataTransferStatus.accepted, data=data)

    @on(Action.set_charging_profile)
    def _on_set_charging_profile(
        self, connector_id: int, cs_charging_profiles: dict, **_: Any
    ) -> call_result.SetChargingProfile:
        purpose = cs_charging_profiles["charging_profile_purpose"]
        connector = self.connectors.get(connector_id)
        charging = connector is not None and connector.session is not None
        valid = (
            (connector_id == 0 or connector is not None)
            and (purpose != ChargingProfilePurposeType.charge_point_max_profile or connector_id == 0)
            and (purpose != ChargingProfilePurposeType.tx_profile or charging)
        )
        if not valid:
            return call_result.SetChargingProfile(ChargingProfileStatus.rejected)
        self.charging_profiles.install(connector_id, cs_charging_profiles)
        return call_result.SetChargingProfile(ChargingProfileStatus.accepted)

    @on(Action.clear_charging_profile)
    def _on_clear_charging_profile(
        self,
        id: int | None = None,
        connector_id: int | None = None,
        charging_profile_purpose: str | None = None,
        stack_level: int | None = None,
        **_: Any,
    ) -> call_result.ClearChargingProfile:
        removed = self.charging_profiles.clear(id, connector_id, charging_profile_purpose, stack_level)
        status = ClearChargingProfileStatus.accepted if removed else ClearChargingProfileStatus.unknown
        return call_result.ClearChargingProfile(status)

    @on(Action.get_composite_schedule)
    def _on_get_composite_schedule(
        self, connector_id: int, duration: int, charging_rate_unit: str | None = None, **_: Any
    ) -> call_result.GetCompositeSchedule:
        """A single-period schedule with the limit in force now (a simplification of the full composite)."""
        if connector_id != 0 and connector_id not in self.connectors:
            return call_result.GetCompositeSchedule(GetCompositeScheduleStatus.rejected)
        unit = charging_rate_unit or ChargingRateUnitType.watts
        limit_w = self._limit_w(connector_id)
        limit = self.charging_profiles.in_unit(self.options.power_w if limit_w is None else limit_w, unit)
        schedule = {
            "charging_rate_unit": unit,
            "duration": duration,
            "start_schedule": utc_now(),
            "charging_schedule_period": [{"start_period": 0, "limit": round(limit, 1)}],
        }
        return call_result.GetCompositeSchedule(
            GetCompositeScheduleStatus.accepted,
            connector_id=connector_id,
            schedule_start=utc_now(),
            charging_schedule=schedule,
        )

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

    def _connector_with_session(self, connector_id: int | None) -> Connector:
        candidates = self.connectors.values() if connector_id is None else [self._connector(connector_id)]
        for connector in candidates:
            if connector.session is not None and not connector.session.stopping.is_set():
                return connector
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

    async def _report_statuses(self) -> None:
        """Tell the CSMS where every connector stands (after boot and after an outage)."""
        await self._set_status(0, self._charge_point_status())
        for connector in self.connectors.values():
            await self._set_status(connector.connector_id, connector.status)

    async def _authorize(self, id_tag: str) -> bool:
        """Ask the CSMS; offline (or without an answer) the charger authorizes locally (LocalAuthorizeOffline).
        With LocalPreAuthorize, a tag its local list accepts starts at once, without asking."""
        listed = self.local_list.get(id_tag) or {}
        if self._config_bool("LocalPreAuthorize") and listed.get("status") == AuthorizationStatus.accepted:
            return True
        if not self.online:
            return self._config_bool("LocalAuthorizeOffline")
        try:
            result = await self._call(call.Authorize(id_tag=id_tag))
        except (TimeoutError, LinkDown, ConnectionClosed):
            return self._config_bool("LocalAuthorizeOffline")
        except OCPPError:
            return False
        return result.id_tag_info["status"] == AuthorizationStatus.accepted

    def _transaction_started(self, session: Session, result: call_result.StartTransaction) -> None:
        session.transaction_id = result.transaction_id
        session.id_tag_status = result.id_tag_info["status"]
        refused = session.id_tag_status != AuthorizationStatus.accepted
        if refused and self._config_bool("StopTransactionOnInvalidId") and not session.stopping.is_set():
            self._spawn(self.stop_own_session(session, reason=Reason.de_authorized))

    def _stop_transaction(
        self, session: Session, id_tag: str | None, data: list[MeterValue]
    ) -> call.StopTransaction | None:
        """Built at send time: the transaction id may only have arrived after an outage."""
        if session.transaction_id is None:
            self.emit(f"StopTransaction dropped: connector {session.connector_id} never got a transaction id")
            return None
        return call.StopTransaction(
            meter_stop=session.meter_stop_wh,
            timestamp=session.stopped_at,
            transaction_id=session.transaction_id,
            reason=session.stop_reason,
            id_tag=id_tag or session.id_tag,
            transaction_data=data,
        )

    async def _meter_loop(self, session: Session) -> None:
        """MeterValues every MeterValueSampleInterval seconds until the session stops."""
        while (interval := self._config_float("MeterValueSampleInterval")) > 0:
            try:
                await asyncio.wait_for(session.stopping.wait(), interval)
                return
            except TimeoutError:
                await self.send_meter_values(session.connector_id)

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

    async def _send_triggered_boot(self, _: int | None) -> None:
        if self.online:
            await self._notify(self._boot_notification())
        else:
            self._boot_now.set()  # wakes the Pending boot loop

    async def _send_triggered_status(self, connector_id: int | None) -> None:
        if connector_id is None:
            await self._report_statuses()
        elif connector_id == 0:
            await self._set_status(0, self._charge_point_status())
        else:
            await self._set_status(connector_id, self.connectors[connector_id].status)

    async def _send_triggered_meter_values(self, connector_id: int | None) -> None:
        targets = list(self.connectors.values()) if connector_id in (None, 0) else [self.connectors[connector_id]]
        for connector in targets:
            session = connector.session
            sample = connector.meter.sample(ReadingContext.trigger, self._measurands())
            transaction_id = session.transaction_id if session is not None else None
            await self._notify(
                call.MeterValues(
                    connector_id=connector.connector_id, meter_value=[sample], transaction_id=transaction_id
                )
            )

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
