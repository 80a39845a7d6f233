"""The offline queue: one FIFO that keeps a charger's transaction messages in order, also across outages.

A real charger must not lose or reorder what it reports about transactions
(StartTransaction / MeterValues / StopTransaction in 1.6, TransactionEvents
in 2.0.1): while its link is down it keeps them, and once it is back (and
accepted) it delivers them oldest first, retrying a message that times out
as the version's configuration says.  `OfflineQueue` is mixed into
`ChargerLink`, which supplies the link it sends over.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ocpp.exceptions import OCPPError
from websockets.exceptions import ConnectionClosed

from simulator.errors import LinkDown


@dataclass
class Queued:
    """A transaction message waiting for its turn; `_payload` turns `message` into what is sent."""

    message: Any
    on_result: Callable[[Any], None] | None
    settled: asyncio.Future[bool]
    attempts: int = 0

    def settle(self, delivered: bool) -> None:
        if not self.settled.done():
            self.settled.set_result(delivered)


class OfflineQueue:
    """Transaction messages queued, flushed in order and retried (see module docstring)."""

    queued_noun: str  # how events name a queued transaction message

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tx_queue: deque[Queued] = deque()
        self._flushing = False

    if TYPE_CHECKING:
        # ChargerLink: the link the messages go over
        @property
        def online(self) -> bool: ...
        def emit(self, text: str) -> None: ...
        async def _call(self, payload: Any) -> Any: ...

    # ------------------------------------------------ for the version above

    def _payload(self, item: Queued) -> Any | None:
        """What to send for a queued message now; None when there is nothing to send any more."""
        return item.message

    def _retry_policy(self) -> tuple[float, float]:
        """(attempts, seconds between them) for a transaction message that times out; configurable per version."""
        raise NotImplementedError

    # ------------------------------------------------------------------ state

    @property
    def pending_messages(self) -> int:
        """Transaction messages waiting in the offline queue."""
        return len(self._tx_queue)

    # ------------------------------------------------------------- delivery

    async def _enqueue(self, message: Any, on_result: Callable[[Any], None] | None) -> bool:
        """Transaction messages share one FIFO so they reach the CSMS in order, also across outages.

        Returns True once delivered, False when it stays queued for later (or was given up).
        """
        item = Queued(message, on_result, asyncio.get_running_loop().create_future())
        self._tx_queue.append(item)
        if not self.online:
            self.emit(f"offline, {len(self._tx_queue)} {self.queued_noun}(s) queued")
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
                    if await self._may_retry(item):
                        continue
                    delivered = False
                self._tx_queue.popleft()
                item.settle(delivered)
        finally:
            self._flushing = False
            if not self.online:
                for waiting in self._tx_queue:
                    waiting.settle(False)

    async def _may_retry(self, item: Queued) -> bool:
        """After a timeout: wait and say True while attempts remain, else report giving up."""
        item.attempts += 1
        attempts, interval = self._retry_policy()
        if item.attempts < attempts:
            await asyncio.sleep(interval * item.attempts)
            return True
        self.emit(f"{self.queued_noun} given up after timeouts")
        return False

    async def _deliver(self, item: Queued) -> bool:
        """Send one queued message; False when there was nothing to send or the CSMS refused it."""
        payload = self._payload(item)
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
