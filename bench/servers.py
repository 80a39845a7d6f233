"""What the benchmarks share: starting and stopping the servers they measure, and percentiles.

bench/ocpp_load.py, bench/station_search.py and bench/live_latency.py run
as plain scripts; each puts the project root on sys.path before importing
this module as `bench.servers`.  Every process started here runs with the
project root as its working directory, listens on 127.0.0.1 only and writes
its output to a log file.
"""

from __future__ import annotations

import contextlib
import http.client
import math
import os
import random
import secrets
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from csms.embedded import free_port, start_redis
from csms.secrets import REQUIRED

ROOT = Path(__file__).resolve().parent.parent
SERVER_START_TIMEOUT = 60.0  # seconds for a server to say it is ready
SERVER_STOP_TIMEOUT = 15.0  # seconds after SIGTERM before it is killed


@contextlib.contextmanager
def running(
    name: str,
    argv: list[str],
    *,
    ready: Callable[[], bool],
    log_path: Path,
    env: dict[str, str] | None = None,
    fresh_log: bool = False,
) -> Iterator[None]:
    """Run a server process until the block ends, once `ready()` says it serves.

    Its output is appended to log_path, or replaces what the file held with
    fresh_log (for a `ready` that reads the log, so an old run's lines in a
    kept work directory cannot pass for this one's).
    """
    with open(log_path, "wb" if fresh_log else "ab") as log:
        process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not ready():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not come up; see {log_path}")
            time.sleep(0.1)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=SERVER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def deployment_secrets() -> dict[str, str]:
    """The servers run with DATABASE_URL set, so they refuse to start without secrets: the environment's, else random ones."""
    return {name: os.environ.get(name) or secrets.token_urlsafe(48) for name in REQUIRED}


@contextlib.contextmanager
def embedded_redis(workdir: Path) -> Iterator[str]:
    """Voltstack's channel layer (and Celery) need Redis; without REDIS_URL use the project's embedded one.

    Yields its URL; the server keeps its files under workdir/redis.
    """
    port = free_port()
    redis = start_redis(port, workdir / "redis")
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        redis.terminate()
        redis.wait(timeout=10)


def run_logged(argv: list[str], env: dict[str, str], log_path: Path, timeout: float = 600) -> None:
    """Run a command to completion (a manage.py step, say), its output appended to log_path; fail if it fails."""
    with open(log_path, "ab") as log:
        subprocess.run(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=True, timeout=timeout)


def percentile(sorted_values: list[float], p: float) -> float | None:
    """Nearest-rank percentile, so p99 is a latency some call really had."""
    if not sorted_values:
        return None
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


@dataclass
class HttpLoad:
    """What `http_load`'s clients saw: the latency and size of each 200, and every other answer."""

    latencies: list[float] = field(default_factory=list)  # seconds, sorted
    sizes: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0

    @property
    def per_second(self) -> float:
        return round(len(self.latencies) / self.elapsed, 1) if self.elapsed else 0.0


def http_load(
    port: int, path: Callable[[random.Random], str], headers: dict[str, str], concurrency: int, duration: float
) -> HttpLoad:
    """`concurrency` clients on 127.0.0.1:port, each on one kept-alive connection, GET back to back for
    `duration` seconds; `path(rng)` picks each request's path (client n's rng is seeded with n)."""
    load = HttpLoad()
    lock = threading.Lock()
    deadline = time.monotonic() + duration

    def client(seed: int) -> None:
        rng = random.Random(seed)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.monotonic() < deadline:
            target = path(rng)
            started = time.perf_counter()
            try:
                connection.request("GET", target, headers=headers)
                response = connection.getresponse()
                status, body = response.status, response.read()
            except (OSError, http.client.HTTPException) as exc:  # a timeout or a dropped connection: start afresh
                connection.close()
                status, body = None, repr(exc).encode()
            elapsed = time.perf_counter() - started
            with lock:
                load.statuses[str(status)] += 1
                if status == 200:
                    load.latencies.append(elapsed)
                    load.sizes.append(len(body))
                else:
                    load.errors.append(f"{status} {target} {body[:200]!r}")
        connection.close()

    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(concurrency)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    load.elapsed = time.monotonic() - started
    load.latencies.sort()
    return load
