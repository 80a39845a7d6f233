"""The process's one client of the shared cache (Redis).

Django's `cache` is one backend per thread *and per async context*: code
that runs per connection (a handshake's counters, a driver socket's
revocation check) or per command (which process holds a socket) would open a
Redis connection pool each time. These reads and writes go through one
client, whose pool every thread of the process shares.
"""

from functools import cache

from django.core.cache import BaseCache, caches


@cache
def shared_cache() -> BaseCache:
    return caches.create_connection("default")
