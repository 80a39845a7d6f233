"""Publishing small JSON events to channel groups, for dashboards and apps.

The live subscribers of each app (stations/live.py, sessions/live.py) call
`publish` as they hear lifecycle events, which arrive after the change
commits; a service calling it directly waits for its commit too, so a socket
never sees an event for data that was rolled back. Delivery runs
on a background thread with its own event loop: a write (an OCPP answer, a
Celery task) never waits on Redis for a live view, and events leave in the
order they were published.
"""

import asyncio
import logging
import queue
import threading

from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


# Every operator's dashboard socket joins this group: the network's state changes (not its readings).
DASHBOARD_GROUP = "dashboard"


def station_group(station_id: int) -> str:
    return f"station.{station_id}"


def station_sessions_group(station_id: int) -> str:
    """A station's sessions starting, stopping and priced per reading: for its page on the dashboard
    (apart from station_group, so a driver watching availability hears nothing per reading)."""
    return f"station_sessions.{station_id}"


def transaction_group(transaction_id: int) -> str:
    return f"transaction.{transaction_id}"


def driver_session_group(session_id: int) -> str:
    return f"driver_session.{session_id}"


def publish(groups: list[str], event: dict) -> None:
    """Send `event` to each group once the current DB transaction commits."""
    transaction.on_commit(lambda: _publisher.submit(groups, event))


class _Publisher:
    def __init__(self) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, groups: list[str], event: dict) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._pump, name="live-events", daemon=True)
                self._thread.start()
        self._queue.put((groups, {"type": "live.event", "event": event}))

    def _pump(self) -> None:
        """Deliver events forever; a daemon thread, so it never holds a process open at exit."""
        loop = asyncio.new_event_loop()
        layer = get_channel_layer()
        while True:
            groups, message = self._queue.get()
            for group in groups:
                try:
                    loop.run_until_complete(layer.group_send(group, message))
                except Exception:  # a live view missing an update must never stop the others
                    logger.warning("could not publish %s to %s", message["event"].get("type"), group, exc_info=True)


_publisher = _Publisher()
