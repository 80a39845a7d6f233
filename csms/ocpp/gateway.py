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
from stations.selectors import command_route

# Extra seconds the caller waits beyond the charger's own answer timeout, for the hops.
TRANSPORT_MARGIN = 3.0


class CommandError(Exception):
    """A command did not get the charger to do what was asked."""


class StationNotConnected(CommandError):
    def __init__(self, charge_point_id: str, why: str = "is not connected"):
        super().__init__(f"{charge_point_id} {why}")


class StationNotAccepted(CommandError):
    """The station is connected but not (yet) Accepted, and this command is not one a
    Pending/unbooted station takes: nothing was sent (it would answer SecurityError)."""

    def __init__(self, charge_point_id: str, action: str, why: str):
        super().__init__(f"{charge_point_id} {why}: {action} was not sent")
        self.action = action
        self.why = why


class CommandTimeout(CommandError):
    def __init__(self, charge_point_id: str, action: str, seconds: float):
        super().__init__(f"{charge_point_id} did not answer {action} within {seconds:g}s")


class CommandRejected(CommandError):
    """The charger answered, and said no (Rejected, NotSupported, Occupied...)."""

    def __init__(self, charge_point_id: str, action: str, status: str, data: dict):
        super().__init__(f"{charge_point_id} answered {action} with {status}")
        self.status = status
        self.data = data


class CommandCallError(CommandError):
    """The charger answered with a CALLERROR."""

    def __init__(self, charge_point_id: str, action: str, code: str, description: str):
        super().__init__(f"{charge_point_id} answered {action} with CALLERROR {code}: {description}")
        self.code = code
        self.description = description


class CommandInvalid(CommandError):
    """The command would break the station's OCPP schema (an id tag too long for 1.6...); nothing was sent."""


class CommandNotSupported(CommandError):
    """The station's OCPP version has no such operation (e.g. GetConfiguration on 2.0.1)."""


@dataclass(frozen=True)
class Answer:
    """What the charger answered: its status (if the answer has one) and the other fields."""

    action: str
    status: str | None
    data: dict


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


async def dispatch(*, station_id: int, charge_point_id: str, command: str, params: dict) -> Answer:
    """Send `command` to the station's consumer and wait for the charger's answer."""
    route = await db_async(command_route)(station_id=station_id)
    if route is None or not route.channel:
        raise StationNotConnected(charge_point_id)
    why = refusal(
        command=command,
        params=params,
        registration_status=route.registration_status,
        booted=route.booted,
        ocpp_version=route.ocpp_version,
    )
    if why:
        raise StationNotAccepted(charge_point_id, command, why)
    layer = _reply_layer()
    reply_to = await layer.new_channel("ocpp.reply.")
    await layer.send(
        route.channel, {"type": "ocpp.command", "command": command, "params": params, "reply_to": reply_to}
    )
    wait = settings.OCPP_CALL_TIMEOUT + TRANSPORT_MARGIN
    try:
        reply = await asyncio.wait_for(layer.receive(reply_to), wait)
    except TimeoutError:  # the consumer itself is gone (its process died)
        raise CommandTimeout(charge_point_id, command, wait) from None
    return _answer(charge_point_id, reply)


def _answer(charge_point_id: str, reply: dict) -> Answer:
    outcome, action = reply["outcome"], reply["action"]
    if outcome == "answered":
        return Answer(action=action, status=reply.get("status"), data=reply["data"])
    if outcome == "disconnected":
        raise StationNotConnected(charge_point_id, f"disconnected before answering {action}")
    if outcome == "timeout":
        raise CommandTimeout(charge_point_id, action, reply["seconds"])
    if outcome == "call_error":
        raise CommandCallError(charge_point_id, action, reply["code"], reply["description"])
    if outcome == "not_accepted":
        raise StationNotAccepted(charge_point_id, action, reply["why"])
    if outcome == "invalid":
        raise CommandInvalid(f"{charge_point_id}: not sent, {reply['description']}")
    if outcome == "not_supported":
        raise CommandNotSupported(f"{action} is not an operation of OCPP {reply['version']}")
    raise CommandError(f"{charge_point_id}: {reply.get('description', outcome)}")
