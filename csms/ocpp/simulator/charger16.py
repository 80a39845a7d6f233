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
import base64
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from ocpp.exceptions import OCPPError
from ocpp.messages import Call, CallError, CallResult, MessageType
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
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from csms.ocpp.simulator.meter import Meter, ocpp_time, utc_now
from csms.ocpp.simulator.model import (
    ChargerOptions,
    Connector,
    Exchange,
    Frame,
    Reservation,
    Session,
    default_configuration,
)
from csms.ocpp.simulator.profiles import ChargingProfiles

logger = logging.getLogger(__name__)

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


class SimulatorError(RuntimeError):
    """The simulated charger was asked to do something a real one could not."""


class LinkDown(ConnectionError):
    """The WebSocket is gone; the message was not (or not surely) delivered."""


class AuthorizationRejected(SimulatorError):
    """The CSMS refused the id tag, so no session started."""


# Failures a charger expects from its network and its CSMS; it retries on these.
CONNECT_ERRORS = (OSError, TimeoutError, InvalidHandshake, InvalidURI, ConnectionClosed, LinkDown, OCPPError)
# What an UpdateFirmware leads to, one StatusNotification per step.
FIRMWARE_STEPS = (
    FirmwareStatus.downloading,
    FirmwareStatus.downloaded,
    FirmwareStatus.installing,
    FirmwareStatus.installed,
)
_LINK_DOWN = object()  # put into the response queue to fail a CALL waiting on a dead link


@dataclass
class _Queued:
    """A transaction message waiting for its turn; built late so it can use a transaction id learnt meanwhile."""

    build: Callable[[], Any | None]  # None: nothing to send any more
    on_result: Callable[[Any], None] | None
    settled: asyncio.Future[bool]
    attempts: int = 0

    def settle(self, delivered: bool) -> None:
        if not self.settled.done():
            self.settled.set_result(delivered)


class SimulatedCharger(ChargePoint):
    """An OCPP 1.6J charge point: connect(), boot(), start_session(), stop_session(), close().

    `on_event(charge_point_id, text)` hears about notable events (boot,
    sessions, outages, CSMS calls); `observer(action, seconds, outcome)` is
    told about every CALL it sends, with outcome one of ok, error, timeout,
    offline, cancelled.  `frames` keeps the raw traffic for assertions.
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
        self.options = options or ChargerOptions()
        super().__init__(charge_point_id, None, response_timeout=self.options.response_timeout)
        self.url = url
        self.on_event = on_event
        self.observer = observer
        self.frames: deque[Frame] = deque(maxlen=self.options.frame_log_size)
        self.configuration = default_configuration(self.options)
        self.charging_profiles = ChargingProfiles(self.options.voltage_v, self.options.phases)
        self.connectors = {n: Connector(n, self._new_meter(n)) for n in range(1, self.options.connectors + 1)}
        self.operative = True  # connector 0, the charge point as a whole
        self.registration: str | None = None
        self.completed_sessions: list[Session] = []
        self.local_list_version = 0
        self.local_list: dict[str, dict | None] = {}
        self.firmware_status: str = FirmwareStatus.idle
        self.diagnostics_status: str = DiagnosticsStatus.idle
        self.connect_count = 0
        self.call_outcomes: Counter[str] = Counter()
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task | None = None
        self._heartbeat: asyncio.Task | None = None
        self._reconnecting: asyncio.Task | None = None
        self._link_wanted = False
        self._tx_queue: deque[_Queued] = deque()
        self._flushing = False
        self._tasks: set[asyncio.Task] = set()
        self._follow_ups: list[Callable[[], Coroutine[Any, Any, Any]]] = []
        self._boot_now = asyncio.Event()

    # ------------------------------------------------------------------ state

    @property
    def connected(self) -> bool:
        return self._ws is not None

    @property
    def online(self) -> bool:
        """Connected and accepted: the only state in which a charger may send freely."""
        return self.connected and self.registration == RegistrationStatus.accepted

    @property
    def pending_messages(self) -> int:
        """Transaction messages waiting in the offline queue."""
        return len(self._tx_queue)

    @property
    def active_sessions(self) -> list[Session]:
        return [c.session for c in self.connectors.values() if c.session is not None]

    def exchanges(self, action: str | None = None, *, incoming: bool = False) -> list[Exchange]:
        """Pair the CALLs this charger sent (or, with incoming, received) with their answers, oldest first."""
        call_direction, answer_direction = ("received", "sent") if incoming else ("sent", "received")
        frames = list(self.frames)
        answers = {
            f.unique_id: f for f in frames if f.direction == answer_direction and f.message_type != MessageType.Call
        }
        return [
            Exchange(f, answers.get(f.unique_id))
            for f in frames
            if f.direction == call_direction
            and f.message_type == MessageType.Call
            and (action is None or f.action == action)
        ]

    # ------------------------------------------------------------- connection

    async def connect(self) -> None:
        """Open the WebSocket (HTTP Basic auth, subprotocol ocpp1.6); sends nothing yet."""
        if self.connected:
            return
        ws = await connect(
            f"{self.url.rstrip('/')}/{quote(self.id, safe='')}",
            subprotocols=[SUBPROTOCOL],
            additional_headers=self._auth_headers(),
            compression=None,  # chargers rarely negotiate permessage-deflate
            proxy=None,
            open_timeout=self.options.connect_timeout,
        )
        if ws.subprotocol != SUBPROTOCOL:
            await ws.close()
            raise SimulatorError(f"CSMS did not select subprotocol {SUBPROTOCOL}")
        self._ws = self._connection = ws
        self._response_queue = asyncio.Queue()
        self._link_wanted = True
        self.connect_count += 1
        self._reader = self._spawn(self._read_loop(ws))
        self.emit("connected")

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

    async def drop_link(self) -> None:
        """Cut the connection without a closing handshake, like a lost mobile network.

        The charger stays offline (queueing transaction messages) until reconnect().
        """
        self._link_wanted = False
        if self._reconnecting is not None:
            self._reconnecting.cancel()
        ws, reader = self._ws, self._reader
        if ws is None:
            return
        ws.transport.abort()
        if reader is not None:
            await asyncio.wait([reader])

    async def reconnect(self, downtime: float = 0.0) -> None:
        """Drop the link, stay offline for `downtime` seconds, then connect and catch up."""
        await self.drop_link()
        await asyncio.sleep(downtime)
        await self._come_back()

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

    async def close(self) -> None:
        """Disconnect for good: stop all background work and close the socket cleanly.

        Running sessions are left as they are; stop them first for a tidy end.
        """
        self._link_wanted = False
        current = asyncio.current_task()
        doomed = [task for task in self._tasks if task is not current and task is not self._reader]
        for task in doomed:
            task.cancel()
        await asyncio.gather(*doomed, return_exceptions=True)
        await self._disconnect()
        for item in self._tx_queue:
            item.settle(False)

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
        session.started = datetime.now(timezone.utc)
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
        """End the session: Finishing, StopTransaction (meterStop, reason, transactionData), then Available."""
        connector = self._connector_with_session(connector_id)
        session = connector.session
        session.stopping.set()
        if session.meter_task is not None:
            await asyncio.wait([session.meter_task])  # let an in-flight MeterValues finish first
        await self._set_status(connector.connector_id, ChargePointStatus.finishing)
        end_sample = connector.meter.sample(ReadingContext.transaction_end, self._measurands())
        connector.meter.unplug()
        session.meter_stop_wh = connector.meter.meter_wh
        session.stopped_at = end_sample.timestamp
        session.stop_reason = reason
        transaction_data = [session.begin_sample, *session.offline_samples, end_sample]
        await self._send_transaction_message(lambda: self._stop_transaction(session, id_tag, transaction_data))
        connector.session = None
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

    # ------------------------------------------------------ sending machinery

    async def _call(self, payload: Any) -> Any:
        """One CALL → CALLRESULT round trip; a CALLERROR raises. Reports latency and outcome to the observer."""
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await self.call(payload, suppress=False, skip_schema_validation=not self.options.validate_messages)
            outcome = "ok"
            return result
        except TimeoutError:
            outcome = "timeout"
            raise
        except (LinkDown, ConnectionClosed):
            outcome = "offline"
            raise
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        finally:
            self.call_outcomes[outcome] += 1
            if self.observer is not None:
                self.observer(type(payload).__name__, time.perf_counter() - started, outcome)

    async def _notify(self, payload: Any) -> Any | None:
        """Send a message that is not transaction-related: only when online, never queued, failures logged."""
        if not self.online:
            return None
        try:
            return await self._call(payload)
        except (TimeoutError, LinkDown, ConnectionClosed, OCPPError) as exc:
            self.emit(f"{type(payload).__name__} failed: {exc!r}")
            return None

    async def _send_transaction_message(
        self, build: Callable[[], Any | None], on_result: Callable[[Any], None] | None = None
    ) -> bool:
        """Transaction messages share one FIFO so they reach the CSMS in order, also across outages.

        Returns True once delivered, False when it stays queued for later (or was given up).
        """
        item = _Queued(build, on_result, asyncio.get_running_loop().create_future())
        self._tx_queue.append(item)
        if not self.online:
            self.emit(f"offline, {len(self._tx_queue)} transaction message(s) queued")
            return False
        if not self._flushing:
            await self._flush()
        return await item.settled

    async def _flush(self) -> None:
        """Deliver queued transaction messages oldest first until the queue is empty or the link drops."""
        self._flushing = True
        try:
            while self._tx_queue and self.online:
                item = self._tx_queue[0]
                try:
                    delivered = await self._deliver(item)
                except (LinkDown, ConnectionClosed):
                    break
                except TimeoutError:
                    item.attempts += 1
                    if item.attempts < self._config_float("TransactionMessageAttempts"):
                        await asyncio.sleep(self._config_float("TransactionMessageRetryInterval") * item.attempts)
                        continue
                    self.emit("transaction message given up after timeouts")
                    delivered = False
                self._tx_queue.popleft()
                item.settle(delivered)
        finally:
            self._flushing = False
            if not self.online:
                for waiting in self._tx_queue:
                    waiting.settle(False)

    async def _deliver(self, item: _Queued) -> bool:
        payload = item.build()
        if payload is None:
            return False
        try:
            result = await self._call(payload)
        except OCPPError as error:
            self.emit(f"{type(payload).__name__} refused by the CSMS: {error}")
            return False
        if item.on_result is not None:
            item.on_result(result)
        return True

    # ----------------------------------------------- ocpp.ChargePoint hooks

    async def _send(self, message: str) -> None:
        ws = self._ws
        if ws is None:
            raise LinkDown(f"{self.id} is offline")
        self.frames.append(Frame("sent", message, time.time()))
        await ws.send(message)

    async def route_message(self, raw_msg: str) -> None:
        self.frames.append(Frame("received", raw_msg, time.time()))
        await super().route_message(raw_msg)

    async def _handle_call(self, msg: Call) -> None:
        """Apply the configured reject/ignore answers; run follow-ups only after the reply went out."""
        answer = self.options.answers.get(msg.action)
        self.emit(f"CSMS called {msg.action}" + (f" ({answer} as configured)" if answer else ""))
        if answer == "ignore":
            return
        if answer == "reject":
            await self._send(self._rejection(msg))
            return
        follow_ups = self._follow_ups = []
        await super()._handle_call(msg)
        for follow_up in follow_ups:
            self._spawn(follow_up())

    async def _get_specific_response(self, unique_id: str, timeout: float) -> Any:
        """As in the library, but a dropped link fails the waiting CALL at once instead of at its timeout."""
        queue = self._response_queue
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            response = await asyncio.wait_for(queue.get(), remaining)
            if response is _LINK_DOWN:
                raise LinkDown(f"{self.id}: link lost while waiting for an answer")
            if response.unique_id == unique_id:
                return response
        raise TimeoutError

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
        entry = self.configuration.get(key)
        if entry is None:
            return call_result.ChangeConfiguration(ConfigurationStatus.not_supported)
        if entry.readonly or not entry.accepts(value):
            return call_result.ChangeConfiguration(ConfigurationStatus.rejected)
        entry.value = value
        if key == "HeartbeatInterval" and self.online:
            self._restart_heartbeat()
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

    def emit(self, text: str) -> None:
        """Report a notable event to the logger and to on_event."""
        logger.debug("%s %s", self.id, text)
        if self.on_event is not None:
            self.on_event(self.id, text)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
        """Run in the background, tracked so close() can cancel it and failures are reported."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.emit(f"background task failed: {task.exception()!r}")

    def _after_reply(self, follow_up: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        """Queue work that must happen after the CALLRESULT of the CALL being handled is on the wire."""
        self._follow_ups.append(follow_up)

    def _rejection(self, msg: Call) -> str:
        status = REJECTION_STATUS.get(msg.action)
        if status is None:
            return CallError(msg.unique_id, "NotSupported", f"{msg.action} refused by the simulator", {}).to_json()
        return CallResult(msg.unique_id, {"status": status}).to_json()

    def _auth_headers(self) -> dict[str, str]:
        if self.options.password is None:
            return {}
        token = base64.b64encode(f"{self.id}:{self.options.password}".encode()).decode("ascii")
        return {"Authorization": f"Basic {token}"}

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
        o = self.options
        return Meter(
            max_power_w=o.power_w,
            voltage_v=o.voltage_v,
            phases=o.phases,
            battery_wh=o.battery_wh,
            speedup=o.speedup,
            limit_w=lambda: self._limit_w(connector_id),
        )

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
        """Ask the CSMS; offline (or without an answer) the charger authorizes locally (LocalAuthorizeOffline)."""
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
            self._spawn(self.stop_session(session.connector_id, reason=Reason.de_authorized))

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
        try:
            await asyncio.wait_for(self._boot_now.wait(), delay)
        except TimeoutError:
            pass

    async def _resume_sending(self) -> None:
        """After boot or an outage: queued transaction messages first, then the current statuses."""
        if not self._flushing:
            await self._flush()
        await self._report_statuses()

    async def _come_back(self) -> None:
        """Connect again; a charger the CSMS already accepted just catches up, others boot."""
        await self.connect()
        if self.registration == RegistrationStatus.accepted:
            self.emit("reconnected")
            await self._resume_sending()
        else:
            await self.boot()

    async def _reconnect_loop(self, first_delay: float) -> None:
        """Retry with exponential back-off until connected again or told to stop."""
        delay = first_delay
        while self._link_wanted and not self.online:
            await asyncio.sleep(delay)
            try:
                await self._come_back()
            except CONNECT_ERRORS as exc:
                self.emit(f"reconnect failed: {exc!r}")
                delay = min(max(delay, self.options.reconnect_delay) * 2, self.options.reconnect_max_delay)

    async def _read_loop(self, ws: ClientConnection) -> None:
        try:
            async for text in ws:
                await self.route_message(text)
        except (ConnectionClosed, LinkDown):
            pass
        finally:
            self._link_lost(ws)

    def _link_lost(self, ws: ClientConnection) -> None:
        if self._ws is not ws:
            return
        self._ws = None
        ws.transport.abort()  # a no-op after a clean close; frees the socket if reading failed otherwise
        self._response_queue.put_nowait(_LINK_DOWN)
        self.emit(f"disconnected (close code {ws.close_code})")
        reconnecting = self._reconnecting is not None and not self._reconnecting.done()
        if self._link_wanted and self.options.auto_reconnect and not reconnecting:
            self._reconnecting = self._spawn(self._reconnect_loop(first_delay=self.options.reconnect_delay))

    async def _disconnect(self) -> None:
        """Close the socket cleanly and wait until the reader has noticed."""
        self._link_wanted = False
        ws, reader = self._ws, self._reader
        if ws is not None:
            await ws.close()
        if reader is not None:
            await asyncio.wait([reader])

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
        expiry = reservation.expiry if reservation.expiry.tzinfo else reservation.expiry.replace(tzinfo=timezone.utc)
        await asyncio.sleep(max(0.0, (expiry - datetime.now(timezone.utc)).total_seconds()))
        if connector.reservation is reservation:
            connector.reservation = None
            self.emit(f"reservation {reservation.reservation_id} expired")
            await self._set_status(connector.connector_id, self._idle_status(connector))

    async def _update_firmware(self, retrieve_date: datetime) -> None:
        when = retrieve_date if retrieve_date.tzinfo else retrieve_date.replace(tzinfo=timezone.utc)
        await asyncio.sleep(max(0.0, (when - datetime.now(timezone.utc)).total_seconds()))
        for status in FIRMWARE_STEPS:
            self.firmware_status = status
            await self._notify(call.FirmwareStatusNotification(status))
            await asyncio.sleep(self.options.step_delay)

    async def _upload_diagnostics(self) -> None:
        for status in (DiagnosticsStatus.uploading, DiagnosticsStatus.uploaded):
            self.diagnostics_status = status
            await self._notify(call.DiagnosticsStatusNotification(status))
            await asyncio.sleep(self.options.step_delay)
