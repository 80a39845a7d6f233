"""JWT authentication for the drivers' WebSockets: the same access token as the REST API.

Mobile clients send `Authorization: Bearer <token>`; a client that cannot set
headers on a WebSocket (a browser) passes `?token=<token>`.
"""
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken

# Close codes a client can act on (4000-4999 are the application's).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404


class JwtAuthMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        scope = dict(scope, user=await _user(_token(scope)))
        return await self.app(scope, receive, send)


def _token(scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            kind, _, token = value.decode("latin-1").partition(" ")
            if kind.lower() == "bearer":
                return token.strip()
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return (query.get("token") or [None])[0]


@database_sync_to_async
def _user(raw: str | None):
    if not raw:
        return AnonymousUser()
    try:
        token = AccessToken(raw)
    except TokenError:
        return AnonymousUser()
    user = get_user_model().objects.filter(**{api_settings.USER_ID_FIELD: token[api_settings.USER_ID_CLAIM]}).first()
    if user is None or not user.is_active or user.is_staff:
        return AnonymousUser()
    return user
