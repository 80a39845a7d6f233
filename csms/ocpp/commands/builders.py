"""Each OCPP version's builders, registered on the command types they build.

csms/ocpp/v16/commands.py and v201/commands.py each make one `Builders` and
end with `complete()`, so a version that forgets a command fails at import.
"""

import types
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Protocol, TypeVar

from csms.ocpp.command import Command


class NotExpressible(ValueError):
    """A command a version's CALLs cannot say (a per-EVSE reset on 1.6): nothing is sent."""


class Payload(Protocol):
    """A version's CALL payload: a dataclass named after its action (the `ocpp` package's `call.*`)."""

    __dataclass_fields__: ClassVar[dict[str, Any]]


Builder = Callable[[Any], Payload]  # a command → the version's CALL payload
C = TypeVar("C", bound=Command)


class Builders:
    """One OCPP version's builders, by the command type each builds: `@builders(Reset)`.

    `complete()` ends the version's module: every command type has a builder there, or is
    declared not supported by that version, or the module fails to import.
    """

    def __init__(self, ocpp_version: str):
        self.ocpp_version = ocpp_version
        self._builders: dict[type[Command], Builder] = {}

    def __call__(self, kind: type[C]) -> Callable[[Callable[[C], Payload]], Callable[[C], Payload]]:
        if not (isinstance(kind, type) and issubclass(kind, Command) and kind is not Command):
            raise TypeError(f"OCPP {self.ocpp_version}: {kind!r} is not a command type")

        def register(build: Callable[[C], Payload]) -> Callable[[C], Payload]:
            if kind in self._builders:
                raise TypeError(f"OCPP {self.ocpp_version}: two builders for {kind.__name__}")
            self._builders[kind] = build
            return build

        return register

    def complete(self, *, not_supported: frozenset[type[Command]] = frozenset()) -> Mapping[type[Command], Builder]:
        every = set(Command.by_name.values())
        missing = every - set(self._builders) - not_supported
        both = set(self._builders) & not_supported
        if missing or both:
            raise TypeError(
                f"OCPP {self.ocpp_version}: no builder for {sorted(k.__name__ for k in missing)}; "
                f"both built and not supported: {sorted(k.__name__ for k in both)}"
            )
        return types.MappingProxyType(dict(self._builders))
