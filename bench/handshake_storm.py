"""Handshake storm: N chargers open their WebSocket at the same moment and boot.

Every charger (OCPP 1.6J, HTTP Basic with its own password) connects to one
server process at once, sends BootNotification and waits for the answer; a
charger counts as accepted when the answer came within --deadline seconds of
the storm's start. The same storm hits, one after the other:

* voltstack: this project as it runs (csms.serve: uvicorn);
* daphne: this project under the server it used before (`daphne`, 5 s
  handshake timeout, listen backlog 50), when daphne is installed;
* bare: bench/bare_csms.py, the `ocpp` package on `websockets` alone (no
  authentication, no database), the floor of what the machine allows.

Everything listens on 127.0.0.1 only; the database is a throwaway SQLite
file unless --database-url is given, Redis the embedded one unless REDIS_URL
is set.

    python bench/handshake_storm.py --chargers 1000 --json bench/results/handshake_storm_1000.json
    python bench/handshake_storm.py --chargers 300 --servers voltstack
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import importlib.util
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a plain script, yet use the project's modules

from websockets.asyncio.client import connect  # noqa: E402
from websockets.exceptions import InvalidStatus  # noqa: E402

from bench.ocpp_load import BARE_CSMS, ServerProbe, _mb, _workdir, raise_open_files_limit  # noqa: E402
from bench.servers import deployment_secrets, embedded_redis, percentile, run_logged, running  # noqa: E402
from csms.embedded import free_port, port_open  # noqa: E402

PREFIX, PASSWORD = "STORM-", "storm-station-password"
BOOT = {"chargePointVendor": "Bench", "chargePointModel": "Storm"}
SERVERS = ("voltstack", "daphne", "bare")


@dataclass
class StormResult:
    server: str
    chargers: int
    accepted: int
    failed: int
    failures: dict[str, int]
    total_s: float  # storm start → last charger accepted (or gave up)
    all_accepted_within_deadline: bool
    connect_boot_ms: dict[str, float | None] = field(default_factory=dict)  # per accepted charger
    server_rss_mb_after: float | None = None


# ------------------------------------------------------------------ the storm


async def storm(url: str, port: int, server: str, chargers: int, deadline: float) -> StormResult:
    """All chargers at once; each holds its socket until every one is done, as a fleet would."""
    start = time.monotonic()
    done = asyncio.Event()
    remaining = [chargers]
    timings: list[float] = []
    failures: Counter[str] = Counter()

    async def charger(number: int) -> None:
        charge_point_id = f"{PREFIX}{number:04d}"
        token = base64.b64encode(f"{charge_point_id}:{PASSWORD}".encode()).decode()
        ws = None
        try:
            async with asyncio.timeout(deadline - (time.monotonic() - start)):
                ws = await connect(
                    f"{url}/{charge_point_id}",
                    subprotocols=["ocpp1.6"],
                    ping_interval=None,
                    additional_headers={"Authorization": f"Basic {token}"},
                    open_timeout=None,
                )
                await ws.send(json.dumps([2, "boot", "BootNotification", BOOT]))
                answer = json.loads(await ws.recv())
            if answer[0] != 3 or answer[2].get("status") != "Accepted":
                raise RuntimeError(f"boot answered {answer}")
            timings.append(time.monotonic() - start)
        except TimeoutError:
            failures["deadline"] += 1
        except InvalidStatus as refused:
            failures[f"HTTP {refused.response.status_code}"] += 1
        except Exception as error:
            failures[type(error).__name__] += 1
        _finished(remaining, done)
        await done.wait()
        if ws is not None:
            await ws.close()

    await asyncio.gather(*(charger(number) for number in range(1, chargers + 1)))
    total = time.monotonic() - start
    ordered = sorted(timings)
    return StormResult(
        server=server,
        chargers=chargers,
        accepted=len(ordered),
        failed=chargers - len(ordered),
        failures=dict(failures),
        total_s=round(total, 2),
        all_accepted_within_deadline=len(ordered) == chargers,
        connect_boot_ms={
            "p50": _ms(percentile(ordered, 50)),
            "p95": _ms(percentile(ordered, 95)),
            "max": _ms(ordered[-1] if ordered else None),
        },
        server_rss_mb_after=_mb(ServerProbe(port).rss()),
    )


def _finished(remaining: list[int], done: asyncio.Event) -> None:
    remaining[0] -= 1
    if remaining[0] == 0:
        done.set()


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


# --------------------------------------------------------------- the servers


@contextlib.contextmanager
def project(workdir: Path, chargers: int, database_url: str | None) -> Iterator[dict[str, str]]:
    """The environment of a migrated database holding the storm's stations (and Redis)."""
    env = dict(
        os.environ,
        DATABASE_URL=database_url or f"sqlite:///{workdir / 'storm.sqlite3'}",
        LOG_LEVEL="WARNING",
        **deployment_secrets(),
    )
    with contextlib.ExitStack() as stack:
        if not env.get("REDIS_URL"):
            env["REDIS_URL"] = stack.enter_context(embedded_redis(workdir))
        manage = [sys.executable, str(ROOT / "manage.py")]
        log_path = workdir / "setup.log"
        run_logged([*manage, "migrate", "--noinput"], env, log_path)
        run_logged(
            [
                *manage,
                "provision_stations",
                "--prefix",
                PREFIX,
                "--count",
                str(chargers),
                "--password",
                PASSWORD,
                "--connectors",
                "1",
            ],
            env,
            log_path,
        )
        yield env


def server_argv(server: str, port: int) -> list[str]:
    return {
        "voltstack": [sys.executable, "-m", "csms.serve", "--host", "127.0.0.1", "--port", str(port)],
        "daphne": [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "csms.asgi:application"],
        "bare": [sys.executable, str(BARE_CSMS), "--port", str(port)],
    }[server]


def measure(server: str, env: dict[str, str], workdir: Path, chargers: int, deadline: float) -> StormResult:
    port = free_port()
    # each server run is its own channel-layer world, so a slow previous one cannot leak into it
    env = dict(env, CHANNEL_LAYER_PREFIX=f"storm-{server}-{os.getpid()}")
    with running(
        server,
        server_argv(server, port),
        ready=lambda: port_open(port),
        log_path=workdir / f"{server}.log",
        env=env,
        fresh_log=True,
    ):
        time.sleep(1.0)  # let the server finish starting after its port opened
        return asyncio.run(storm(f"ws://127.0.0.1:{port}/ocpp", port, server, chargers, deadline))


# -------------------------------------------------------------------- report


def report(result: StormResult) -> str:
    timing = result.connect_boot_ms
    failures = ", ".join(f"{reason} ×{count}" for reason, count in sorted(result.failures.items())) or "none"
    return (
        f"== {result.server}: {result.accepted}/{result.chargers} accepted, {result.failed} failed ({failures})\n"
        f"connect+boot ms: p50 {timing['p50']}  p95 {timing['p95']}  max {timing['max']}  | "
        f"storm took {result.total_s}s  | server RSS after {result.server_rss_mb_after} MB"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chargers", type=int, default=1000)
    parser.add_argument("--deadline", type=float, default=60.0, help="seconds for every charger to be accepted")
    parser.add_argument("--servers", default=",".join(SERVERS), help=f"comma-separated, of {', '.join(SERVERS)}")
    parser.add_argument("--database-url", help="default: a throwaway SQLite file")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--workdir", type=Path, help="keep logs and the database here")
    args = parser.parse_args(argv)
    args.servers = [name for name in args.servers.split(",") if name]
    if unknown := set(args.servers) - set(SERVERS):
        parser.error(f"unknown servers: {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    raise_open_files_limit(2 * args.chargers + 1024)  # the servers inherit it
    servers = [s for s in args.servers if s != "daphne" or importlib.util.find_spec("daphne")]
    results: list[StormResult] = []
    with _workdir(args.workdir) as workdir, project(workdir, args.chargers, args.database_url) as env:
        for server in servers:
            results.append(measure(server, env, workdir, args.chargers, args.deadline))
            print(report(results[-1]), flush=True)
    summary = {
        "config": {
            "chargers": args.chargers,
            "deadline_s": args.deadline,
            "cpus": os.cpu_count(),
            "database": "sqlite" if not args.database_url else args.database_url.split(":")[0],
        },
        "results": {result.server: asdict(result) for result in results},
    }
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    return 0 if all(r.all_accepted_within_deadline for r in results if r.server == "voltstack") else 1


if __name__ == "__main__":
    sys.exit(main())
