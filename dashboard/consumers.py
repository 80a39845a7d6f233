"""The dashboard's live socket: the network's changes, and one station's, pushed to staff pages.

`/ws/dashboard` joins the dashboard group: stations' statuses and connections,
sessions starting and stopping, alerts opened and closed (each a small nudge
with ids). `/ws/dashboard/stations/<id>` joins that station's groups as well:
its status and connection, and its sessions priced per reading. The page reads
what it shows again when nudged, so a missed message is made good by the next.

Staff sign in with the admin's session cookie. The socket lives no longer than
that access: every ACCESS_RECHECK_SECONDS it checks the session still holds an
active staff member with a role, and closes with 4401 (signed out) or 4403 (no
longer allowed) when not.
"""

import asyncio
import json
from importlib import import_module
from types import SimpleNamespace

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib.auth import get_user

from csms.live import DASHBOARD_GROUP, station_group, station_sessions_group
from dashboard.access import may_see_dashboard

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
ACCESS_RECHECK_SECONDS = 10


class DashboardConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.groups_joined: list[str] = []
        self.recheck: asyncio.Task | None = None
        await self.accept()  # first: the close code tells the page why
        code = await self._access_code()
        if code:
            await self.close(code=code)
            return
        for group in self._groups():
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        self.recheck = asyncio.create_task(self._recheck_access())

    async def disconnect(self, code):
        if self.recheck is not None:
            self.recheck.cancel()
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        """The socket only speaks: whatever a page sends is ignored."""

    async def live_event(self, message):
        await self.send(text_data=json.dumps(message["event"]))

    def _groups(self) -> list[str]:
        station_id = self.scope["url_route"]["kwargs"].get("station_id")
        if station_id is None:
            return [DASHBOARD_GROUP]
        return [DASHBOARD_GROUP, station_group(int(station_id)), station_sessions_group(int(station_id))]

    async def _access_code(self) -> int | None:
        return await database_sync_to_async(_access_code)(self.scope["session"].session_key)

    async def _recheck_access(self) -> None:
        while True:
            await asyncio.sleep(ACCESS_RECHECK_SECONDS)
            code = await self._access_code()
            if code:
                await self.close(code=code)
                return


def _access_code(session_key: str | None) -> int | None:
    """Why this session may not watch the dashboard now, as a close code; None when it may.

    The session is read afresh each time: a sign-out (or a password change) elsewhere ends it."""
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user = get_user(SimpleNamespace(session=session))
    if not user.is_authenticated:
        return CLOSE_UNAUTHENTICATED
    return None if may_see_dashboard(user) else CLOSE_FORBIDDEN
