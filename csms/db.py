"""Running ORM code from async consumers.

Channels' `database_sync_to_async` runs every call on one thread per
process, which makes the database a single lane for all connected
chargers. PostgreSQL serves concurrent connections well, so there the calls
go to a pool of threads (each with its own connection); SQLite allows one
writer at a time, so it keeps the single lane.
"""

from channels.db import DatabaseSyncToAsync
from django.conf import settings


def db_async(func):
    """Wrap a sync function that uses the ORM for awaiting from async code."""
    return DatabaseSyncToAsync(func, thread_sensitive=not settings.DATABASE_CONCURRENT_WRITES)
