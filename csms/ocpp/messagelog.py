"""The message log's writer: frames are buffered and written in batches.

Every frame in and out is kept, but writing a row per frame would double
the database work on the hottest path. Frames are appended to an in-memory
buffer and flushed by one task per process every half second (or when a
connection closes); a crash loses at most that half second of log, never
domain data.
"""
import asyncio
import logging

from django.utils import timezone

from csms.db import db_async
from csms.ocpp.models import OcppMessage

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 0.5
MAX_BATCH = 1000


def storable(text: str) -> str:
    """Text a database can hold: a lone surrogate (valid in a JSON escape, not in UTF-8)
    is kept as its escape rather than failing the whole batch."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class MessageLog:
    def __init__(self) -> None:
        self._buffer: list[OcppMessage] = []
        self._flusher: asyncio.Task | None = None

    def record(
        self,
        *,
        charge_point_id: str,
        direction: str,
        text: str,
        message_type: int | None = None,
        action: str = "",
        unique_id: str | None = "",
        error: str = "",
    ) -> None:
        self._buffer.append(
            OcppMessage(
                charge_point_id=storable(charge_point_id),
                direction=direction,
                message_type=message_type,
                action=storable(action)[:64],
                unique_id=storable(unique_id or "")[:64],
                payload=storable(text),
                error=storable(error)[:255],
                created_at=timezone.now(),
            )
        )
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(FLUSH_SECONDS)
        await self.flush()

    async def flush(self) -> None:
        while self._buffer:
            batch, self._buffer = self._buffer[:MAX_BATCH], self._buffer[MAX_BATCH:]
            try:
                await db_async(OcppMessage.objects.bulk_create)(batch)
            except Exception:
                logger.exception("could not write %d OCPP log rows", len(batch))


message_log = MessageLog()
