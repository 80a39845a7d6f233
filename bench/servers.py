"""What the benchmarks share: starting and stopping the servers they measure, and percentiles.

bench/ocpp_load.py, bench/station_search.py and bench/live_latency.py run
as plain scripts; each puts the project root on sys.path before importing
this module as `bench.servers`.  Every process started here runs with the
project root as its working directory, listens on 127.0.0.1 only and writes
its output to a log file.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
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
