"""The WebSocket consumer every charger connects to: /ocpp/<charge_point_id>.

It negotiates the OCPP version, authenticates the station (security
profile 1: HTTP Basic with the station's own password; handshake.py says
which HTTP status a refused handshake gets), makes sure only the newest
connection of a station stays open, and feeds frames to the version's
protocol engine.
"""

import asyncio
import logging

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from csms import processes
from csms.db import db_async
from csms.denial import DenyingConsumer
from csms.ocpp.groups import control_group
from csms.ocpp.handshake import HandshakeRefused, admit, basic_auth_password
from csms.ocpp.messagelog import message_log
from csms.ocpp.outcome import Outcome
from csms.ocpp.v16.central_system import CentralSystem16
from csms.ocpp.v201.central_system import CentralSystem201
from stations.services.connections import station_connected, station_disconnected

logger = logging.getLogger(__name__)

# Subprotocol → engine, in order of preference: 2.0.1 when a charger offers both.
ENGINES = {"ocpp2.0.1": CentralSystem201, "ocpp1.6": CentralSystem16}
# Close code for a connection replaced by a newer one of the same station.
CLOSE_REPLACED = 4000
# Close code for a station the operator rejected while it was connected (daphne sends 1000 or 3000-4999 only).
CLOSE_NOT_ACCEPTED = 4001


class OcppConsumer(DenyingConsumer):
    engine = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.commands: set[asyncio.Task] = set()
        self.connecting_since = timezone.now()
        self.recorded_station_id: int | None = None

    async def websocket_connect(self, message) -> None:
        """Note when the handshake arrived (the newest of a station's connections wins) and
        declare this process alive before any socket of it is recorded. A connect that
        fails half-way leaves no recorded socket behind: nobody would ever clear it."""
        self.connecting_since = timezone.now()
        if not processes.beacon_running(self.channel_name):
            await asyncio.to_thread(processes.keep_alive, self.channel_name)
        try:
            await super().websocket_connect(message)
        except BaseException:
            await self._forget_connection()
            raise

    async def _record_connection(self, station_id: int) -> bool:
        """Record this socket as the station's and close the older ones; or, when a newer
        handshake of the station already holds it, close this one."""
        recorded = await db_async(station_connected)(
            station_id=station_id,
            channel_name=self.channel_name,
            ocpp_version=self.engine.ocpp_version,
            since=self.connecting_since,
        )
        if not recorded:
            logger.info("%s: a newer connection holds the station; closing this one", self.charge_point_id)
            await self.close(code=CLOSE_REPLACED)
            return False
        self.recorded_station_id = station_id
        await self.channel_layer.group_send(
            self.group, {"type": "ocpp.replaced", "by": self.channel_name, "since": self.connecting_since.isoformat()}
        )
        return True

    async def _forget_connection(self) -> None:
        """Clear this socket's record (if it is still the recorded one); survives cancellation,
        because the ASGI server cancels a consumer that takes too long to end."""
        if self.recorded_station_id is not None:
            forget = db_async(station_disconnected)(station_id=self.recorded_station_id, channel_name=self.channel_name)
            await asyncio.shield(asyncio.ensure_future(forget))

    async def connect(self) -> None:
        # The server decoded the path (%2F and all); the route's segment is the identity itself.
        self.charge_point_id = self.scope["url_route"]["kwargs"]["charge_point_id"]
        try:
            admitted = await db_async(admit)(
                charge_point_id=self.charge_point_id,
                address=(self.scope.get("client") or ("",))[0],
                offered=self.scope.get("subprotocols", []),
                supported=tuple(ENGINES),
                password=basic_auth_password(self.scope.get("headers", []), self.charge_point_id),
            )
        except HandshakeRefused as refused:
            await self.deny(refused.status, refused.body, refused.headers)
            return
        station, subprotocol = admitted.station, admitted.subprotocol
        self.group = control_group(station.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.engine = ENGINES[subprotocol](
            charge_point_id=self.charge_point_id,
            station_id=station.pk,
            lenient=station.lenient,
            registration_status=station.registration_status,
            connection=self,
        )
        if not await self._record_connection(station.pk):
            return
        await self.accept(subprotocol=subprotocol)
        self.worker = asyncio.create_task(self.engine.answer_calls())

    async def receive(self, text_data=None, bytes_data=None) -> None:
        if text_data is None:
            text_data = (bytes_data or b"").decode("utf-8", errors="replace")
        await self.engine.receive_frame(text_data)

    async def disconnect(self, code) -> None:
        if self.engine is None:
            return
        try:
            self.engine.connection_lost()  # running commands reply "disconnected" (or the answer they got)
            worker = getattr(self, "worker", None)
            if worker is not None:
                try:  # CALLs received before the close are still handled: their data is not lost
                    await asyncio.wait_for(asyncio.shield(worker), settings.OCPP_CALL_TIMEOUT)
                except TimeoutError:
                    worker.cancel()
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await message_log.flush()  # first: once the station shows offline, its frames are all logged
        finally:
            await self._forget_connection()

    async def ocpp_command(self, event: dict) -> None:
        """A command from any process (see gateway.py). Run as a task: the consumer must stay
        free to receive the charger's answer."""
        task = asyncio.create_task(self._perform(event))
        self.commands.add(task)
        task.add_done_callback(self.commands.discard)

    async def _perform(self, event: dict) -> None:
        try:
            reply = await self.engine.perform(event["command"], event["params"])
        except Exception as error:
            logger.exception("%s: command %s failed", self.charge_point_id, event["command"])
            reply = {"outcome": Outcome.FAILED, "action": event["command"], "description": str(error)}
        await self.channel_layer.send(event["reply_to"], {"type": "ocpp.command.reply", **reply})

    async def ocpp_replaced(self, event: dict) -> None:
        """A newer connection of this station was recorded: it wins, this one closes. A
        message from an older one (recorded before this one) changes nothing."""
        if event["by"] == self.channel_name:
            return
        theirs = (parse_datetime(event["since"]), event["by"]) if event.get("since") else None
        if theirs is None or theirs > (self.connecting_since, self.channel_name):
            logger.info("%s: replaced by a newer connection", self.charge_point_id)
            await self.close(code=CLOSE_REPLACED)

    async def ocpp_close(self, event: dict) -> None:
        """The operator rejected the station (see subscribers.py): close its socket at once."""
        logger.info("%s: closed, %s", self.charge_point_id, event.get("reason", "not accepted"))
        await self.close(code=CLOSE_NOT_ACCEPTED)
