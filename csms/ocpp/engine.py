"""The per-connection protocol engine, mixed into the `ocpp` package's ChargePoint.

The `ocpp` ChargePoint gives us handler routing (`@on`), outgoing `call()`
with response matching, and payload dataclasses. This mixin replaces its
inbound path so that every frame is logged, every broken frame gets the
CALLERROR its version's spec names, unknown and unsupported actions are told
apart as the spec defines them, lenient stations are tolerated, and no
answer nobody asked for is ever taken for the answer to a later call.

Incoming CALLs are answered one at a time, in order, by a worker task;
CALLRESULTs are routed at once, so a handler that awaits a `call()` to the
charger never blocks the frame that answers it. A handler's `@after` hook (the
`ocpp` package's contract) runs once the CALLRESULT is written, in a task of
its own, so a follow-up that sends commands to the charger delays no CALL.
"""

import asyncio
import json
import logging
from collections.abc import Mapping
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from ocpp.charge_point import camel_to_snake_case, remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.exceptions import OCPPError
from ocpp.messages import CallError, CallResult, UnknownCallErrorCodeError

from csms.db import db_async
from csms.ocpp import frames
from csms.ocpp.acceptance import refusal
from csms.ocpp.commands import AGREED, Builder, Command, NotExpressible, from_wire
from csms.ocpp.errors import CallRefused, Fault, error_code
from csms.ocpp.messagelog import message_log
from csms.ocpp.outcome import Outcome
from csms.ocpp.schema import TOLERABLE, check_payload, request_problem
from sessions.meter import InvalidSample
from stations import configuration
from stations.models import RegistrationStatus
from stations.services.boot import BootInfo, record_boot, record_heartbeat
from stations.services.evses import UnknownEvse
from stations.services.reports import record_deviation

logger = logging.getLogger(__name__)

IN, OUT = "in", "out"


# Details of the stand-in CALLERROR that wakes a call() whose socket closed before its answer.
CONNECTION_LOST = {"voltstack": "connection lost before the answer"}


class ProtocolEngine:
    """Mixin for `ocpp.v16.ChargePoint` / `ocpp.v201.ChargePoint` on the CSMS side."""

    # Actions a station may send before it is Accepted.
    allowed_before_acceptance: frozenset[str] = frozenset()
    # The version's Action enum, to tell NotSupported from NotImplemented.
    known_actions: frozenset[str] = frozenset()

    def __init__(self, *, charge_point_id: str, station_id: int, lenient: bool, registration_status: str, connection):
        super().__init__(charge_point_id, connection, response_timeout=settings.OCPP_CALL_TIMEOUT)
        self.station_id = station_id
        self.lenient = lenient
        self.registration_status = registration_status
        self._calls: asyncio.Queue[frames.Frame | None] = asyncio.Queue()
        self._pending: dict[str, tuple[str, float]] = {}
        self._follow_ups: set[asyncio.Task] = set()
        self.closed = False

    @property
    def ocpp_version(self) -> str:
        return self._ocpp_version

    # --- what every version's boot and heartbeat do ----------------------------------------

    async def record_boot(self, info: BootInfo) -> tuple[str, int, datetime]:
        """Keep the boot; answer (status, heartbeat interval, current time)."""
        now = timezone.now()
        decision = await db_async(record_boot)(station_id=self.station_id, info=info, now=now)
        self.registration_status = decision.status
        return decision.status, decision.interval, now

    async def follow_up_boot(self) -> None:
        """Once an Accepted boot is answered (an `@after` hook): read the station's configuration,
        and make sure it samples SoC where the operator asked for it."""
        if self.registration_status == RegistrationStatus.ACCEPTED:
            await configuration.follow_up_boot(station_id=self.station_id, ocpp_version=self.ocpp_version)

    async def record_heartbeat(self) -> datetime:
        now = timezone.now()
        live = "" if self.closed else getattr(self._connection, "channel_name", "")
        await db_async(record_heartbeat)(station_id=self.station_id, now=now, channel_name=live)
        return now

    # --- inbound ---------------------------------------------------------------------

    async def receive_frame(self, text: str) -> None:
        """Take one text frame from the socket; never raises."""
        # A character is at most 4 bytes: only a long frame needs encoding to be measured.
        limit = settings.OCPP_MAX_FRAME_BYTES
        if len(text) > limit // 4 and len(text.encode()) > limit:
            message_type, unique_id = frames.recover_head(text)
            refused = frames.FrameRefused(
                Fault.FORMAT,
                f"Frame exceeds {limit} bytes",
                message_type=message_type,
                unique_id=unique_id,
            )
            await self._refuse_frame(text[:4096], refused)
            return
        try:
            frame = frames.parse_frame(text)
        except frames.FrameRefused as refused:
            await self._refuse_frame(text, refused)
            return
        if frame.message_type == frames.CALL:
            self._log(IN, text, frame.message_type, frame.action, frame.unique_id)
            self._calls.put_nowait(frame)
        else:
            self._route_answer(frame, text)

    async def _refuse_frame(self, text: str, refused: frames.FrameRefused) -> None:
        self._log(IN, text, refused.message_type, "", refused.unique_id, error=refused.description)
        if refused.deserves_answer:
            await self._send_error(refused.unique_id, "", CallRefused(refused.fault, refused.description))

    async def answer_calls(self) -> None:
        """The worker: answer CALLs in the order they arrived, until the connection is lost
        and every CALL received before that is handled (its data kept, even if the answer
        can no longer be sent)."""
        while True:
            frame = await self._calls.get()
            if frame is None:
                return
            try:
                await self._answer(frame)
            except Exception:
                logger.exception("%s: failed answering %s", self.id, frame.unique_id)

    async def _answer(self, frame: frames.Frame) -> None:
        handlers = self.route_map.get(frame.action, {})
        handler = handlers.get("_on_action")
        if handler is None:
            await self._send_error(frame.unique_id, frame.action, self._unanswerable(frame.action))
            return
        arguments = camel_to_snake_case(frame.payload)
        try:
            await self._check(frame)
            result = await handler(**arguments)
        except CallRefused as refused:
            await self._send_error(frame.unique_id, frame.action, refused)
            return
        except InvalidSample as error:  # a sampled value that is not a number: a field holding an invalid value
            await self._send_error(frame.unique_id, frame.action, CallRefused(Fault.PROPERTY, str(error)))
            return
        except UnknownEvse as unknown:
            await self._refuse_unknown_evse(frame, unknown)
            return
        except Exception:
            logger.exception("%s: handler for %s failed", self.id, frame.action)
            await self._send_error(
                frame.unique_id, frame.action, CallRefused(Fault.INTERNAL, "An internal error occurred")
            )
            return
        payload = snake_to_camel_case(remove_nones(serialize_as_dict(result)))
        await self._send_frame(
            frames.call_result(frame.unique_id, payload), frames.CALLRESULT, frame.action, frame.unique_id
        )
        after = handlers.get("_after_action")
        if after is not None and not self.closed:  # an answer never sent asks for no follow-up
            self._follow_up(frame.action, after(**arguments))

    def _follow_up(self, action: str, hook) -> None:
        """Run an `@after` hook in a task of its own: the next CALL is answered meanwhile, and a
        hook that fails is logged, never taken for a broken connection."""

        async def run() -> None:
            try:
                await hook
            except Exception:
                logger.exception("%s: the follow-up of %s failed", self.id, action)

        task = asyncio.create_task(run())
        self._follow_ups.add(task)
        task.add_done_callback(self._follow_ups.discard)

    async def _refuse_unknown_evse(self, frame: frames.Frame, unknown: UnknownEvse) -> None:
        """An EVSE or connector the station never declared: a field holding an invalid value
        (PropertyConstraintViolation in both versions; 2.0.1 has no unknown-EVSE status in the
        messages a station sends), recorded for the operator."""
        await db_async(record_deviation)(
            station_id=self.station_id,
            summary=f"{frame.action}: {unknown}",
            details={
                "action": frame.action,
                "unique_id": frame.unique_id,
                "evse_id": unknown.evse_number,
                "connector_id": unknown.connector_number,
                "payload": frame.payload,
            },
        )
        await self._send_error(frame.unique_id, frame.action, CallRefused(Fault.PROPERTY, str(unknown)))

    def _unanswerable(self, action: str) -> CallRefused:
        """NotSupported for an action of this version we do not take from chargers, NotImplemented for the rest."""
        if action in self.known_actions:
            return CallRefused(Fault.NOT_SUPPORTED, f"{action} is recognised but not supported by this central system")
        return CallRefused(Fault.NOT_IMPLEMENTED, f"{action} is not a known action")

    async def _check(self, frame: frames.Frame) -> None:
        """Refuse a CALL that comes before acceptance or breaks the schema; a lenient
        station's tolerable bends are recorded instead."""
        if self.registration_status != "Accepted" and frame.action not in self.allowed_before_acceptance:
            raise CallRefused(Fault.SECURITY, f"Station is {self.registration_status}, not Accepted")
        violations = check_payload(frame.action, frame.payload, self.ocpp_version)
        if violations and not self.lenient:
            raise violations[0]
        intolerable = [v for v in violations if v.fault not in TOLERABLE]
        if intolerable:
            raise intolerable[0]
        for violation in violations:
            await db_async(record_deviation)(
                station_id=self.station_id,
                summary=violation.description,
                details={"action": frame.action, "unique_id": frame.unique_id, "payload": frame.payload},
            )

    def _route_answer(self, frame: frames.Frame, text: str) -> None:
        """Hand a CALLRESULT/CALLERROR to the `call()` waiting for it, if any still is."""
        pending = self._pending.pop(frame.unique_id, None)
        action = pending[0] if pending else ""
        error = ""
        if pending is None:
            error = "answer to no call of ours: ignored"
        elif asyncio.get_running_loop().time() > pending[1]:
            error = "late answer after the call timed out: ignored"
        self._log(IN, text, frame.message_type, action, frame.unique_id, error=error)
        if error:
            logger.warning("%s: %s (%s)", self.id, error, frame.unique_id)
            return
        if frame.message_type == frames.CALLRESULT:
            self._response_queue.put_nowait(CallResult(frame.unique_id, frame.payload, action))
        else:
            self._response_queue.put_nowait(
                CallError(frame.unique_id, frame.error_code, frame.error_description, frame.payload)
            )

    def connection_lost(self) -> None:
        """Stop after the CALLs already received, and wake every call() still waiting:
        no answer can come on a closed socket. Answers that already arrived are queued
        first and still win.
        """
        self.closed = True
        self._calls.put_nowait(None)
        for unique_id in list(self._pending):
            self._response_queue.put_nowait(CallError(unique_id, "GenericError", "connection lost", CONNECTION_LOST))
        self._pending.clear()

    # --- commands from the gateway ------------------------------------------------------

    # command type → function(command) returning the version's CALL payload dataclass
    builders: Mapping[type[Command], Builder] = {}

    async def perform(self, name: str, params: dict) -> dict:
        """Send the CALL a gateway command stands for; describe the outcome for the reply channel.

        The registration this connection was given is checked again here (the gateway
        read the database, but a boot on this socket may since have been answered Pending).
        """
        try:
            command = from_wire(name, params)
        except KeyError:  # a command of newer code than this process runs
            return {"outcome": Outcome.NOT_SUPPORTED, "action": name, "version": self.ocpp_version}
        build = self.builders.get(type(command))
        if build is None:
            return {"outcome": Outcome.NOT_SUPPORTED, "action": command.name, "version": self.ocpp_version}
        why = refusal(
            command=command, registration_status=self.registration_status, booted=True, ocpp_version=self.ocpp_version
        )
        if why:
            return {"outcome": Outcome.NOT_ACCEPTED, "action": command.name, "why": why}
        try:
            payload = build(command)
        except NotExpressible as error:
            return {"outcome": Outcome.INVALID, "action": command.name, "description": str(error)}
        action = type(payload).__name__
        problem = await request_problem(payload, self.ocpp_version)
        if problem:
            return {"outcome": Outcome.INVALID, "action": action, "description": problem}
        try:
            response = await self.call(payload, suppress=False)
        except TimeoutError:
            return {"outcome": Outcome.TIMEOUT, "action": action, "seconds": self._response_timeout}
        except OCPPError as error:  # a CALLERROR, or an answer that breaks the schema
            if error.details == CONNECTION_LOST:
                return {"outcome": Outcome.NOT_CONNECTED, "action": action}
            return {
                "outcome": Outcome.CALL_ERROR,
                "action": action,
                "code": error.code,
                "description": str(error.description),
            }
        except UnknownCallErrorCodeError as error:
            return {"outcome": Outcome.CALL_ERROR, "action": action, "code": "Unknown", "description": str(error)}
        # Plain JSON values only: the reply crosses the channel layer (the `ocpp` package
        # reads some 1.6 answers' numbers as Decimal).
        data = json.loads(json.dumps(remove_nones(serialize_as_dict(response)), default=float))
        status = data.pop("status", None)
        outcome = Outcome.ACCEPTED if status is None or status in AGREED else Outcome.REJECTED
        return {"outcome": outcome, "action": action, "status": status, "data": data}

    # --- outbound --------------------------------------------------------------------

    async def _send(self, message: str) -> None:
        """The `ocpp` ChargePoint's only way out (used by `call()`): note the CALL we wait on."""
        call = json.loads(message)
        deadline = asyncio.get_running_loop().time() + self._response_timeout
        self._pending[call[1]] = (call[2], deadline)
        await self._send_frame(message, frames.CALL, call[2], call[1])

    async def _send_error(self, unique_id: str, action: str, refused: CallRefused) -> None:
        code = error_code(refused.fault, self.ocpp_version)
        text = frames.call_error(unique_id, code, refused.description, refused.details)
        await self._send_frame(text, frames.CALLERROR, action, unique_id, error=code)

    async def _send_frame(self, text: str, message_type: int, action: str, unique_id: str, error: str = "") -> None:
        if self.closed:
            error = error or "not sent: the connection was closed"
        self._log(OUT, text, message_type, action, unique_id, error=error)
        if not self.closed:
            await self._connection.send(text)

    def _log(self, direction: str, text: str, message_type, action: str, unique_id, error: str = "") -> None:
        message_log.record(
            charge_point_id=self.id,
            direction=direction,
            text=text,
            message_type=message_type,
            action=action,
            unique_id=unique_id,
            error=error,
        )
