"""Dashboard benchmark: the operators' pages and data endpoints over 10,000 stations and a year of sessions.

Seeds --stations located stations (manage.py seed_station_map) and --sessions completed
sessions of the past --days days with sealed CDRs and status events (bench/dashboard_seed.py)
into --database-url (default: a throwaway SQLite file under var/; a PostgreSQL URL names a
database this bench creates and drops), runs the dashboard's rollup backfill when the project
has one (manage.py dashboard_rollups), starts the ASGI server (csms.serve) on a free port, signs
in as a staff superuser through the admin's login form, then runs each workload for --duration
seconds at each --concurrency level of HTTP clients (persistent connections) and reports p50/p95/p99 and
requests/s against the aim of p95 < 200 ms. Two cheap pages run first as the baseline of the
same run: /healthz (one query, no session) and the admin index (a signed-in page).

An endpoint that answers 404 is not built yet: it is reported as missing and skipped.

    python bench/dashboard.py                                   # SQLite, JSON in bench/results/
    python bench/dashboard.py --database-url postgres://postgres@127.0.0.1:5432/voltstack_bench_dashboard
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a plain script, yet use the project's helpers

from bench.servers import deployment_secrets, embedded_redis, http_load, percentile, run_logged, running  # noqa: E402
from csms.embedded import free_port, port_open  # noqa: E402

AIM_P95_MS = 200.0
PREFIX = "DASH-"
COUNTRY = "5.9,47.3,15.0,55.0"  # Germany, where seed_station_map puts the stations


@dataclass
class Workload:
    name: str
    path: Callable[[random.Random], str]
    baseline: bool = False


@dataclass
class Result:
    name: str
    path: str  # one example
    clients: int = 0
    missing: bool = False
    requests: int = 0
    errors: int = 0
    requests_per_second: float = 0.0
    latency_ms: dict[str, float | None] = field(default_factory=dict)
    mean_response_kb: float = 0.0
    meets_aim: bool | None = None
    baseline: bool = False
    statuses: dict[str, int] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)


def workloads(city_boxes: list[str], today: datetime) -> list[Workload]:
    """What an operator's browser asks of the dashboard; the city view moves between the busiest cities."""

    def fixed(path: str) -> Callable[[random.Random], str]:
        return lambda rng: path

    def city(rng: random.Random) -> str:
        return "/dashboard/map/data.json?" + urlencode({"bbox": rng.choice(city_boxes), "zoom": 12})

    def analytics(days: int) -> Callable[[random.Random], str]:
        window = {"from": (today - timedelta(days=days - 1)).date().isoformat(), "to": today.date().isoformat()}
        return fixed("/dashboard/analytics.json?" + urlencode(window))

    return [
        Workload("baseline: healthz", fixed("/healthz"), baseline=True),
        Workload("baseline: admin index", fixed("/admin/"), baseline=True),
        Workload("overview page", fixed("/dashboard/")),
        Workload("overview data", fixed("/dashboard/overview.json")),
        Workload("map data country z=6", fixed("/dashboard/map/data.json?" + urlencode({"bbox": COUNTRY, "zoom": 6}))),
        Workload("map data city z=12", city),
        Workload("analytics page", fixed("/dashboard/analytics/")),
        Workload("analytics data 30 d", analytics(30)),
        Workload("analytics data 365 d", analytics(365)),
        Workload("sessions page", fixed("/dashboard/sessions/")),
        Workload("alerts page", fixed("/dashboard/alerts/")),
    ]


# ------------------------------------------------------------------ the load


def measure(port: int, cookie: str, workload: Workload, concurrency: int, duration: float) -> Result:
    """`concurrency` clients, each on one kept-alive connection, send requests back to back for `duration` s."""
    load = http_load(port, workload.path, {"Cookie": cookie}, concurrency, duration)
    latency = {f"p{p}": _ms(percentile(load.latencies, p)) for p in (50, 95, 99)}
    return Result(
        name=workload.name,
        path=workload.path(random.Random(0)),
        requests=len(load.latencies),
        errors=len(load.errors),
        requests_per_second=load.per_second,  # answered with 200
        latency_ms=latency,
        mean_response_kb=round(sum(load.sizes) / max(1, len(load.sizes)) / 1024, 1),
        meets_aim=None if latency["p95"] is None else latency["p95"] < AIM_P95_MS,
        baseline=workload.baseline,
        statuses=dict(load.statuses),
        error_samples=load.errors[:3],
    )


def probe(port: int, cookie: str, path: str) -> int:
    """The status one request gets: 404 means the endpoint is not built (yet)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("GET", path, headers={"Cookie": cookie})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


# ----------------------------------------------------------- signing in


def sign_in(port: int, username: str, password: str) -> str:
    """Log in through the admin's login form as a browser does (CSRF cookie and token); the Cookie header."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/admin/login/?next=/dashboard/")
    response = connection.getresponse()
    page = response.read().decode()
    cookies = _cookies(response)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if response.status != 200 or token is None or "csrftoken" not in cookies:
        raise RuntimeError(f"admin login page: {response.status}, no CSRF token or cookie")
    form = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token[1], "next": "/"})
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookies['csrftoken']}"}
    connection.request("POST", "/admin/login/?next=/dashboard/", body=form, headers=headers)
    response = connection.getresponse()
    response.read()
    cookies.update(_cookies(response))
    connection.close()
    if response.status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"admin login failed: {response.status}")
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    found = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, value = header.split(";", 1)[0].partition("=")
        found[name.strip()] = value.strip()
    return found


# --------------------------------------------------------------- the server


@contextlib.contextmanager
def scratch_postgres(url: str, keep: bool) -> Iterator[None]:
    """Create the URL's database for this run and drop it afterwards (unless keep); never reuse one that exists."""
    import psycopg

    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    if not name or name in ("postgres", "test") or name.startswith("template"):
        raise SystemExit(f"name a scratch database in --database-url, not {name!r}")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            raise SystemExit(f"database {name} exists: drop it (dropdb) or name another; this bench seeds a fresh one")
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield
    finally:
        if keep:
            print(f"kept database {name}", flush=True)
        else:
            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def server(args: argparse.Namespace, workdir: Path, timings: dict[str, float]) -> Iterator[tuple[int, dict]]:
    """Seed the network and its history, backfill the rollups, then serve (csms.serve); yields the port and the seed's summary."""
    env = dict(
        os.environ,
        DATABASE_URL=args.database_url or f"sqlite:///{workdir / 'dashboard.sqlite3'}",
        **deployment_secrets(),
        **server_settings(args),
    )
    log_path = workdir / "voltstack.log"
    with contextlib.ExitStack() as stack:
        if not env.get("REDIS_URL"):
            env["REDIS_URL"] = stack.enter_context(embedded_redis(workdir))
        manage = [sys.executable, str(ROOT / "manage.py")]
        step(timings, "migrate", [*manage, "migrate", "--noinput"], env, log_path)
        seed = [*manage, "seed_station_map", "--count", str(args.stations), "--prefix", PREFIX]
        step(timings, "seed_stations", seed, env, log_path)
        summary_path = workdir / "seed.json"
        history = [sys.executable, str(ROOT / "bench" / "dashboard_seed.py"), "--prefix", PREFIX]
        history += ["--sessions", str(args.sessions), "--days", str(args.days), "--summary", str(summary_path)]
        step(timings, "seed_history", history, env, log_path)
        if "dashboard_rollups" in _commands(manage, env):
            step(timings, "rollups", [*manage, "dashboard_rollups", "--days", str(args.days)], env, log_path)
        else:
            print("warning: no manage.py dashboard_rollups in this tree; no rollups backfilled", flush=True)
        port = free_port()
        serve = [sys.executable, "-m", "csms.serve", "--host", "127.0.0.1", "--port", str(port)]
        stack.enter_context(running("voltstack", serve, ready=lambda: port_open(port), log_path=log_path, env=env))
        yield port, json.loads(summary_path.read_text())


def server_settings(args: argparse.Namespace) -> dict[str, str]:
    """What the bench changes in the server's environment: nothing now, the project's defaults are measured.

    (It once set DB_CONN_MAX_AGE=0: under ASGI each request's connection was left open and eight
    clients filled PostgreSQL's max_connections; csms.db.close_request_connections closes them now.)
    """
    return {}


def step(timings: dict[str, float], name: str, argv: list[str], env: dict[str, str], log_path: Path) -> None:
    started = time.monotonic()
    run_logged(argv, env, log_path, timeout=3600)
    timings[f"{name}_s"] = round(time.monotonic() - started, 1)
    print(f"{name}: {timings[f'{name}_s']}s", flush=True)


def _commands(manage: list[str], env: dict[str, str]) -> list[str]:
    listing = subprocess.run([*manage, "help", "--commands"], cwd=ROOT, env=env, capture_output=True, text=True)
    return listing.stdout.split()


# -------------------------------------------------------------------- main


def report(results: list[Result]) -> str:
    header = f"{'endpoint':<24}{'clients':>8}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>8}{'errors':>8}{'KB':>8}  aim"
    lines = [header]
    for r in results:
        if r.missing:
            lines.append(f"{r.name:<24}{r.clients:>8}{'missing (404)':>58}")
            continue
        latency = r.latency_ms
        verdict = "baseline" if r.baseline else {True: "ok", False: "SLOW", None: "-"}[r.meets_aim]
        lines.append(
            f"{r.name:<24}{r.clients:>8}{r.requests:>7}{latency['p50']!s:>9}{latency['p95']!s:>9}{latency['p99']!s:>9}"
            f"{r.requests_per_second:>8}{r.errors:>8}{r.mean_response_kb:>8}  {verdict}"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Dashboard benchmark: overview, map data and analytics under load.")
    parser.add_argument("--stations", type=int, default=10_000, help="located stations (default 10000)")
    parser.add_argument("--sessions", type=int, default=1_000_000, help="completed sessions (default 1000000)")
    parser.add_argument("--days", type=int, default=365, help="days of history (default 365)")
    parser.add_argument(
        "--database-url",
        help="a scratch PostgreSQL database to create, seed and drop, e.g. "
        "postgres://postgres@127.0.0.1:5432/voltstack_bench_dashboard (default: SQLite under var/)",
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per workload (default 10)")
    parser.add_argument(
        "--concurrency",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1, 8],
        help="HTTP clients at once, each level in turn (default 1,8: one operator, then a busy control room)",
    )
    parser.add_argument(
        "--json", type=Path, help="where to write the results (default bench/results/dashboard_<db>.json)"
    )
    parser.add_argument(
        "--workdir", type=Path, help="keep the logs and the SQLite file here (default: a temp dir under var/)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the PostgreSQL database (and a --workdir's SQLite file)"
    )
    args = parser.parse_args(argv)
    if min(args.stations, args.sessions, args.days, *args.concurrency) < 1 or args.duration <= 0:
        parser.error("--stations, --sessions, --days, --duration and --concurrency must be positive")
    if args.database_url and not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url: a PostgreSQL URL (SQLite is the default)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    database = "PostgreSQL" if args.database_url else "SQLite"
    output = args.json or ROOT / "bench" / "results" / f"dashboard_{database.lower()}.json"
    (ROOT / "var").mkdir(exist_ok=True)
    timings: dict[str, float] = {}
    results: list[Result] = []
    with contextlib.ExitStack() as stack:
        workdir = args.workdir or Path(
            stack.enter_context(tempfile.TemporaryDirectory(dir=ROOT / "var", prefix="bench-"))
        )
        workdir.mkdir(parents=True, exist_ok=True)
        if args.database_url:
            stack.enter_context(scratch_postgres(args.database_url, args.keep))
        elif args.workdir and not args.keep:
            stack.callback(_remove_sqlite, workdir / "dashboard.sqlite3")
        port, seeded = stack.enter_context(server(args, workdir, timings))
        cookie = sign_in(port, seeded["user"]["username"], seeded["user"]["password"])
        boxes = [box["bbox"] for box in seeded["city_boxes"]] or ["13.3,52.45,13.5,52.57"]
        for clients in args.concurrency:
            for workload in workloads(boxes, datetime.now(UTC)):
                path = workload.path(random.Random(0))
                if probe(port, cookie, path) == 404:
                    result = Result(name=workload.name, path=path, missing=True, baseline=workload.baseline)
                else:
                    measure(port, cookie, workload, clients, min(1.0, args.duration))  # warm up
                    result = measure(port, cookie, workload, clients, args.duration)
                result.clients = clients
                results.append(result)
                print(report(results[-1:]).splitlines()[-1], flush=True)
    seeding = timings["seed_stations_s"] + timings["seed_history_s"]
    print(
        f"\n== {args.stations} stations, {seeded['sessions']} sessions over {args.days} d on {database}: "
        f"seeded in {seeding:.1f}s ({json.dumps(timings)}); {'/'.join(map(str, args.concurrency))} clients, "
        f"{args.duration:g}s each, "
        f"aim p95 < {AIM_P95_MS:g} ms\n{report(results)}"
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    summary = {
        "stations": args.stations,
        "sessions": args.sessions,
        "days": args.days,
        "database": database,
        "concurrency": args.concurrency,
        "duration_s": args.duration,
        "aim_p95_ms": AIM_P95_MS,
        "server_settings": server_settings(args),
        "timings": {**timings, "seeding_s": round(seeding, 1)},
        "seeded": {key: value for key, value in seeded.items() if key != "user"},
        "results": [asdict(result) for result in results],
    }
    output.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"results: {output}")
    return 0 if all(result.errors == 0 for result in results) else 1


def _remove_sqlite(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)


if __name__ == "__main__":
    raise SystemExit(main())
