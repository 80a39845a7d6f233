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

from csms.db import db_async
from csms.denial import DenyingConsumer
from csms.ocpp.handshake import HandshakeRefused, admit, basic_auth_password
from csms.ocpp.messagelog import message_log
from csms.ocpp.v16.central_system import CentralSystem16
from csms.ocpp.v201.central_system import CentralSystem201
from stations import services as stations

logger = logging.getLogger(__name__)

# Subprotocol → engine, in order of preference: 2.0.1 when a charger offers both.
ENGINES = {"ocpp2.0.1": CentralSystem201, "ocpp1.6": CentralSystem16}
# Close code for a connection replaced by a newer one of the same station.
CLOSE_REPLACED = 4000


def control_group(station_id: int) -> str:
    """The group of the consumer(s) holding a station's socket; not the live-events group."""
    return f"ocpp.{station_id}"


class OcppConsumer(DenyingConsumer):
    engine = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.commands: set[asyncio.Task] = set()

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
        await self.channel_layer.group_send(self.group, {"type": "ocpp.replaced", "by": self.channel_name})
        self.engine = ENGINES[subprotocol](
            charge_point_id=self.charge_point_id,
            station_id=station.pk,
            lenient=station.lenient,
            registration_status=station.registration_status,
            connection=self,
        )
        await db_async(stations.station_connected)(
            station_id=station.pk, channel_name=self.channel_name, ocpp_version=self.engine.ocpp_version
        )
        await self.accept(subprotocol=subprotocol)
        self.worker = asyncio.create_task(self.engine.answer_calls())

    async def receive(self, text_data=None, bytes_data=None) -> None:
        if text_data is None:
            text_data = (bytes_data or b"").decode("utf-8", errors="replace")
        await self.engine.receive_frame(text_data)

    async def disconnect(self, code) -> None:
        if self.engine is None:
            return
        self.engine.connection_lost()  # running commands reply "disconnected" (or the answer they got)
        try:  # CALLs received before the close are still handled: their data is not lost
            await asyncio.wait_for(asyncio.shield(self.worker), settings.OCPP_CALL_TIMEOUT)
        except asyncio.TimeoutError:
            self.worker.cancel()
        await self.channel_layer.group_discard(self.group, self.channel_name)
        await message_log.flush()  # first: once the station shows offline, its frames are all logged
        await db_async(stations.station_disconnected)(
            station_id=self.engine.station_id, channel_name=self.channel_name
        )

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
            reply = {"outcome": "failed", "action": event["command"], "description": str(error)}
        await self.channel_layer.send(event["reply_to"], {"type": "ocpp.command.reply", **reply})

    async def ocpp_replaced(self, event: dict) -> None:
        """A newer connection of this station arrived: it wins, this one closes."""
        if event["by"] != self.channel_name:
            logger.info("%s: replaced by a newer connection", self.charge_point_id)
            await self.close(code=CLOSE_REPLACED)
