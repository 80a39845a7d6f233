"""Station search benchmark: the drivers' map and list endpoints over a country of stations.

Seeds --stations located stations across Germany (manage.py seed_station_map)
into --database-url (default: a throwaway SQLite file under var/), starts
the ASGI server (csms.serve) on a free port, signs a driver up through the API, then runs each
workload for --duration seconds with --concurrency HTTP clients (persistent
connections) and reports latency p50/p95/p99 and requests/s per endpoint.

    python bench/station_search.py --stations 10000 --json bench/results/station_search_sqlite.json
    python bench/station_search.py --database-url postgres://postgres@127.0.0.1:5432/voltstack_bench
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a plain script, yet use the project's helpers

from bench.servers import deployment_secrets, embedded_redis, http_load, percentile, run_logged, running  # noqa: E402
from csms.embedded import free_port, port_open  # noqa: E402

BOX = (5.9, 47.3, 15.0, 55.0)  # min_lon, min_lat, max_lon, max_lat: Germany
PREFIX = "MAP-"
SCREEN = (1280, 800)  # the map's size in pixels, for the cluster workloads' boxes


@dataclass
class Workload:
    name: str
    path: Callable[[random.Random], str]


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    requests_per_second: float
    latency_ms: dict[str, float | None]
    mean_response_kb: float
    error_samples: list[str] = field(default_factory=list)


def workloads(stations: int) -> list[Workload]:
    """What a driver's app asks, at places drawn at random across the country."""

    def search(radius_km: int, **filters) -> Callable[[random.Random], str]:
        def path(rng: random.Random) -> str:
            lat, lon = _somewhere(rng)
            return "/api/v1/stations?" + urlencode({"lat": lat, "lon": lon, "radius_km": radius_km, **filters})

        return path

    def clusters(zoom: int) -> Callable[[random.Random], str]:
        return lambda rng: "/api/v1/stations/clusters?" + urlencode({"bbox": _view(rng, zoom), "zoom": zoom})

    def detail(rng: random.Random) -> str:
        return f"/api/v1/stations/{PREFIX}{rng.randint(1, stations):05d}"

    filters = {"connector_type": "CCS2,TYPE2", "min_power_kw": 11, "available_only": "true"}
    return [
        Workload("list r=10km", search(10)),
        Workload("list r=10km filtered", search(10, **filters)),
        Workload("list r=50km", search(50)),
        Workload("list r=50km filtered", search(50, **filters)),
        Workload("clusters z=5", clusters(5)),
        Workload("clusters z=8", clusters(8)),
        Workload("clusters z=12", clusters(12)),
        Workload("station detail", detail),
    ]


def _somewhere(rng: random.Random) -> tuple[float, float]:
    min_lon, min_lat, max_lon, max_lat = BOX
    return round(rng.uniform(min_lat, max_lat), 5), round(rng.uniform(min_lon, max_lon), 5)


def _view(rng: random.Random, zoom: int) -> str:
    """The box a SCREEN-sized web-mercator map shows at this zoom, centred somewhere in the country."""
    lat, lon = _somewhere(rng)
    half_lon = SCREEN[0] / 2 * 360 / (256 * 2**zoom)
    half_lat = SCREEN[1] / 2 * 360 / (256 * 2**zoom) * math.cos(math.radians(lat))
    return ",".join(
        f"{value:.5f}"
        for value in (
            max(-180, lon - half_lon),
            max(-85, lat - half_lat),
            min(180, lon + half_lon),
            min(85, lat + half_lat),
        )
    )


# ------------------------------------------------------------------ the load


def measure(port: int, token: str, workload: Workload, concurrency: int, duration: float) -> Result:
    """`concurrency` clients, each on one kept-alive connection, send requests back to back for `duration` s."""
    load = http_load(port, workload.path, {"Authorization": f"Bearer {token}"}, concurrency, duration)
    return Result(
        name=workload.name,
        requests=len(load.latencies),
        errors=len(load.errors),
        requests_per_second=load.per_second,  # answered with 200
        latency_ms={f"p{p}": _ms(percentile(load.latencies, p)) for p in (50, 95, 99)},
        mean_response_kb=round(sum(load.sizes) / max(1, len(load.sizes)) / 1024, 1),
        error_samples=load.errors[:3],
    )


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


# --------------------------------------------------------------- the server


@contextlib.contextmanager
def server(workdir: Path, stations: int, database_url: str | None) -> Iterator[int]:
    """Seed the stations, then serve them (csms.serve); yields the port."""
    env = dict(
        os.environ,
        DATABASE_URL=database_url or f"sqlite:///{workdir / 'stations.sqlite3'}",
        JWT_ACCESS_MINUTES="120",
        API_THROTTLE_AUTH="1000/min",
        **deployment_secrets(),
    )
    log_path = workdir / "voltstack.log"
    with contextlib.ExitStack() as stack:
        if not env.get("REDIS_URL"):
            env["REDIS_URL"] = stack.enter_context(embedded_redis(workdir))
        manage = [sys.executable, str(ROOT / "manage.py")]
        run_logged([*manage, "migrate", "--noinput"], env, log_path, timeout=900)
        seeding = time.monotonic()
        seed = [*manage, "seed_station_map", "--count", str(stations), "--prefix", PREFIX]
        run_logged(seed, env, log_path, timeout=900)
        print(f"seeded {stations} stations in {time.monotonic() - seeding:.1f}s", flush=True)
        port = free_port()
        server = [sys.executable, "-m", "csms.serve", "--host", "127.0.0.1", "--port", str(port)]
        stack.enter_context(running("voltstack", server, ready=lambda: port_open(port), log_path=log_path, env=env))
        yield port


def sign_up(port: int) -> str:
    """A fresh driver account through the API; its access token."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"email": f"bench-{uuid.uuid4().hex[:8]}@example.com", "password": "bench-Driver-pass-1"})
    connection.request("POST", "/api/v1/auth/signup", body=body, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    payload = json.loads(response.read())
    if response.status != 201:
        raise RuntimeError(f"sign-up failed: {response.status} {payload}")
    return payload["tokens"]["access"]


# -------------------------------------------------------------------- main


def report(results: list[Result]) -> str:
    lines = [f"{'endpoint':<24}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}{'KB':>8}"]
    for r in results:
        latency = r.latency_ms
        lines.append(
            f"{r.name:<24}{r.requests_per_second:>8}{latency['p50']!s:>9}{latency['p95']!s:>9}{latency['p99']!s:>9}"
            f"{r.errors:>8}{r.mean_response_kb:>8}"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Station search benchmark: list, clusters and detail under load.")
    parser.add_argument(
        "--stations", type=int, default=10_000, help="stations seeded across the country (default 10000)"
    )
    parser.add_argument(
        "--database-url", help="e.g. postgres://postgres@127.0.0.1:5432/voltstack_bench (default: SQLite under var/)"
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per workload (default 10)")
    parser.add_argument("--concurrency", type=int, default=8, help="HTTP clients at once (default 8)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--workdir", type=Path, help="keep the server log and the SQLite file here (default: a temp dir under var/)"
    )
    args = parser.parse_args(argv)
    if args.stations < 1 or args.duration <= 0 or args.concurrency < 1:
        parser.error("--stations, --duration and --concurrency must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    (ROOT / "var").mkdir(exist_ok=True)
    with contextlib.ExitStack() as stack:
        workdir = args.workdir or Path(
            stack.enter_context(tempfile.TemporaryDirectory(dir=ROOT / "var", prefix="bench-"))
        )
        workdir.mkdir(parents=True, exist_ok=True)
        port = stack.enter_context(server(workdir, args.stations, args.database_url))
        token = sign_up(port)
        results = []
        for workload in workloads(args.stations):
            measure(port, token, workload, args.concurrency, min(1.0, args.duration))  # warm up
            results.append(measure(port, token, workload, args.concurrency, args.duration))
            print(report(results[-1:]).splitlines()[-1], flush=True)
    database = "PostgreSQL" if (args.database_url or "").startswith("postgres") else "SQLite"
    print(
        f"\n== {args.stations} stations on {database}, {args.concurrency} clients, {args.duration:g}s each\n{report(results)}"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        summary = {
            "stations": args.stations,
            "database": database,
            "concurrency": args.concurrency,
            "duration_s": args.duration,
            "results": [asdict(result) for result in results],
        }
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    return 0 if all(result.errors == 0 for result in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
