"""Which server processes are alive: a station's recorded socket exists only while its process does.

channels_redis names every channel of a process's layer "<process>!<connection>",
so a consumer's channel name tells which process holds the socket. Each
process that holds charger sockets keeps two keys in the shared cache (Redis):
`alive`, with a TTL of OCPP_PROCESS_TTL seconds, rewritten by a beacon thread
three times per TTL, and `seen`, which outlives it by a day. A process seen but
no longer alive has died (kill -9, out of memory, a lost host), and every
socket it held is gone with it.

A process never seen (the cache was flushed, or a channel name written by
hand) is not declared dead: its stations fall back to the heartbeat sweep.
Losing the keys thus never marks live sockets offline.
"""

import logging
import threading
import time
from collections.abc import Iterable

from django.conf import settings

from csms.shared_cache import shared_cache

logger = logging.getLogger(__name__)

SEEN_FOR_S = 86_400


def process_of(channel_name: str) -> str:
    """The process part of a channel name; empty for a name that has none."""
    process, bang, _ = channel_name.partition("!")
    return process if bang else ""


def _alive_key(process: str) -> str:
    return f"ocpp-process:{process}:alive"


def _seen_key(process: str) -> str:
    return f"ocpp-process:{process}:seen"


def dead_processes(processes: Iterable[str]) -> set[str]:
    """The processes among these that were alive once and no longer are."""
    wanted = {process for process in processes if process}
    if not wanted:
        return set()
    try:
        found = shared_cache().get_many(
            [key for process in wanted for key in (_alive_key(process), _seen_key(process))]
        )
    except Exception:  # the cache is down: nobody is declared dead on a guess
        logger.warning("process liveness unreadable; no process is taken for dead", exc_info=True)
        return set()
    return {process for process in wanted if _seen_key(process) in found and _alive_key(process) not in found}


def holder_is_dead(channel_name: str) -> bool:
    """Whether the process that held this channel's socket has died."""
    process = process_of(channel_name)
    return bool(process) and process in dead_processes([process])


class _Beacons:
    """One beacon thread per process name this process speaks for (in practice one)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[str] = set()

    def running(self, process: str) -> bool:
        return process in self._running

    def start(self, process: str) -> None:
        """Declare `process` alive now (before any of its sockets is recorded), then keep it so."""
        with self._lock:
            if process in self._running:
                return
            _declare_alive(process)
            threading.Thread(target=self._beat, args=(process,), name=f"liveness-{process}", daemon=True).start()
            self._running.add(process)

    @staticmethod
    def _beat(process: str) -> None:
        """Forever, a daemon thread: it dies with its process, which is the point."""
        while True:
            time.sleep(settings.OCPP_PROCESS_TTL / 3)
            try:
                _declare_alive(process)
            except Exception:  # a cache outage must not stop the beacon for good
                logger.warning("could not refresh the liveness of %s", process, exc_info=True)


def _declare_alive(process: str) -> None:
    shared_cache().set(_alive_key(process), 1, timeout=settings.OCPP_PROCESS_TTL)
    shared_cache().set(_seen_key(process), 1, timeout=SEEN_FOR_S)


_beacons = _Beacons()


def keep_alive(channel_name: str) -> None:
    """Keep the process holding `channel_name` declared alive; cheap once its beacon runs."""
    process = process_of(channel_name)
    if process and not _beacons.running(process):
        _beacons.start(process)


def beacon_running(channel_name: str) -> bool:
    return _beacons.running(process_of(channel_name))
