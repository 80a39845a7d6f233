"""Live-session latency: how soon the driver's app sees what the charger metered.

The requirement under test: the session WebSocket pushes meter values within
a second of the charger's message.  This bench runs the driver journey of
tests/e2e/test_driver_journey.py N times at once against a real stack (uvicorn via csms.serve,
a Celery worker, Redis, SQLite or PostgreSQL):

1. setup: N located stations (with an energy tariff, so every push carries a
   cost, as the app shows it), their chargers online over raw OCPP 1.6J, and
   N drivers signed up through the API (a fleet billed by invoice: no card hold);
2. start: each driver POSTs /api/v1/sessions and watches
   /ws/v1/sessions/{id}; its charger accepts RemoteStartTransaction and sends
   StartTransaction; *start latency* runs from the POST to the socket showing
   the session active;
3. meter: each charger sends MeterValues every --interval seconds for
   --duration seconds with rising energy; *push latency* runs from sending a
   frame to the first socket message whose energy_kwh includes it.

Everything listens on 127.0.0.1.  Without REDIS_URL an embedded Redis is
started; the channel-layer prefix and Celery queue are this run's own, so a
shared Redis carries other runs undisturbed.  --database-url must name an
existing database (it is migrated; station ids and e-mails are unique per
run, so it can be reused).

    python bench/live_latency.py --sessions 20 --interval 1 --duration 20
    python bench/live_latency.py --database-url postgres://postgres@127.0.0.1:5432/voltstack_live \\
        --json bench/results/live_latency_postgres.json
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import math
import os
import random
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import requests
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a plain script, yet use the project's helpers

from bench.servers import deployment_secrets, embedded_redis, percentile, running  # noqa: E402
from csms.embedded import free_port, port_open  # noqa: E402

STATION_PASSWORD = "live-bench-station-password"
DRIVER_PASSWORD = "live-bench-Driver-pass-1"
POWER_W = 11_000  # what the chargers report drawing; sets how fast energy rises
CALL_TIMEOUT = 10.0  # seconds for any one OCPP answer or HTTP reply
START_TIMEOUT = 30.0  # seconds from the POST until the session must be active
PUSH_GRACE = 5.0  # seconds after the last MeterValues to wait for its push
SETUP_TIMEOUT = 120.0  # seconds for every charger online and every driver signed up


class BenchError(Exception):
    """A session could not go through the journey; counted by reason, not fatal to the run."""


@dataclass
class Config:
    sessions: int
    interval: float
    duration: float
    database: str


@dataclass
class Recorder:
    """Every measured latency in seconds, and what went wrong, across all sessions."""

    starts: list[float] = field(default_factory=list)
    pushes: list[float] = field(default_factory=list)
    answers: list[float] = field(default_factory=list)  # MeterValues CALL → CALLRESULT, for comparison
    sent: int = 0
    missing: int = 0  # MeterValues never reflected on the socket within PUSH_GRACE
    skipped: int = 0  # reading slots passed over while the previous MeterValues awaited its answer
    failures: Counter[str] = field(default_factory=Counter)


# ------------------------------------------------------------------ the charger


class Charger:
    """A raw OCPP 1.6J charger: its CALLs matched to their answers by id, the server's CALLs queued.

    One reader per socket, because the server's RemoteStartTransaction and the
    answers to our own CALLs arrive on the same connection. It answers the
    configuration read that follows every boot itself, as a charger does.
    """

    def __init__(self, charge_point_id: str, ws: ClientConnection) -> None:
        self.id = charge_point_id
        self.ws = ws
        self.answers: dict[str, asyncio.Future] = {}
        self.calls: asyncio.Queue[list] = asyncio.Queue()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in self.ws:
                frame = json.loads(raw)
                if frame[0] == 2 and frame[2] == "GetConfiguration":  # the CSMS reads it after every boot
                    await self.ws.send(json.dumps([3, frame[1], {"configurationKey": [], "unknownKey": []}]))
                elif frame[0] == 2:
                    self.calls.put_nowait(frame)
                elif (future := self.answers.pop(frame[1], None)) is not None:
                    future.set_result(frame)

    async def call(self, action: str, payload: dict) -> dict:
        unique_id = uuid.uuid4().hex[:12]
        self.answers[unique_id] = future = asyncio.get_running_loop().create_future()
        await self.ws.send(json.dumps([2, unique_id, action, payload]))
        frame = await asyncio.wait_for(future, CALL_TIMEOUT)
        if frame[0] != 3:
            raise BenchError(f"{action} answered {frame[2:4]}")
        return frame[2]

    async def answer(self, action: str, payload: dict) -> dict:
        """Wait for the server's CALL `action`, answer it with `payload`; its request payload."""
        frame = await asyncio.wait_for(self.calls.get(), CALL_TIMEOUT)
        if frame[2] != action:
            raise BenchError(f"expected {action}, the server sent {frame[2]}")
        await self.ws.send(json.dumps([3, frame[1], payload]))
        return frame[3]


async def charger_online(port: int, charge_point_id: str, stack: contextlib.AsyncExitStack) -> Charger:
    token = base64.b64encode(f"{charge_point_id}:{STATION_PASSWORD}".encode()).decode()
    ws = await stack.enter_async_context(
        connect(
            f"ws://127.0.0.1:{port}/ocpp/{charge_point_id}",
            subprotocols=["ocpp1.6"],
            additional_headers={"Authorization": f"Basic {token}"},
            open_timeout=CALL_TIMEOUT,
        )
    )
    charger = Charger(charge_point_id, ws)
    boot = await charger.call("BootNotification", {"chargePointVendor": "Voltstack", "chargePointModel": "LiveBench"})
    if boot["status"] != "Accepted":
        raise BenchError(f"{charge_point_id} boot {boot['status']}")
    await charger.call(
        "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available", "timestamp": _now()}
    )
    return charger


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ---------------------------------------------------------------------- the app


class SessionWatch:
    """The driver's app on /ws/v1/sessions/{id}: when the session went active, when each reading showed.

    Every message is the session's whole state, so one message can show several
    readings at once; each counts as pushed when the first message including it arrives.
    """

    def __init__(self, ws: ClientConnection, recorder: Recorder) -> None:
        self.ws = ws
        self.recorder = recorder
        self.started: asyncio.Future[tuple[str, float, dict]] = asyncio.get_running_loop().create_future()
        self.awaiting: deque[tuple[int, float]] = deque()  # (energy Wh, when its MeterValues was sent)
        self.reader = asyncio.create_task(self._read())

    def expect(self, energy_wh: int, sent_at: float) -> None:
        self.awaiting.append((energy_wh, sent_at))

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in self.ws:
                arrived = time.perf_counter()
                session = json.loads(raw)["session"]
                if session["state"] in ("active", "failed") and not self.started.done():
                    self.started.set_result((session["state"], arrived, session))
                shown_wh = round((session["energy_kwh"] or 0) * 1000)
                while self.awaiting and self.awaiting[0][0] <= shown_wh:
                    self.recorder.pushes.append(arrived - self.awaiting.popleft()[1])

    async def drain(self, timeout: float) -> int:
        """Give the last readings time to show; how many never did. Stops reading, so a later push is not counted."""
        deadline = time.monotonic() + timeout
        while self.awaiting and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        self.reader.cancel()
        return len(self.awaiting)


def http_post(
    port: int, path: str, body: dict, token: str | None = None, timeout: float = CALL_TIMEOUT
) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.post(f"http://127.0.0.1:{port}{path}", json=body, headers=headers, timeout=timeout)
    return response.status_code, response.json()


async def sign_up(port: int, email: str) -> str:
    """Through the API, as the journey does; one at a time, since each hashes a password on the server."""
    account = {"email": email, "password": DRIVER_PASSWORD}
    status, body = await asyncio.to_thread(http_post, port, "/api/v1/auth/signup", account, timeout=SETUP_TIMEOUT)
    if status != 201:
        raise BenchError(f"sign-up {status}: {body}")
    return body["tokens"]["access"]


# ------------------------------------------------------------------ one journey


async def drive_session(port: int, charger: Charger, token: str, config: Config, recorder: Recorder) -> None:
    """Start a session as the driver and the charger do, then meter it for the duration."""
    posted = time.perf_counter()
    status, body = await asyncio.to_thread(
        http_post, port, "/api/v1/sessions", {"station_id": charger.id, "evse_id": 1}, token
    )
    if status != 202:
        raise BenchError(f"start {status}: {body}")
    async with connect(
        f"ws://127.0.0.1:{port}/ws/v1/sessions/{body['id']}",
        additional_headers={"Authorization": f"Bearer {token}"},
        open_timeout=CALL_TIMEOUT,
    ) as live:
        watch = SessionWatch(live, recorder)
        remote = await charger.answer("RemoteStartTransaction", {"status": "Accepted"})
        started = await charger.call(
            "StartTransaction", {"connectorId": 1, "idTag": remote["idTag"], "meterStart": 0, "timestamp": _now()}
        )
        state, active_at, session = await asyncio.wait_for(watch.started, START_TIMEOUT)
        if state != "active":
            raise BenchError(f"session {state}: {session['error']}")
        recorder.starts.append(active_at - posted)
        await send_readings(charger, watch, started["transactionId"], config, recorder)
        recorder.missing += await watch.drain(PUSH_GRACE)


async def send_readings(
    charger: Charger, watch: SessionWatch, transaction_id: int, config: Config, recorder: Recorder
) -> None:
    """MeterValues on a fixed schedule for the duration, the sessions' phases spread over one interval.

    One CALL at a time, as OCPP wants: slots that pass while an answer is late
    are skipped (and counted), so an overloaded server cannot stretch the run.
    """
    step_wh = max(1, round(POWER_W * config.interval / 3600))
    loop = asyncio.get_running_loop()
    next_at = loop.time() + random.uniform(0, config.interval)
    end = next_at + config.duration
    energy_wh = 0
    while next_at < end:
        await asyncio.sleep(max(0.0, next_at - loop.time()))
        energy_wh += step_wh
        sent_at = time.perf_counter()
        watch.expect(energy_wh, sent_at)
        recorder.sent += 1
        await charger.call(
            "MeterValues",
            {
                "connectorId": 1,
                "transactionId": transaction_id,
                "meterValue": [
                    {
                        "timestamp": _now(),
                        "sampledValue": [
                            {"value": str(energy_wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                            {"value": str(POWER_W), "measurand": "Power.Active.Import", "unit": "W"},
                        ],
                    }
                ],
            },
        )
        recorder.answers.append(time.perf_counter() - sent_at)
        next_at += config.interval
        if (late := loop.time() - next_at) > 0:
            skipped = math.ceil(late / config.interval)
            recorder.skipped += skipped
            next_at += skipped * config.interval


async def run(port: int, charge_point_ids: list[str], run_id: str, config: Config) -> Recorder:
    """Bring every charger and driver up, then run all the journeys at once."""
    recorder = Recorder()
    # One thread per driver, so no POST waits for another's thread and inflates its start latency.
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=config.sessions + 4))
    async with contextlib.AsyncExitStack() as stack:
        async with asyncio.timeout(SETUP_TIMEOUT):
            chargers = await asyncio.gather(*(charger_online(port, cp, stack) for cp in charge_point_ids))
            emails = [f"live-{run_id}-{n}@example.com" for n in range(len(charge_point_ids))]
            tokens = [await sign_up(port, email) for email in emails]
            await asyncio.to_thread(bill_by_invoice, emails)

        budget = START_TIMEOUT + config.interval + config.duration + CALL_TIMEOUT + PUSH_GRACE

        async def journey(charger: Charger, token: str) -> None:
            """One driver's session, bounded in time; what stops it is counted, the others go on."""
            try:
                async with asyncio.timeout(budget):
                    await drive_session(port, charger, token, config, recorder)
            except (BenchError, TimeoutError, WebSocketException, OSError) as exc:
                recorder.failures[f"{type(exc).__name__}: {exc}"[:120]] += 1

        await asyncio.gather(*(journey(charger, token) for charger, token in zip(chargers, tokens)))
    return recorder


# -------------------------------------------------------------------- the stack


def bill_by_invoice(emails: list[str]) -> None:
    """The bench's drivers are a fleet billed monthly: priced sessions (every push carries the cost)
    need no card hold, so the bench needs no Stripe."""
    from django.contrib.auth import get_user_model
    from django.db import connections

    from billing.models import BillingAccount

    for driver in get_user_model().objects.filter(email__in=emails):
        BillingAccount.objects.create(driver=driver, pays_by_invoice=True)
    connections.close_all()


def prepare_database(database_url: str, run_id: str, count: int) -> list[str]:
    """Migrate, then seed one located station per session; their charge point ids.

    Seeded here rather than through a command so the bench needs nothing the
    project does not already have; the stations share one location with an
    energy tariff, so each push carries the cost the app shows.
    """
    os.environ.update(DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="csms.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from billing.models import PriceComponent, Tariff, TariffAssignment, TariffElement
    from stations.models import Location
    from stations.services.connections import provision_station

    call_command("migrate", interactive=False, verbosity=0)
    location = Location.objects.create(
        name=f"Live bench {run_id}",
        address="Alexanderplatz 1",
        city="Berlin",
        postal_code="10178",
        latitude=Decimal("52.521918"),
        longitude=Decimal("13.413215"),
    )
    tariff = Tariff.objects.create(tariff_id=f"LIVE-{run_id}", currency="EUR")
    element = TariffElement.objects.create(tariff=tariff, position=0)
    PriceComponent.objects.create(element=element, type="ENERGY", price=Decimal("0.30"), vat=Decimal("20"), step_size=1)
    TariffAssignment.objects.create(tariff=tariff, location=location)
    charge_point_ids = [f"LIVE-{run_id}-{n:04d}" for n in range(1, count + 1)]
    for charge_point_id in charge_point_ids:
        provision_station(charge_point_id=charge_point_id, password=STATION_PASSWORD, location=location)
    connections.close_all()  # the servers use the database from here on
    return charge_point_ids


@contextlib.contextmanager
def stack(workdir: Path, database_url: str, run_id: str) -> Iterator[int]:
    """Redis (unless REDIS_URL is set), the ASGI server and a Celery worker on this run's own prefix; yields its port.

    The worker is needed: the API hands RemoteStartTransaction to a Celery task.
    Throttles are lifted because every driver signs up and starts from 127.0.0.1.
    """
    prefix = f"live{run_id}"
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        CHANNEL_LAYER_PREFIX=prefix,
        CELERY_QUEUE=prefix,
        API_THROTTLE_AUTH="10000/min",
        API_THROTTLE_SESSION_START="10000/min",
        **deployment_secrets(),
    )
    with contextlib.ExitStack() as processes:
        if not env.get("REDIS_URL"):
            env["REDIS_URL"] = processes.enter_context(embedded_redis(workdir))
        celery_log = workdir / "celery.log"
        processes.enter_context(
            running(
                "celery worker",
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "csms",
                    "worker",
                    "-l",
                    "info",
                    "--pool",
                    "threads",
                    "--concurrency",
                    "4",
                    "-Q",
                    prefix,
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
                ready=lambda: " ready." in celery_log.read_text(errors="replace"),
                log_path=celery_log,
                env=env,
                fresh_log=True,
            )
        )
        port = free_port()
        processes.enter_context(
            running(
                "server",
                [sys.executable, "-m", "csms.serve", "--host", "127.0.0.1", "--port", str(port)],
                ready=lambda: port_open(port),
                log_path=workdir / "server.log",
                env=env,
                fresh_log=True,
            )
        )
        yield port


# ---------------------------------------------------------------------- report


def summary(config: Config, recorder: Recorder, load: float) -> dict:
    """The numbers, with the machine's load: on a shared small machine they measure the neighbours too."""

    def latency(values: list[float]) -> dict[str, float | None]:
        ordered = sorted(values)
        return {f"p{p}": _ms(percentile(ordered, p)) for p in (50, 95, 99, 100)}

    within = sum(1 for seconds in recorder.pushes if seconds <= 1.0)
    return {
        "config": asdict(config),
        "sessions_active": len(recorder.starts),
        "failures": dict(recorder.failures),
        "start_latency_ms": latency(recorder.starts),
        "meter_values_sent": recorder.sent,
        "reading_slots_skipped": recorder.skipped,
        "pushes_matched": len(recorder.pushes),
        "pushes_missing": recorder.missing,
        "push_within_1s_percent": round(100 * within / recorder.sent, 1) if recorder.sent else None,
        "push_latency_ms": latency(recorder.pushes),
        "meter_values_answer_ms": latency(recorder.answers),
        "load_average_1m": round(load, 2),
        "cpu_cores": os.cpu_count(),
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def report(result: dict) -> str:
    config = result["config"]

    def line(name: str, ms: dict) -> str:
        return f"{name}: p50 {ms['p50']}  p95 {ms['p95']}  p99 {ms['p99']}  max {ms['p100']}"

    return "\n".join(
        [
            f"== {config['sessions']} sessions on {config['database']}, MeterValues every {config['interval']:g}s "
            f"for {config['duration']:g}s",
            f"sessions active: {result['sessions_active']} of {config['sessions']}"
            + "".join(f"\nfailed ({count}x): {reason}" for reason, count in result["failures"].items()),
            line("start ms (POST → active on the socket)", result["start_latency_ms"]),
            line("push ms (MeterValues sent → socket shows it)", result["push_latency_ms"]),
            f"pushes: {result['pushes_matched']} of {result['meter_values_sent']} MeterValues, "
            f"{result['pushes_missing']} missing, {result['push_within_1s_percent']}% within 1 s; "
            f"{result['reading_slots_skipped']} reading slots skipped waiting for answers",
            line("MeterValues CALL → CALLRESULT ms", result["meter_values_answer_ms"]),
            f"machine load (1 min) at the end: {result['load_average_1m']} on {result['cpu_cores']} cores",
        ]
    )


# ------------------------------------------------------------------------ main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Live-session latency: MeterValues → the driver's WebSocket.")
    parser.add_argument("--sessions", type=int, default=20, help="concurrent driver sessions (default 20)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between MeterValues (default 1)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of MeterValues per session (default 20)")
    parser.add_argument(
        "--database-url",
        help="an existing database, e.g. "
        "postgres://postgres@127.0.0.1:5432/voltstack_live (default: a throwaway SQLite file under var/)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=ROOT / "bench" / "results" / "live_latency.json",
        help="write the results here (default bench/results/live_latency.json)",
    )
    parser.add_argument(
        "--workdir", type=Path, help="keep the logs and the SQLite file here (default: a temp dir under var/)"
    )
    args = parser.parse_args(argv)
    if args.sessions < 1 or args.interval <= 0 or args.duration < args.interval:
        parser.error("--sessions and --interval must be positive, --duration at least one interval")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGHUP):  # a killed bench must not orphan its servers
        signal.signal(signum, lambda number, _: sys.exit(128 + number))
    run_id = uuid.uuid4().hex[:6]
    (ROOT / "var").mkdir(exist_ok=True)
    with contextlib.ExitStack() as cleanup:
        workdir = args.workdir or Path(
            cleanup.enter_context(tempfile.TemporaryDirectory(dir=ROOT / "var", prefix="live-"))
        )
        workdir.mkdir(parents=True, exist_ok=True)
        database_url = args.database_url or f"sqlite:///{workdir / 'live.sqlite3'}"
        charge_point_ids = prepare_database(database_url, run_id, args.sessions)
        port = cleanup.enter_context(stack(workdir, database_url, run_id))
        database = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
        config = Config(args.sessions, args.interval, args.duration, database)
        recorder = asyncio.run(run(port, charge_point_ids, run_id, config))
        result = summary(config, recorder, os.getloadavg()[0])
    print(report(result))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if not result["failures"] and not result["pushes_missing"] else 1


if __name__ == "__main__":
    sys.exit(main())
