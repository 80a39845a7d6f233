"""JWT authentication for the drivers' WebSockets: the same access token as the REST API.

Mobile clients send `Authorization: Bearer <token>`; a client that cannot set
headers on a WebSocket (a browser) passes `?token=<token>`.

A socket lives no longer than the access that opened it: `AccessBoundMixin`
closes it (4401) when the token expires, and at once when the driver's access
is revoked (sign-out everywhere, a password change, a deactivated account),
which any process announces with `announce_access_revoked`. The announcement
is a group message, which the Redis layer can drop (django/channels_redis#366);
the moment of revocation is also kept in the shared cache, which each socket
checks every ACCESS_RECHECK_SECONDS and every handshake checks, so a token
issued before it opens no new socket either.
"""

import asyncio
import time
import weakref
from collections import defaultdict
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken

from csms.live import publish
from csms.shared_cache import shared_cache

# Close codes a client can act on (4000-4999 are the application's).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404

ACCESS_REVOKED = "access_revoked"
ACCESS_RECHECK_SECONDS = 10

# This process's open driver sockets by user id. The layer can drop a group message for one socket while
# another of the same process closes (as the first to hear of a revocation does), so the first closes all.
_open_sockets: defaultdict[int, weakref.WeakSet] = defaultdict(weakref.WeakSet)


def driver_access_group(user_id: int) -> str:
    """Every driver socket of one user joins this group, so a revocation reaches each of them."""
    return f"driver_access.{user_id}"


def _revoked_key(user_id: int) -> str:
    return f"driver_access_revoked_at.{user_id}"


def announce_access_revoked(*, user_id: int) -> None:
    """Close the driver's open sockets in every process, once the revoking transaction commits.

    Tokens issued in an earlier second than this stop opening sockets; the mark outlives every such
    token (JWT iat has a resolution of one second, so one issued in the same second still passes)."""
    lifetime = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()
    shared_cache().set(_revoked_key(user_id), int(time.time()), timeout=int(lifetime) + 1)
    publish([driver_access_group(user_id)], {"type": ACCESS_REVOKED, "user_id": user_id})


def _revoked_before(user_id: int, issued_at: float) -> bool:
    revoked_at = shared_cache().get(_revoked_key(user_id))
    return revoked_at is not None and issued_at < revoked_at


class JwtAuthMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        user, issued_at, expires_at = await _user(_token(scope))
        scope = dict(scope, user=user, access_issued_at=issued_at, access_expires_at=expires_at)
        return await self.app(scope, receive, send)


class AccessBoundMixin:
    """For a driver's `AsyncWebsocketConsumer`: call `bind_access` once authenticated and `release_access`
    on disconnect. A revocation arriving as a group message closes the socket before any handler of the
    consumer sees it, so no consumer can forget to check."""

    access_expiry: asyncio.Task | None = None
    access_group: str | None = None
    access_ended = False

    async def bind_access(self) -> None:
        self.access_group = driver_access_group(self.scope["user"].pk)
        await self.channel_layer.group_add(self.access_group, self.channel_name)
        _open_sockets[self.scope["user"].pk].add(self)
        self.access_expiry = asyncio.create_task(self._watch_access())

    async def release_access(self) -> None:
        if self.access_expiry is not None:
            self.access_expiry.cancel()
        if self.access_group is not None:
            user_id = self.scope["user"].pk
            _open_sockets[user_id].discard(self)
            if not _open_sockets[user_id]:
                del _open_sockets[user_id]
            await self.channel_layer.group_discard(self.access_group, self.channel_name)

    async def dispatch(self, message: dict) -> None:
        if message.get("type") == "live.event" and message.get("event", {}).get("type") == ACCESS_REVOKED:
            for socket in list(_open_sockets.get(self.scope["user"].pk, ())):
                await socket._end_access()
            await self._end_access()
            return
        await super().dispatch(message)

    async def _watch_access(self) -> None:
        """Close at the token's expiry, or sooner if a revocation's group message was lost."""
        user_id, issued_at = self.scope["user"].pk, self.scope["access_issued_at"]
        while (remaining := self.scope["access_expires_at"] - time.time()) > 0:
            await asyncio.sleep(min(remaining, ACCESS_RECHECK_SECONDS))
            if await sync_to_async(_revoked_before, thread_sensitive=False)(user_id, issued_at):  # the cache only
                break
        await self._end_access()

    async def _end_access(self) -> None:
        if not self.access_ended:
            self.access_ended = True
            await self.close(code=CLOSE_UNAUTHENTICATED)


def _token(scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            kind, _, token = value.decode("latin-1").partition(" ")
            if kind.lower() == "bearer":
                return token.strip()
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return (query.get("token") or [None])[0]


@database_sync_to_async
def _user(raw: str | None) -> tuple:
    """The token's driver, when it was issued and when its access ends (epoch seconds);
    anonymous when it is not valid or was revoked."""
    anonymous = AnonymousUser(), None, None
    if not raw:
        return anonymous
    try:
        token = AccessToken(raw)
    except TokenError:
        return anonymous
    user = get_user_model().objects.filter(**{api_settings.USER_ID_FIELD: token[api_settings.USER_ID_CLAIM]}).first()
    if user is None or not user.is_active or user.is_staff:
        return anonymous
    issued_at = float(token.get("iat", 0))
    if _revoked_before(user.pk, issued_at):
        return anonymous
    return user, issued_at, float(token["exp"])
