"""The message log's writer: frames are buffered and written in batches.

Every frame in and out is kept, but writing a row per frame would double
the database work on the hottest path. Frames are appended to an in-memory
buffer and flushed by one task per process every half second (or when a
connection closes); a crash loses at most that half second of log, never
domain data.

One batch holds the frames of every station of the process, so a row is
made storable before it is buffered (whatever a charger sent), and a batch
the database still refuses is split until only the row it cannot hold is
lost, with the station named.
"""

import asyncio
import logging

from django.db import InterfaceError, OperationalError
from django.utils import timezone

from csms.columns import fit, storable
from csms.db import db_async
from csms.ocpp.models import OcppMessage

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 0.5
MAX_BATCH = 1000
# What OcppMessage.message_type (a PositiveSmallIntegerField) holds.
MESSAGE_TYPES = range(0, 32768)


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
        """Buffer one frame as a row any database holds. An impossible message type
        (the frame said -1 or 99999) is left empty: the frame's text keeps it."""
        self._buffer.append(
            OcppMessage(
                charge_point_id=fit(OcppMessage, "charge_point_id", charge_point_id),
                direction=direction,
                message_type=message_type if message_type in MESSAGE_TYPES else None,
                action=fit(OcppMessage, "action", action),
                unique_id=fit(OcppMessage, "unique_id", unique_id or ""),
                payload=storable(text),
                error=fit(OcppMessage, "error", error),
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
            await self._write(batch)

    async def _write(self, rows: list[OcppMessage]) -> None:
        """Write `rows`; if the database refuses them, write each half on its own, so one
        row it cannot hold costs only that row. A database that cannot be reached costs
        the batch: splitting would only repeat the failure."""
        try:
            await db_async(OcppMessage.objects.bulk_create)(rows)
        except (OperationalError, InterfaceError):
            logger.exception("could not write %d OCPP log rows: database unavailable", len(rows))
        except Exception:
            if len(rows) == 1:
                row = rows[0]
                logger.exception(
                    "could not write the OCPP log row of station %s (%s %s %s)",
                    row.charge_point_id,
                    row.direction,
                    row.action or row.message_type,
                    row.unique_id,
                )
                return
            middle = len(rows) // 2
            await self._write(rows[:middle])
            await self._write(rows[middle:])


message_log = MessageLog()
