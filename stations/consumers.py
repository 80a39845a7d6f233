"""The live status of the stations a driver watches: `/ws/v1/stations`.

The client sends `{"subscribe": ["DEMO-0001", ...]}` or `{"unsubscribe": [...]}`
(at most 500 stations watched at once). For each station subscribed the server
sends `{"type": "station", "station": {...}}` at once and again whenever its
status or connection changes: the whole state, never a delta, so a client
that missed a message is right again with the next one. A message the server
cannot take is answered with `{"type": "error", "code", "message"}` and the
socket stays open.
"""

import asyncio
import json
from collections.abc import Iterable
from enum import StrEnum

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer

from csms.api.errors import error_body
from csms.api.websocket_auth import CLOSE_UNAUTHENTICATED, AccessBoundMixin
from csms.live import station_group
from stations.selectors.status import accepted_station_ids, stations_with_evses
from stations.serializers import MAX_SUBSCRIPTIONS, StationStatusSerializer, SubscriptionSerializer

# The Redis channel layer can drop a group message when another consumer of the same process stops
# receiving at that moment (django/channels_redis#366): typically a station's own "offline" event, as
# its OCPP socket closes. Every so often the watched states are read again and sent where they differ.
RESYNC_SECONDS = 15


class SocketError(StrEnum):
    """The `code` of this socket's error messages: its own API, apart from the REST API's ErrorCode."""

    INVALID_JSON = "invalid_json"  # the frame is not JSON text
    INVALID_MESSAGE = "invalid_message"  # not {"subscribe": [...]} / {"unsubscribe": [...]}; the message says why
    TOO_MANY_SUBSCRIPTIONS = "too_many_subscriptions"  # the subscription would watch more than MAX_SUBSCRIPTIONS
    STATION_NOT_FOUND = "station_not_found"  # some ids subscribed name no accepted station (the others are watched)


class StationStatusConsumer(AccessBoundMixin, AsyncWebsocketConsumer):
    async def connect(self):
        self.watched: dict[int, str] = {}  # station pk → charge point id
        self.last_sent: dict[int, str] = {}
        self.sending = asyncio.Lock()  # read-then-send as one step, so an older read never goes out last
        self.resync = None
        # Accept first: the close code (4401) tells the app why, a refused handshake would not.
        await self.accept()
        if not self.scope["user"].is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        await self.bind_access()
        self.resync = asyncio.create_task(self._resync())

    async def disconnect(self, code):
        if getattr(self, "resync", None) is not None:
            self.resync.cancel()
        await self.release_access()
        for station_id in getattr(self, "watched", {}):
            await self.channel_layer.group_discard(station_group(station_id), self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        if not self.scope["user"].is_authenticated or self.access_ended:
            return  # a frame that crossed our close
        try:
            message = json.loads(text_data)
        except (TypeError, ValueError):  # TypeError: a binary frame
            await self._error(SocketError.INVALID_JSON, "Send a JSON text message.")
            return
        request = SubscriptionSerializer(data=message)
        if not request.is_valid():
            await self._error(SocketError.INVALID_MESSAGE, _describe(request.errors))
            return
        await self._unsubscribe(request.validated_data.get("unsubscribe", []))
        await self._subscribe(request.validated_data.get("subscribe", []))

    async def live_event(self, message):
        """A watched station's status or connection changed (stations/live.py): send its state again."""
        event = message["event"]
        if event.get("station_id") in self.watched:  # not unsubscribed meanwhile
            await self._send_states([event["station_id"]])

    async def _subscribe(self, charge_point_ids: list[str]) -> None:
        if not charge_point_ids:
            return
        found = await database_sync_to_async(accepted_station_ids)(charge_point_ids=charge_point_ids)
        if len(self.watched.keys() | set(found.values())) > MAX_SUBSCRIPTIONS:
            await self._error(
                SocketError.TOO_MANY_SUBSCRIPTIONS, f"Watch at most {MAX_SUBSCRIPTIONS} stations at once."
            )
            return
        for charge_point_id, station_id in found.items():
            # Join before reading, so no change between the snapshot and the join is missed.
            await self.channel_layer.group_add(station_group(station_id), self.channel_name)
            self.watched[station_id] = charge_point_id
        await self._send_states(found.values(), always=True)
        unknown = [charge_point_id for charge_point_id in charge_point_ids if charge_point_id not in found]
        if unknown:
            await self._error(SocketError.STATION_NOT_FOUND, f"No such station: {', '.join(unknown)}.")

    async def _unsubscribe(self, charge_point_ids: list[str]) -> None:
        for station_id, charge_point_id in list(self.watched.items()):
            if charge_point_id in charge_point_ids:
                await self.channel_layer.group_discard(station_group(station_id), self.channel_name)
                del self.watched[station_id]
                self.last_sent.pop(station_id, None)

    async def _resync(self) -> None:
        while True:
            await asyncio.sleep(RESYNC_SECONDS)
            await self._send_states(list(self.watched))

    async def _send_states(self, station_ids: Iterable[int], *, always: bool = False) -> None:
        """Send each station's state; unless asked for, only when it differs from what the client has."""
        async with self.sending:
            if self.access_ended:
                return
            for station_id, state in (await _read_states(list(station_ids))).items():
                if station_id not in self.watched:
                    continue  # unsubscribed while this was read
                payload = JSONRenderer().render({"type": "station", "station": state}).decode()
                if always or payload != self.last_sent.get(station_id):
                    self.last_sent[station_id] = payload
                    await self.send(text_data=payload)

    async def _error(self, code: SocketError, message: str) -> None:
        await self.send(text_data=json.dumps({"type": "error", "code": code, "message": message}))


@database_sync_to_async
def _read_states(station_ids: list[int]) -> dict[int, dict]:
    stations = stations_with_evses(station_ids=station_ids)
    return {station.pk: StationStatusSerializer(station).data for station in stations}


def _describe(errors: dict) -> str:
    """Serializer errors as one line naming each field, as the REST API's `fields` would."""
    fields = error_body(exceptions.ValidationError(errors))["fields"]
    return "; ".join(f"{name}: {problem['message']}" for name, problems in fields.items() for problem in problems)
