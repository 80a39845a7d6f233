"""The network side every simulated charger shares, whatever its OCPP version.

OCPP 1.6 and 2.0.1 differ in their messages but not in how a charger talks
to its CSMS: one WebSocket (a subprotocol, HTTP Basic auth), CALLs that wait
for their answer, a frame log, reconnecting with back-off after an outage,
the offline queue of transaction messages (offline_queue.py), and the
configured reject/ignore answers for negative tests.  `ChargerLink` holds
that once; `ChargerLink16` (1.6) and `StationLink201` (2.0.1) mix it in
before the version's `ocpp` ChargePoint and supply the version's parts.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from ocpp.charge_point import ChargePoint
from ocpp.exceptions import OCPPError
from ocpp.messages import Call, CallError, CallResult, MessageType
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from simulator.errors import CONNECT_ERRORS, LinkDown, SimulatorError
from simulator.model import ChargerOptions, Exchange, Frame
from simulator.offline_queue import OfflineQueue

logger = logging.getLogger(__name__)

ACCEPTED = "Accepted"  # RegistrationStatus in 1.6 and RegistrationStatusEnumType in 2.0.1 alike
_LINK_DOWN = object()  # put into the response queue to fail a CALL waiting on a dead link


class ChargerLink(OfflineQueue, ChargePoint):
    """WebSocket, CALL machinery and offline queue; mix in before a version's `ocpp` ChargePoint (see module docstring)."""

    subprotocol: str  # "ocpp1.6" or "ocpp2.0.1"
    rejection_status: dict[str, str]  # what "reject" answers per action; others get a NotSupported CALLERROR

    def __init__(
        self,
        charge_point_id: str,
        url: str,
        options: ChargerOptions,
        *,
        on_event: Callable[[str, str], None] | None = None,
        observer: Callable[[str, float, str], None] | None = None,
    ) -> None:
        self.options = options
        super().__init__(charge_point_id, None, response_timeout=options.response_timeout)
        self.url = url
        self.on_event = on_event
        self.observer = observer
        self.frames: deque[Frame] = deque(maxlen=options.frame_log_size)
        self.registration: str | None = None
        self.connect_count = 0
        self.call_outcomes: Counter[str] = Counter()
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task | None = None
        self._reconnecting: asyncio.Task | None = None
        self._link_wanted = False
        self._tasks: set[asyncio.Task] = set()
        self._follow_ups: list[Callable[[], Coroutine[Any, Any, Any]]] = []

    # ------------------------------------------------ for the version above

    async def boot(self) -> Any:
        raise NotImplementedError

    async def _resume_sending(self) -> None:
        """Catch up after boot or an outage: the offline queue first, then whatever the version reports."""
        raise NotImplementedError

    def _basic_auth_password(self) -> str | None:
        """The password to connect with; 2.0.1 can change it at run time, so it is asked at each connect."""
        return self.options.password

    # ------------------------------------------------------------------ state

    @property
    def connected(self) -> bool:
        return self._ws is not None

    @property
    def online(self) -> bool:
        """Connected and accepted: the only state in which a charger may send freely."""
        return self.connected and self.registration == ACCEPTED

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
        """Open the WebSocket (HTTP Basic auth, the version's subprotocol); sends nothing yet."""
        if self.connected:
            return
        ws = await connect(
            f"{self.url.rstrip('/')}/{quote(self.id, safe='')}",
            subprotocols=[Subprotocol(self.subprotocol)],
            additional_headers=self._auth_headers(),
            compression=None,  # chargers rarely negotiate permessage-deflate
            proxy=None,
            open_timeout=self.options.connect_timeout,
        )
        if ws.subprotocol != self.subprotocol:
            await ws.close()
            raise SimulatorError(f"CSMS did not select subprotocol {self.subprotocol}")
        self._ws = self._connection = ws
        self._response_queue: asyncio.Queue[Any] = asyncio.Queue()
        self._link_wanted = True
        self.connect_count += 1
        self._reader = self._spawn(self._read_loop(ws))
        self.emit("connected")

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

    async def _come_back(self) -> None:
        """Connect again; a charger the CSMS already accepted just catches up, others boot."""
        await self.connect()
        if self.registration == ACCEPTED:
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
                await self.route_message(text if isinstance(text, str) else text.decode())  # OCPP-J is text
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
        status = self.rejection_status.get(msg.action)
        if status is None:
            return CallError(msg.unique_id, "NotSupported", f"{msg.action} refused by the simulator", {}).to_json()
        return CallResult(msg.unique_id, {"status": status}).to_json()

    def _auth_headers(self) -> dict[str, str]:
        password = self._basic_auth_password()
        if password is None:
            return {}
        token = base64.b64encode(f"{self.id}:{password}".encode()).decode("ascii")
        return {"Authorization": f"Basic {token}"}
