"""What one command to a charger is: the base every typed command of the port extends,
the registry of command types by name, and a command's form on the channel layer.

It stands on its own, outside the `commands` package and below it, because the
gateway and acceptance.py need it too, and importing anything inside the package
runs the package's `__init__`, which imports the gateway (`commands.send` carries
through it): with `Command` in there, gateway → commands → gateway would loop.
"""

import re
import types
import typing
from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime
from typing import Any, ClassVar

from django.utils.dateparse import parse_datetime


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class Command:
    """One thing a charger can be asked to do. `name` (snake_case) names it in messages;
    `while_pending` lists the OCPP versions whose spec lets a Pending station take it."""

    name: ClassVar[str] = ""
    while_pending: ClassVar[frozenset[str]] = frozenset()
    by_name: ClassVar[dict[str, type["Command"]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.name = _snake(cls.__name__)
        Command.by_name[cls.__name__] = cls

    @property
    def reregisters(self) -> bool:
        """It asks the station to register again, which a station in any state may be asked."""
        return False

    def read(self, data: dict[str, Any]) -> Any:
        """What the answer teaches, as a plain value; None for commands whose answer is only a status."""
        return None

    def to_wire(self) -> dict[str, Any]:
        """The command as plain JSON values, for the channel layer (see `from_wire`)."""
        return {"command": type(self).__name__, "params": _plain(self)}


def from_wire(name: str, params: dict[str, Any]) -> Command:
    """The command a `to_wire` message stands for; KeyError for a command this process does not know."""
    return _typed(Command.by_name[name], params)


def _plain(value: object) -> Any:
    if is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _typed(kind: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        [kind] = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        return _typed(kind, value)
    if origin in (list, tuple):
        item = typing.get_args(kind)[0]
        return origin(_typed(item, v) for v in value)
    if isinstance(kind, type) and is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        return kind(**{name: _typed(hints[name], v) for name, v in value.items()})
    if kind is datetime:
        return parse_datetime(value)
    return value
