"""The `ocpi_partner` fixture: the independent eMSP (partner.py) as a process on a free port.

It runs from its own venv (`make test` builds it: tests/e2e/ocpi_partner/.venv), keeps its state
in var/ (so restart() brings back the same peer, tokens and objects) and its log beside it."""

import asyncio
import json
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from csms.embedded import free_port

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent.parent
PYTHON = HERE / ".venv" / "bin" / "python"
START_TIMEOUT = 15.0


class OcpiPartner:
    """One partner process; its URLs stay the same across restart() (same port, same state file)."""

    def __init__(self):
        if not PYTHON.exists():
            pytest.fail("the OCPI partner's venv is missing: run `make tests/e2e/ocpi_partner/.venv/.installed`")
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.versions_url = f"{self.base_url}/ocpi/versions"
        self.state_file = ROOT / "var" / f"ocpi-partner-{self.port}.json"
        self.log_path = ROOT / "var" / f"ocpi-partner-{self.port}.log"
        self.state_file.unlink(missing_ok=True)
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        log = open(self.log_path, "a")
        self.process = subprocess.Popen(
            [str(PYTHON), str(HERE / "partner.py"), "--port", str(self.port)],
            cwd=ROOT,
            env={"PARTNER_STATE": str(self.state_file), "PATH": "/usr/bin:/bin"},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the OCPI partner exited ({self.process.returncode}); see {self.log_path}")
            try:  # any HTTP answer (403 without a token) means it serves
                urllib.request.urlopen(self.versions_url, timeout=1)
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"the OCPI partner did not answer on {self.versions_url} within {START_TIMEOUT} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def control(self, method: str, path: str, json_body: dict | None = None, expect: int = 200):
        """A call to its test-only /control API (not OCPI); the JSON answer, its status asserted."""
        status, body = request(method, f"{self.base_url}/control{path}", json_body)
        assert status == expect, f"{method} /control{path} answered {status}: {body}"
        return body

    async def acontrol(self, method: str, path: str, json_body: dict | None = None, expect: int = 200):
        """control() off the event loop: the partner may call back a server this loop serves."""
        return await asyncio.to_thread(self.control, method, path, json_body, expect)


def request(method: str, url: str, json_body: dict | None = None, headers: dict | None = None):
    """(HTTP status, parsed JSON body or None): error statuses are answers, not exceptions."""
    data = json.dumps(json_body).encode() if json_body is not None else None
    headers = {"Content-Type": "application/json", **(headers or {})}
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    return status, json.loads(raw) if raw else None


@pytest.fixture
def ocpi_partner():
    partner = OcpiPartner()
    yield partner
    partner.stop()
