"""Refusing a WebSocket handshake with an HTTP response (the ASGI WebSocket denial extension).

Without it a server can only answer a refused handshake with a status of its
own choosing (403); with it a charger hears 401, 404 or 429 as the case is.
"""

import logging

from channels.generic.websocket import AsyncWebsocketConsumer

logger = logging.getLogger(__name__)

DENIAL_EXTENSION = "websocket.http.response"


class DenyingConsumer(AsyncWebsocketConsumer):
    """A consumer that can answer its handshake with an HTTP error instead of accepting it."""

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._forget_channel()

    def _forget_channel(self) -> None:
        """channels_redis leaves an empty receive buffer behind for a channel whose receive was
        cancelled while it held the layer's receive lock: one per such connection, forever (the
        server's memory grew round after round of reconnect storms). Drop it once we are done."""
        buffers = getattr(self.channel_layer, "receive_buffer", None)
        channel = getattr(self, "channel_name", None)
        if buffers is not None and channel in buffers and buffers[channel].empty():
            del buffers[channel]

    async def deny(self, status: int, body: str, headers: list[tuple[bytes, bytes]] = ()) -> None:
        if DENIAL_EXTENSION not in self.scope.get("extensions", {}):
            await self.close()
            return
        await self.base_send(
            {
                "type": "websocket.http.response.start",
                "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), *headers],
            }
        )
        await self.base_send({"type": "websocket.http.response.body", "body": f"{body}\n".encode()})


class UnknownPathConsumer(DenyingConsumer):
    """A WebSocket to a path no route serves (`/ocpp/../x`, `/ocpp/a%2Fb`, `/nothing`): a 404
    and one log line, where the router alone would fail the handshake with a 500 and a traceback."""

    async def connect(self) -> None:
        logger.info(
            "WebSocket refused (404): no route for %r from %s",
            self.scope["path"],
            (self.scope.get("client") or ("?",))[0],
        )
        await self.deny(404, "no such WebSocket endpoint")
