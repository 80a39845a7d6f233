"""OCPP 1.6J load benchmark: Voltstack against a bare `ocpp` central system.

N simulated chargers connect, boot and start one transaction each; then
every charger sends MeterValues at --rate messages per second (per charger,
so the offered total is chargers × rate) for --duration seconds while the
bench times every CALL → CALLRESULT.  The same load runs against Voltstack
(started here on a throwaway SQLite database unless --target is given) and
against bench/bare_csms.py, and the ratios show what Voltstack's own work
costs.  Everything listens on 127.0.0.1 only.

    python bench/ocpp_load.py --chargers 100 --rate 1.0 --duration 30 --json out.json
    python bench/ocpp_load.py --bare-only --chargers 1000 --duration 20
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a plain script, yet use the project's simulator

from bench.servers import deployment_secrets, embedded_redis, percentile, run_logged, running  # noqa: E402
from csms.embedded import free_port, port_open  # noqa: E402
from simulator import ChargerOptions, SimulatedCharger  # noqa: E402
from simulator.errors import CONNECT_ERRORS, SimulatorError  # noqa: E402

BARE_CSMS = ROOT / "bench" / "bare_csms.py"
SETUP_CALL_SLACK = 3  # a charger's setup (connect, boot, start) may take this many response timeouts
TEARDOWN_TIMEOUT = 30.0


@dataclass
class LoadConfig:
    chargers: int
    rate: float  # MeterValues per second per charger
    duration: float
    timeout: float
    prefix: str
    password: str
    connect_concurrency: int


@dataclass
class LoadResult:
    target: str
    url: str
    chargers_requested: int
    chargers_ready: int  # connected, booted and in a transaction when the measured phase began
    setup_failures: dict[str, int]  # why the others were not, by exception
    connections_held: int  # still connected when it ended
    setup_seconds: float
    offered_per_second: float
    answered: int
    messages_per_second: float
    latency_ms: dict[str, float | None]
    errors: int  # CALLERRORs and calls lost to a dropped connection
    timeouts: int
    missed_slots: int  # sends skipped because the charger was still waiting for its previous answer
    server_rss_mb: float | None
    server_rss_peak_mb: float | None
    server_cpu_percent: float | None  # of one core, averaged over the measured phase
    loadgen_cpu_percent: float


class Recorder:
    """The chargers' observer: latency and outcome of every MeterValues CALL in the measured phase.

    Only the driven load counts, so offered and answered compare; the odd
    Heartbeat falling into the window is left out.
    """

    def __init__(self) -> None:
        self.measuring = False
        self.latencies: list[float] = []
        self.outcomes: Counter[str] = Counter()
        self.missed_slots = 0

    def __call__(self, action: str, seconds: float, outcome: str) -> None:
        if not self.measuring or action != "MeterValues":
            return
        self.outcomes[outcome] += 1
        if outcome == "ok":
            self.latencies.append(seconds)


class ServerProbe:
    """RSS and CPU of the process listening on the target port, children included."""

    def __init__(self, port: int) -> None:
        self.process = _listening_process(port)
        self.peak_rss = 0

    def rss(self) -> int | None:
        family = self._family()
        if family is None:
            return None
        with contextlib.suppress(psutil.Error):
            total = sum(p.memory_info().rss for p in family)
            self.peak_rss = max(self.peak_rss, total)
            return total
        return None

    async def sample_rss(self) -> None:
        """Keep peak_rss up to date while the load runs."""
        while True:
            self.rss()
            await asyncio.sleep(1.0)

    def cpu_seconds(self) -> float | None:
        family = self._family()
        if family is None:
            return None
        with contextlib.suppress(psutil.Error):
            return sum(sum(p.cpu_times()[:2]) for p in family)
        return None

    def _family(self) -> list[psutil.Process] | None:
        if self.process is None:
            return None
        with contextlib.suppress(psutil.Error):
            return [self.process, *self.process.children(recursive=True)]
        return None


class CpuUsage:
    """CPU used by the server and by this load generator since creation, in % of one core."""

    def __init__(self, probe: ServerProbe) -> None:
        self.probe = probe
        self.loadgen = psutil.Process()
        self.wall = time.monotonic()
        self.server_cpu = probe.cpu_seconds()
        self.loadgen_cpu = sum(self.loadgen.cpu_times()[:2])

    def percentages(self) -> tuple[float | None, float]:
        wall = time.monotonic() - self.wall
        server_now = self.probe.cpu_seconds()
        server = None
        if server_now is not None and self.server_cpu is not None:
            server = round(100 * (server_now - self.server_cpu) / wall, 1)
        loadgen = round(100 * (sum(self.loadgen.cpu_times()[:2]) - self.loadgen_cpu) / wall, 1)
        return server, loadgen


def _listening_process(port: int) -> psutil.Process | None:
    with contextlib.suppress(psutil.Error):
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
                return psutil.Process(conn.pid)
    return None


# ------------------------------------------------------------------ the load


async def run_load(target: str, url: str, port: int, config: LoadConfig) -> LoadResult:
    """Set up every charger, drive MeterValues for the duration, measure, tear down."""
    recorder = Recorder()
    chargers = [
        SimulatedCharger(f"{config.prefix}{n:04d}", url, _charger_options(config), observer=recorder)
        for n in range(1, config.chargers + 1)
    ]
    setup_started = time.monotonic()
    ready, setup_failures = await _set_up(chargers, config)
    setup_seconds = time.monotonic() - setup_started
    probe = ServerProbe(port)
    usage = CpuUsage(probe)
    sampler = asyncio.create_task(probe.sample_rss())
    recorder.measuring = True
    elapsed = max(config.duration, await _drive(ready, config, recorder))
    recorder.measuring = False
    sampler.cancel()
    server_cpu, loadgen_cpu = usage.percentages()
    held = sum(1 for charger in chargers if charger.connected)
    rss = probe.rss()
    await _tear_down(chargers)
    latencies = sorted(recorder.latencies)
    return LoadResult(
        target=target,
        url=url,
        chargers_requested=config.chargers,
        chargers_ready=len(ready),
        setup_failures=dict(setup_failures),
        connections_held=held,
        setup_seconds=round(setup_seconds, 2),
        offered_per_second=config.chargers * config.rate,
        answered=recorder.outcomes["ok"],
        messages_per_second=round(recorder.outcomes["ok"] / elapsed, 1),
        latency_ms={f"p{p}": _ms(percentile(latencies, p)) for p in (50, 95, 99, 100)},
        errors=recorder.outcomes["error"] + recorder.outcomes["offline"],
        timeouts=recorder.outcomes["timeout"],
        missed_slots=recorder.missed_slots,
        server_rss_mb=_mb(rss),
        server_rss_peak_mb=_mb(probe.peak_rss or None),
        server_cpu_percent=server_cpu,
        loadgen_cpu_percent=loadgen_cpu,
    )


def _charger_options(config: LoadConfig) -> ChargerOptions:
    """Lean chargers: no frame log, no client-side schema checks, no own meter loop, no retries.

    They skip Authorize and keep charging whatever the CSMS says of their id
    tag (StopTransactionOnInvalidId=false), so no id tags need provisioning.
    """
    return ChargerOptions(
        password=config.password,
        connectors=1,
        meter_interval=0,
        response_timeout=config.timeout,
        connect_timeout=config.timeout,
        auto_reconnect=False,
        validate_messages=False,
        frame_log_size=0,
        config_overrides={"TransactionMessageAttempts": "1", "StopTransactionOnInvalidId": "false"},
    )


async def _set_up(chargers: list[SimulatedCharger], config: LoadConfig) -> tuple[list[SimulatedCharger], Counter[str]]:
    """Connect, boot and start a transaction on every charger, a bounded number at a time."""
    gate = asyncio.Semaphore(config.connect_concurrency)
    failures: Counter[str] = Counter()

    async def set_up(charger: SimulatedCharger) -> SimulatedCharger | None:
        async with gate:
            try:
                async with asyncio.timeout(config.timeout * SETUP_CALL_SLACK):
                    await charger.connect()
                    await charger.boot()
                    await charger.start_session(1, authorize=False)
                return charger
            except (SimulatorError, *CONNECT_ERRORS) as exc:
                failures[f"{type(exc).__name__}: {exc}"[:120]] += 1
                return None

    outcomes = await asyncio.gather(*(set_up(charger) for charger in chargers))
    return [charger for charger in outcomes if charger is not None], failures


async def _drive(chargers: list[SimulatedCharger], config: LoadConfig, recorder: Recorder) -> float:
    """Every charger sends MeterValues on its own fixed schedule; returns the seconds until the last answer."""
    loop = asyncio.get_running_loop()
    period = 1.0 / config.rate
    start = loop.time() + 0.1
    end = start + config.duration

    async def drive(charger: SimulatedCharger) -> None:
        next_at = start + random.uniform(0, period)  # spread the chargers over the first period
        while next_at < end and charger.connected:
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            await charger.send_meter_values(1)
            next_at += period
            late = loop.time() - next_at
            if late > 0:  # one CALL at a time per charger (OCPP): skip the slots the answer took
                skipped = math.ceil(late / period)
                recorder.missed_slots += skipped
                next_at += skipped * period

    await asyncio.gather(*(drive(charger) for charger in chargers))
    return loop.time() - start


async def _tear_down(chargers: list[SimulatedCharger]) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(TEARDOWN_TIMEOUT):
            await asyncio.gather(*(charger.close() for charger in chargers), return_exceptions=True)


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def _mb(size: int | None) -> float | None:
    return None if size is None else round(size / 2**20, 1)


# --------------------------------------------------------------- the servers


@contextlib.contextmanager
def bare_server(workdir: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    argv = [sys.executable, str(BARE_CSMS), "--port", str(port)]
    with running("bare CSMS", argv, ready=lambda: port_open(port), log_path=workdir / "bare.log"):
        yield f"ws://127.0.0.1:{port}/ocpp", port


@contextlib.contextmanager
def voltstack_server(workdir: Path, config: LoadConfig, database_url: str | None) -> Iterator[tuple[str, int]]:
    """Daphne with the bench stations provisioned, on the given database or a throwaway SQLite one."""
    env = dict(
        os.environ, DATABASE_URL=database_url or f"sqlite:///{workdir / 'bench.sqlite3'}", **deployment_secrets()
    )
    with contextlib.ExitStack() as stack:
        if not env.get("REDIS_URL"):
            env["REDIS_URL"] = stack.enter_context(embedded_redis(workdir))
        log_path = workdir / "voltstack.log"
        manage = [sys.executable, str(ROOT / "manage.py")]
        run_logged([*manage, "migrate", "--noinput"], env, log_path)
        run_logged(
            [
                *manage,
                "provision_stations",
                "--prefix",
                config.prefix,
                "--count",
                str(config.chargers),
                "--password",
                config.password,
                "--connectors",
                "1",
            ],
            env,
            log_path,
        )
        port = free_port()
        server = [sys.executable, "-m", "csms.serve", "--host", "127.0.0.1", "--port", str(port)]
        stack.enter_context(running("voltstack", server, ready=lambda: port_open(port), log_path=log_path, env=env))
        yield f"ws://127.0.0.1:{port}/ocpp", port


# -------------------------------------------------------------------- report


def report(result: LoadResult) -> str:
    latency = result.latency_ms
    return "\n".join(
        [
            f"== {result.target} ({result.url})",
            f"chargers: {result.chargers_requested} requested, {result.chargers_ready} ready after "
            f"{result.setup_seconds}s, {result.connections_held} connected at the end",
            f"MeterValues: {result.offered_per_second:g}/s offered, {result.messages_per_second}/s answered "
            f"({result.answered} in all), {result.missed_slots} slots missed",
            f"latency ms: p50 {latency['p50']}  p95 {latency['p95']}  p99 {latency['p99']}  max {latency['p100']}",
            f"errors: {result.errors}  timeouts: {result.timeouts}"
            + "".join(f"\nsetup failed ({count}x): {reason}" for reason, count in result.setup_failures.items()),
            f"server: RSS {result.server_rss_mb} MB (peak {result.server_rss_peak_mb} MB), "
            f"CPU {result.server_cpu_percent}%  | load generator CPU {result.loadgen_cpu_percent}%",
        ]
    )


def ratios(voltstack: LoadResult, bare: LoadResult) -> dict[str, float | None]:
    """voltstack / bare: throughput below 1 and p95 latency above 1 are Voltstack's overhead."""
    throughput_v, throughput_b = voltstack.messages_per_second, bare.messages_per_second
    p95_v, p95_b = voltstack.latency_ms["p95"], bare.latency_ms["p95"]
    return {
        "throughput": round(throughput_v / throughput_b, 3) if throughput_b else None,
        "p95_latency": round(p95_v / p95_b, 3) if p95_v is not None and p95_b else None,
    }


# ---------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="OCPP 1.6J load benchmark: Voltstack against a bare ocpp CSMS.")
    parser.add_argument("--chargers", type=int, default=100, help="simulated chargers (default 100)")
    parser.add_argument("--rate", type=float, default=1.0, help="MeterValues per second PER CHARGER (default 1.0)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of measured load (default 30)")
    parser.add_argument("--target", help="ws://host:port/ocpp of a running Voltstack (its stations must exist)")
    parser.add_argument("--bare-only", action="store_true", help="only the bare CSMS, no Voltstack")
    parser.add_argument("--skip-bare", action="store_true", help="only Voltstack, no baseline")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds before a CALL counts as timed out")
    parser.add_argument("--prefix", default="BENCH-", help="charge point ids are <prefix>0001...")
    parser.add_argument("--password", default="benchpass", help="HTTP Basic password of every charger")
    parser.add_argument("--connect-concurrency", type=int, default=50, help="chargers setting up at once")
    parser.add_argument(
        "--database-url", help="database for the Voltstack run, e.g. a scratch PostgreSQL (default: throwaway SQLite)"
    )
    parser.add_argument("--workdir", type=Path, help="keep server logs and the database here (default: a temp dir)")
    args = parser.parse_args(argv)
    if args.bare_only and (args.skip_bare or args.target):
        parser.error("--bare-only excludes --skip-bare and --target")
    if args.chargers < 1 or args.rate <= 0 or args.duration <= 0:
        parser.error("--chargers, --rate and --duration must be positive")
    return args


def raise_open_files_limit(needed: int) -> None:
    """One socket per charger (twice when the server runs here too) plus headroom."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    raise_open_files_limit(2 * args.chargers + 1024)
    config = LoadConfig(
        args.chargers, args.rate, args.duration, args.timeout, args.prefix, args.password, args.connect_concurrency
    )
    results: dict[str, LoadResult] = {}
    with _workdir(args.workdir) as workdir:
        if not args.bare_only:
            results["voltstack"] = _measure_voltstack(args.target, workdir, config, args.database_url)
            print(report(results["voltstack"]), flush=True)
        if not args.skip_bare:
            with bare_server(workdir) as (url, port):
                results["bare"] = asyncio.run(run_load("bare", url, port, config))
            print(report(results["bare"]), flush=True)
    summary = {"config": asdict(config), "results": {name: asdict(result) for name, result in results.items()}}
    if len(results) == 2:
        summary["ratio_voltstack_over_bare"] = ratios(results["voltstack"], results["bare"])
        print(f"== voltstack / bare: {summary['ratio_voltstack_over_bare']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    return 0


@contextlib.contextmanager
def _workdir(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep.resolve()
        return
    with tempfile.TemporaryDirectory(prefix="ocpp-bench-") as tmp:
        yield Path(tmp)


def _measure_voltstack(target: str | None, workdir: Path, config: LoadConfig, database_url: str | None) -> LoadResult:
    if target:
        return asyncio.run(run_load("voltstack", target, urlsplit(target).port or 80, config))
    with voltstack_server(workdir, config, database_url) as (url, port):
        return asyncio.run(run_load("voltstack", url, port, config))


if __name__ == "__main__":
    sys.exit(main())
