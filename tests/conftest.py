"""Fixtures shared by every tier: a real ASGI server process, stations, id tags."""

import asyncio
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from django.db import connection, connections

from csms.embedded import free_port
from sessions.models import IdTag
from stations.services.connections import provision_station
from tests.billing.localstripe_server import localstripe  # noqa: F401  (a fixture: the servers' Stripe)
from tests.e2e.ocpi_partner.fixture import ocpi_partner  # noqa: F401  (a fixture: the independent OCPI eMSP)
from tests.ocpp_client import STATION_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
# This run's own channel-layer prefix, shared by the test process and its servers, so
# concurrent runs on one Redis never see each other's messages.
CHANNEL_PREFIX = f"test{os.getpid()}"


def pytest_configure(config):
    from django.conf import settings

    # The servers and workers started here (server_env) run with DATABASE_URL, so they refuse to start
    # without secrets; they get this process's own, and csms.asgi imported in-process passes its guard too.
    for name in ("SECRET_KEY", "STRIPE_WEBHOOK_SECRET"):
        os.environ.setdefault(name, getattr(settings, name))
    settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = CHANNEL_PREFIX
    settings.CACHES["default"]["KEY_PREFIX"] = CHANNEL_PREFIX
    settings.CELERY_TASK_DEFAULT_QUEUE = CHANNEL_PREFIX
    # Connections opened on worker threads (in-process consumers) close after each
    # call, so none is left holding the test database when it is dropped.
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


def database_url() -> str:
    """The test database as a URL, for server processes that must share it."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
    return f"postgres://{auth}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"


class AsgiServer:
    """The ASGI server (csms.serve: uvicorn) serving csms.asgi on a free port of 127.0.0.1."""

    def __init__(self, env: dict[str, str], port: int | None = None):
        """`port`: one chosen before (so `env` can name the server's own URL, as OCPI_BASE_URL does)."""
        self.port = port or free_port()
        self.log = open(ROOT / "var" / f"test-server-{self.port}.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "csms.serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait_until_up()

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ocpp_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ocpp"

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 60  # a loaded machine takes its time importing Django
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited; see {self.log.name}")
            try:
                urllib.request.urlopen(f"{self.http_url}/healthz", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not come up")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def server_env(**extra: str) -> dict[str, str]:
    env = dict(
        os.environ,
        DATABASE_URL=database_url(),
        DB_CONN_MAX_AGE="0",
        CHANNEL_LAYER_PREFIX=CHANNEL_PREFIX,
        CELERY_QUEUE=CHANNEL_PREFIX,
        # Many tests sign in from 127.0.0.1; throttling has its own tests.
        API_THROTTLE_AUTH="10000/min",
        API_THROTTLE_SESSION_START="10000/min",
        OCPP_HANDSHAKE_FAILURES_PER_ADDRESS="10000",  # every test's charger connects from 127.0.0.1
        SESSION_START_TIMEOUT="8",
        **extra,
    )
    return env


class CeleryWorker:
    """A Celery worker process on this run's own queue, sharing the test database."""

    def __init__(self, env: dict[str, str]):
        self.log_path = ROOT / "var" / f"test-celery-{os.getpid()}.log"
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
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
                env["CELERY_QUEUE"],
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited; see {self.log_path}")
            if " ready." in self.log_path.read_text():
                return
            time.sleep(0.1)
        raise RuntimeError("celery worker did not come up")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest_asyncio.fixture(autouse=True)
async def close_thread_connections():
    """Async tests reach the ORM through sync_to_async's worker thread; close its
    connections so the test database can be flushed and dropped."""
    yield
    await sync_to_async(connections.close_all)()


@pytest.fixture(scope="session")
def asgi_server(django_db_setup, django_db_blocker, localstripe):
    """One server process for the session; tests using it need transactional_db."""
    with django_db_blocker.unblock():
        env = server_env(OCPP_MAX_FRAME_BYTES="65536", OCPP_CALL_TIMEOUT="5", STRIPE_API_BASE=localstripe.url)
    server = AsgiServer(env)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, localstripe):
    with django_db_blocker.unblock():
        env = server_env(OCPP_CALL_TIMEOUT="5", STRIPE_API_BASE=localstripe.url)
    worker = CeleryWorker(env)
    yield worker
    worker.stop()


@pytest.fixture
def server(asgi_server, transactional_db):
    yield asgi_server
    _wait_until_all_stations_offline()


@pytest.fixture
def ocpi_server_env() -> dict[str, str]:
    """What a test module's `ocpi_server` runs with beyond the defaults: override this fixture to add."""
    return {}


@pytest.fixture
def ocpi_server(django_db_blocker, transactional_db, localstripe, ocpi_server_env):
    """A server of its own that knows its URL (OCPI_BASE_URL on its own port), for a roaming partner to
    register with and call back."""
    port = free_port()
    with django_db_blocker.unblock():
        env = server_env(
            OCPI_BASE_URL=f"http://127.0.0.1:{port}",
            STRIPE_API_BASE=localstripe.url,
            OCPP_CALL_TIMEOUT="5",
            **ocpi_server_env,
        )
    server = AsgiServer(env, port=port)
    yield server
    _wait_until_all_stations_offline()
    server.stop()


def _wait_until_all_stations_offline(timeout: float = 10.0) -> None:
    """Let the server finish with this test's sockets (disconnect writes, logged frames)
    before the database is flushed under it."""
    from stations.models import ChargingStation

    deadline = time.monotonic() + timeout
    while ChargingStation.objects.exclude(connection_channel="").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    _wait_until_no_other_queries(deadline)


def _wait_until_no_other_queries(deadline: float) -> None:
    """On PostgreSQL, until no other session of the test database runs a statement: what the server does
    after a socket closes (subscribers' writes, a push enqueued) would deadlock with the flush's TRUNCATE."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    busy = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND state = 'active'"
    )
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(busy)
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)


@pytest.fixture
def make_station(transactional_db):
    async def make(charge_point_id: str = "CP-1", *, evse_count: int = 2, **fields):
        station = await sync_to_async(provision_station)(
            charge_point_id=charge_point_id, password=STATION_PASSWORD, evse_count=evse_count
        )
        if fields:
            for name, value in fields.items():
                setattr(station, name, value)
            await sync_to_async(station.save)()
        return station

    return make


@pytest.fixture
def make_id_tag(transactional_db):
    async def make(id_tag: str = "TAG-1", **fields) -> IdTag:
        return await sync_to_async(IdTag.objects.create)(id_tag=id_tag, **fields)

    return make


async def eventually(check, timeout: float = 5.0, interval: float = 0.05):
    """Poll a sync check (run in a thread, it may use the ORM) until it returns truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await sync_to_async(check)()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {check.__doc__ or check}")
        await asyncio.sleep(interval)


@pytest.fixture
def eager_tasks():
    """Celery tasks run where they are sent, as a worker would run them, for tests of what a commit sets going
    (lifecycle subscribers hand their work to Celery). A task's failure is raised, not kept in a result."""
    from django.core.cache import cache

    from billing.tasks import PRICING_QUEUED_KEY
    from csms.celery import app

    # A pricing an earlier test queued where no worker runs it must not debounce this test's (the same ids recur).
    redis = cache._cache.get_client(write=True)
    for key in redis.scan_iter(match=cache.make_key(PRICING_QUEUED_KEY + "*")):
        redis.delete(key)
    app.conf.update(task_always_eager=True, task_eager_propagates=True)
    yield
    app.conf.update(task_always_eager=False, task_eager_propagates=False)
