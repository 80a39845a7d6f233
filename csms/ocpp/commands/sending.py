"""Sending a command: `send` (and its `.sync` twin) carries it through the gateway."""

import functools
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, Protocol, TypeVar, cast

from asgiref.sync import async_to_sync

from csms.ocpp import gateway
from csms.ocpp.command import Command
from csms.ocpp.outcome import Answer

P = ParamSpec("P")
R = TypeVar("R")


class WithSync(Protocol[P, R]):
    """An async command (see `command`) that also has a blocking twin, `.sync`."""

    sync: Callable[P, R]

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Coroutine[Any, Any, R]: ...


def command(func: Callable[P, Coroutine[Any, Any, R]]) -> WithSync[P, R]:
    """Give an async command (or a domain service that sends one) a `.sync` twin for callers
    without an event loop (views, Celery tasks, the admin)."""
    twin = cast(WithSync[P, R], func)
    twin.sync = functools.wraps(func)(async_to_sync(func))
    return twin


@command
async def send(station_id: int, command: Command) -> Answer:
    """Carry `command` to the station and return its answer; a `CommandError` unless it agreed."""
    reply = await gateway.dispatch(station_id=station_id, command=command)
    return Answer(action=reply.action, status=reply.status, data=reply.data, result=command.read(reply.data))
