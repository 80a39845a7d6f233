"""The server's HTTP requests give their PostgreSQL connections back: many pages never fill max_connections."""

import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from tests.conftest import AsgiServer, server_env

pytestmark = pytest.mark.e2e


def server_connections() -> int:
    """Connections to the test database other than this test process's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no connections to run out of")
def test_two_hundred_requests_leave_no_connections_behind(transactional_db):
    server = AsgiServer({**server_env(), "DB_CONN_MAX_AGE": "60"})  # connections kept for reuse, as by default
    try:
        before = server_connections()

        def page(_: int) -> int:
            with urllib.request.urlopen(f"{server.http_url}/healthz", timeout=10) as response:
                return response.status

        with ThreadPoolExecutor(8) as clients:
            assert set(clients.map(page, range(200))) == {200}
        # Each request ran on a thread of its own: unclosed, each left its connection behind until collected.
        assert server_connections() - before <= 8
    finally:
        server.stop()
