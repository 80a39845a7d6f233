"""The live stream of one driver session: `/ws/v1/sessions/{id}`.

Every message is the session's whole current state (the REST representation),
so a client that reconnects only needs the next message to be up to date.

Each change is a nudge from sessions/live.py (the session moved, readings
arrived, billing stored a new cost); the state is read in one query and the
cost is the one stored on the transaction, so a watcher never prices the
session. Besides each change, an open session's state is sent again every
REFRESH_SECONDS: its duration moves while the charger is quiet, and a group
message the Redis layer dropped (django/channels_redis#366) is made good.
"""

import asyncio

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from rest_framework.renderers import JSONRenderer

from csms.api.websocket_auth import CLOSE_NOT_FOUND, CLOSE_UNAUTHENTICATED, AccessBoundMixin
from csms.live import driver_session_group, transaction_group
from sessions import selectors
from sessions.driver_sessions import OPEN_STATES
from sessions.serializers import SessionSerializer

REFRESH_SECONDS = 10


class SessionStreamConsumer(AccessBoundMixin, AsyncWebsocketConsumer):
    async def connect(self):
        # Accept first: a close code (4401, 4404) tells the app why, a refused handshake would not.
        await self.accept()
        if not self.scope["user"].is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.session_id = int(self.scope["url_route"]["kwargs"]["session_id"])
        self.transaction_id = None
        self.last_sent = None
        self.open = True
        self.sending = asyncio.Lock()  # a change and a refresh never interleave their read and send
        await self.bind_access()
        await self.channel_layer.group_add(driver_session_group(self.session_id), self.channel_name)
        if not await self._send_state():
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.refresh = asyncio.create_task(self._refresh())

    async def _refresh(self) -> None:
        """Until the session is over: a completed or failed session does not change any more."""
        while self.open and not self.access_ended:
            await asyncio.sleep(REFRESH_SECONDS)
            await self._send_state()

    async def disconnect(self, code):
        if getattr(self, "refresh", None) is not None:
            self.refresh.cancel()
        await self.release_access()
        if getattr(self, "session_id", None) is not None:
            await self.channel_layer.group_discard(driver_session_group(self.session_id), self.channel_name)
        if getattr(self, "transaction_id", None) is not None:
            await self.channel_layer.group_discard(transaction_group(self.transaction_id), self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        """The stream is one-way; anything the client sends is ignored."""

    async def live_event(self, message):
        await self._send_state()

    async def _send_state(self) -> bool:
        """Send the state if it changed since the last message; False if the session is not this driver's."""
        async with self.sending:
            if self.access_ended:
                return True
            read = await self._read_state()
            if read is None:
                return False
            await self._send_read(*read)
            return True

    async def _send_read(self, state: dict, transaction_id: int | None) -> None:
        if transaction_id is not None and self.transaction_id is None:
            # Meter values are published per transaction: follow it once the charger has started.
            self.transaction_id = transaction_id
            await self.channel_layer.group_add(transaction_group(transaction_id), self.channel_name)
        payload = JSONRenderer().render({"type": "session", "session": state}).decode()
        if payload != self.last_sent:
            self.last_sent = payload
            await self.send(text_data=payload)
        self.open = state["state"] in OPEN_STATES

    @database_sync_to_async
    def _read_state(self) -> tuple[dict, int | None] | None:
        session = (
            selectors.driver_sessions(driver=self.scope["user"])
            .select_related("payment")
            .filter(pk=self.session_id)
            .first()
        )
        if session is None:
            return None
        return SessionSerializer(session).data, session.transaction_id
