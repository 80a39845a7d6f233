"""What the simulator tests against the bare central systems share (no Django needed)."""

import asyncio
import contextlib
import importlib.util
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from csms.embedded import free_port, port_open

__all__ = ["bare_server", "free_port", "load_script", "run", "wait_until"]


def load_script(path: Path) -> ModuleType:
    """A bench script imported as a module, so a test can run its central system in-process."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(coro: Coroutine[Any, Any, Any], timeout: float = 30.0) -> Any:
    """Run a scenario in a fresh loop, bounded so a hang fails instead of blocking the suite."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


async def wait_until(predicate: Callable[[], Any], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


@contextlib.contextmanager
def bare_server(script: Path) -> Iterator[str]:
    """The script as a subprocess, with a 1 s heartbeat interval so heartbeats show up; its OCPP URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(script), "--port", str(port), "--heartbeat-interval", "1"], stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 15
        while not port_open(port):
            assert process.poll() is None and time.monotonic() < deadline, f"{script.name} did not start"
            time.sleep(0.05)
        yield f"ws://127.0.0.1:{port}/ocpp"
    finally:
        process.terminate()
        process.wait(timeout=10)
