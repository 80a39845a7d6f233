"""Carrying a command to the process that holds a charger's socket, and its answer back.

Any process (an ASGI worker handling an API call, a Celery task, the admin)
sends the command on the channel layer to the channel of the consumer that
holds the station's socket, and waits on a reply channel of its own. The
consumer performs the OCPP call and replies with the answer or the failure.

Commands may be sent from any number of threads and processes at once: each
event loop waits for its replies on a channel layer of its own (see
`_reply_layer`).
"""

import asyncio
import threading
import weakref
from dataclasses import dataclass

from channels.layers import DEFAULT_CHANNEL_LAYER, BaseChannelLayer, channel_layers
from django.conf import settings

from csms.db import db_async
from csms.ocpp.acceptance import refusal
from csms.ocpp.command import Command
from csms.ocpp.outcome import CommandTimeout, Outcome, StationNotAccepted, StationNotConnected, failure
from stations.selectors.connections import command_route

# Extra seconds the caller waits beyond the charger's own answer timeout, for the hops.
TRANSPORT_MARGIN = 3.0


_reply_layers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, BaseChannelLayer]" = weakref.WeakKeyDictionary()
_reply_layers_lock = threading.Lock()


def _reply_layer() -> BaseChannelLayer:
    """This event loop's own channel layer, to wait on reply channels with.

    channels_redis lets one event loop at a time receive() on a layer instance
    (its receive lock is per instance; a second loop gets "Two event loops are
    trying to receive() on one channel layer at once!"), and every reply
    channel of an instance shares one Redis list, so two loops would also take
    each other's replies. The process's layer is a singleton, and each
    `.sync()` call runs in a loop of its own: so each loop gets an instance.
    An entry goes with its loop (channels_redis drops its pools on loop close).
    """
    loop = asyncio.get_running_loop()
    with _reply_layers_lock:
        layer = _reply_layers.get(loop)
        if layer is None:
            layer = _reply_layers[loop] = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
    return layer


@dataclass(frozen=True)
class Reply:
    """The charger's agreeing answer: its action, its status (if the answer has one), the other fields."""

    action: str
    status: str | None
    data: dict


async def dispatch(*, station_id: int, command: Command) -> Reply:
    """Send `command` to the station's consumer and wait for the charger's answer; the typed
    failure (outcome.py) of any outcome but ACCEPTED."""
    route = await db_async(command_route)(station_id=station_id)
    if route is None:
        raise StationNotConnected(f"station {station_id}", "is not a known station")
    if not route.channel:
        raise StationNotConnected(route.charge_point_id)
    why = refusal(
        command=command,
        registration_status=route.registration_status,
        booted=route.booted,
        ocpp_version=route.ocpp_version,
    )
    if why:
        raise StationNotAccepted(route.charge_point_id, command.name, why)
    layer = _reply_layer()
    reply_to = await layer.new_channel("ocpp.reply.")
    await layer.send(route.channel, {"type": "ocpp.command", **command.to_wire(), "reply_to": reply_to})
    wait = settings.OCPP_CALL_TIMEOUT + TRANSPORT_MARGIN
    try:
        reply = await asyncio.wait_for(layer.receive(reply_to), wait)
    except TimeoutError:  # the consumer itself is gone (its process died)
        raise CommandTimeout(route.charge_point_id, command.name, wait) from None
    if reply["outcome"] != Outcome.ACCEPTED:
        raise failure(route.charge_point_id, reply)
    return Reply(action=reply["action"], status=reply.get("status"), data=reply["data"])
