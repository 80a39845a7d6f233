"""Running ORM code from async consumers.

Channels' `database_sync_to_async` runs every call on one thread per
process, which makes the database a single lane for all connected
chargers. PostgreSQL serves concurrent connections well, so there the calls
go to a pool of threads (each with its own connection); SQLite allows one
writer at a time, so it keeps the single lane.
"""

from channels.db import DatabaseSyncToAsync
from django.conf import settings
from django.db import connections


def db_async(func):
    """Wrap a sync function that uses the ORM for awaiting from async code."""
    return DatabaseSyncToAsync(func, thread_sensitive=not settings.DATABASE_CONCURRENT_WRITES)


def close_request_connections(**kwargs) -> None:
    """Close the request's database connections when its response is done (request_finished, under ASGI).

    Django's ASGI handler runs each request's sync code on a thread of its own, so a
    connection kept for reuse (DB_CONN_MAX_AGE) is never reused: it lingers until the
    garbage collector finds it, and a few busy dashboard pages filled PostgreSQL's
    max_connections (bench/dashboard.py, 8 clients). A connection inside a transaction
    that is still open (a test's) is left alone.
    """
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close()
