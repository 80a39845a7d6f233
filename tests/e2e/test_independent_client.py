"""An independent OCPP 1.6J client: a charger built on Node.js with the npm package
ocpp-rpc (tests/e2e/node/charger.js), which validates every frame against its own
copy of the 1.6 schemas (strictMode). It boots, runs a session, and carries out a
RemoteStopTransaction the CSMS sends through csms.ocpp.commands.

`make test` installs the package (npm ci from tests/e2e/node/package-lock.json)."""

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async

from csms.ocpp.models import OcppMessage
from sessions import remote_control
from sessions.models import MeterValue, Transaction
from stations.models import ChargingStation, Connector, StatusEvent
from tests.conftest import eventually
from tests.ocpp_client import STATION_PASSWORD

pytestmark = pytest.mark.e2e

NODE_DIR = Path(__file__).resolve().parent / "node"
CHARGER = NODE_DIR / "charger.js"
CHARGE_POINT_ID = "NODE-OCPP-RPC-1"
ID_TAG = "NODE-TAG-1"
STEP_TIMEOUT = 15.0


def node_executable() -> str:
    """CI has Node.js: a missing node is a failure, not a reason to skip."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("`node` (Node.js >= 17.3) is not on PATH: it is required by the independent-client e2e test")
    if not (NODE_DIR / "node_modules" / "ocpp-rpc").is_dir():
        pytest.fail(
            "ocpp-rpc is not installed: run `make test`, or `npm ci --prefix tests/e2e/node --no-audit --no-fund`"
        )
    return node


class Charger:
    """The node process: its stdout parsed as one JSON object per line, its stderr (the frames) kept."""

    def __init__(self, process: asyncio.subprocess.Process):
        self.process = process
        self.steps: list[dict] = []
        self.stderr = bytearray()
        self._drain = asyncio.create_task(self._read_stderr())

    @classmethod
    async def start(cls, *args: str) -> "Charger":
        process = await asyncio.create_subprocess_exec(
            node_executable(),
            str(CHARGER),
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(process)

    async def _read_stderr(self) -> None:
        while chunk := await self.process.stderr.read(65536):
            self.stderr += chunk

    def explain(self) -> str:
        steps = "\n".join(json.dumps(step) for step in self.steps)
        return f"charger.js stdout:\n{steps}\ncharger.js stderr (frames):\n{self.stderr.decode(errors='replace')}"

    async def next_step(self) -> dict | None:
        """The next line of stdout as JSON; None at its end."""
        try:
            line = await asyncio.wait_for(self.process.stdout.readline(), STEP_TIMEOUT)
        except TimeoutError:
            await self.stop()
            pytest.fail(f"charger.js printed nothing for {STEP_TIMEOUT} s\n{self.explain()}")
        if not line:
            return None
        step = json.loads(line)
        self.steps.append(step)
        return step

    async def until(self, name: str) -> dict:
        while (step := await self.next_step()) is not None and step["step"] != "error":
            if step["step"] == name:
                return step
        await self.stop()
        pytest.fail(f"charger.js ended (exit {self.process.returncode}) before step {name!r}\n{self.explain()}")

    def step(self, name: str) -> dict:
        found = [step for step in self.steps if step["step"] == name]
        assert found, f"charger.js printed no step {name!r}\n{self.explain()}"
        return found[-1]

    async def finish(self) -> int:
        """Read stdout to its end and wait for the exit (charger.js gives up after 30 s itself)."""
        try:
            while await self.next_step() is not None:
                pass
            await asyncio.wait_for(self.process.wait(), STEP_TIMEOUT)
        finally:
            await self.stop()
        return self.process.returncode

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        await self._drain


async def test_ocpp_rpc_charger_runs_a_session_and_obeys_a_remote_stop(server, make_station, make_id_tag):
    station = await make_station(CHARGE_POINT_ID)
    await make_id_tag(ID_TAG)

    charger = await Charger.start(server.ocpp_url, CHARGE_POINT_ID, STATION_PASSWORD, ID_TAG)
    try:
        ready = await charger.until("ready")
        transaction = await sync_to_async(Transaction.objects.get)(pk=ready["transactionId"])
        assert transaction.station_id == station.pk and transaction.status == "active"

        answer = await remote_control.remote_stop(transaction_id=transaction.pk)
        assert answer.status == "Accepted"

        returncode = await charger.finish()
    finally:
        await charger.stop()
    assert returncode == 0, f"charger.js exited {returncode}\n{charger.explain()}"

    # What the CSMS answered, as ocpp-rpc (strict mode) accepted it.
    assert charger.step("connected")["protocol"] == "ocpp1.6"
    boot = charger.step("boot")["response"]
    assert boot["status"] == "Accepted" and boot["interval"] > 0
    assert charger.step("authorize")["response"]["idTagInfo"]["status"] == "Accepted"
    assert charger.step("remote-stop")["request"] == {"transactionId": transaction.pk}
    assert charger.step("stop")["response"]["idTagInfo"]["status"] == "Accepted"
    assert charger.step("closed")["code"] == 1000

    def closed_and_logged():
        """the server saw the charger go, and logged its 13 calls and their 13 answers"""
        offline = ChargingStation.objects.filter(
            pk=station.pk, connection_channel="", disconnected_at__isnull=False
        ).exists()
        return offline and OcppMessage.objects.filter(charge_point_id=CHARGE_POINT_ID).count() >= 26

    await eventually(closed_and_logged)

    # What the CSMS kept.
    station = await sync_to_async(ChargingStation.objects.get)(pk=station.pk)
    assert (station.vendor, station.model, station.serial_number) == ("ocpp-rpc", "NodeCharger", "NODE-0001")
    assert station.ocpp_version == "1.6" and station.status == "Available"

    transaction = await sync_to_async(Transaction.objects.get)(pk=transaction.pk)
    assert transaction.status == "completed" and transaction.stopped_at is not None
    assert (transaction.meter_start_wh, transaction.meter_stop_wh, transaction.energy_wh) == (1000, 4000, 3000)
    assert transaction.stop_reason == "Remote" and transaction.id_tag_value == ID_TAG

    readings = await sync_to_async(
        lambda: list(
            MeterValue.objects.filter(transaction=transaction)
            .order_by("timestamp")
            .values_list("measurand", "value", "unit", "context", "location")
        )
    )()
    assert [(m, int(v), u, c, loc) for m, v, u, c, loc in readings] == [
        ("Energy.Active.Import.Register", 2000, "Wh", "Sample.Periodic", "Outlet"),
        ("Energy.Active.Import.Register", 3000, "Wh", "Sample.Periodic", "Outlet"),
    ]

    connector = await sync_to_async(Connector.objects.get)(evse__station=station, evse__number=1)
    assert connector.status == "Available"
    history = await sync_to_async(
        lambda: list(
            StatusEvent.objects.filter(connector=connector).order_by("timestamp").values_list("status", flat=True)
        )
    )()
    assert history == ["Available", "Preparing", "Charging", "Finishing", "Available"]

    log = await sync_to_async(
        lambda: list(
            OcppMessage.objects.filter(charge_point_id=CHARGE_POINT_ID, action="RemoteStopTransaction")
            .order_by("created_at", "pk")
            .values_list("direction", "message_type", "unique_id", "payload")
        )
    )()
    assert [(direction, kind) for direction, kind, _, _ in log] == [("out", 2), ("in", 3)]
    (_, _, call_id, call_frame), (_, _, result_id, result_frame) = log
    assert call_id == result_id
    assert json.loads(call_frame) == [2, call_id, "RemoteStopTransaction", {"transactionId": transaction.pk}]
    assert json.loads(result_frame) == [3, call_id, {"status": "Accepted"}]
