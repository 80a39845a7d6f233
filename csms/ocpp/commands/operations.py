"""The version-neutral command port: what the rest of Voltstack asks chargers to do.

A caller names the station by its pk and says what to do with one typed
command (a frozen dataclass below: `Reset(hard=True)`, `ReserveNow(...)`);
`send` carries it to the process holding the station's socket, which builds
the station's OCPP 1.6 or 2.0.1 CALL from it (csms/ocpp/v16/commands.py,
v201/commands.py, each builder registered on the command type it builds), and
returns the charger's `Answer` — or raises (see outcome.py):

- `StationNotConnected`: no socket for this station right now;
- `StationNotAccepted`: connected, but not booted and Accepted, and the command
  is not one the spec lets a Pending station take (see acceptance.py): not sent;
- `CommandTimeout`: the charger did not answer in time (a late answer is
  logged and ignored, never taken for the answer to a later call);
- `CommandRejected`: it answered no, with its status;
- `CommandCallError`: it answered with a CALLERROR (code, description);
- `CommandNotSupported`: the station's OCPP version has no such operation;
- `CommandInvalid`: the request would break the version's schema, so it was not sent.

The port writes nothing: what a charger's answer teaches us (configuration
keys, schedules, reservations, the local list version, a new password) is
recorded by the domain service that asked. A command whose answer carries
such a lesson reads it into a typed value (`Answer.result`, see `read`).
"""

import functools
import itertools
import re
import time
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime
from typing import Any, ClassVar

from asgiref.sync import async_to_sync
from django.utils.dateparse import parse_datetime

from csms.ocpp import gateway
from csms.ocpp.outcome import (
    AGREED,
    Answer,
    CommandCallError,
    CommandError,
    CommandInvalid,
    CommandNotSupported,
    CommandRejected,
    CommandTimeout,
    Outcome,
    StationNotAccepted,
    StationNotConnected,
)

__all__ = [
    "AGREED",
    "Answer",
    "CommandCallError",
    "CommandError",
    "CommandInvalid",
    "CommandNotSupported",
    "CommandRejected",
    "CommandTimeout",
    "Outcome",
    "StationNotAccepted",
    "StationNotConnected",
]

# Request ids (2.0.1 remoteStartId, requestId) the station echoes in its follow-up messages.
_request_ids = itertools.count(int(time.time()) % 1_000_000 * 1000)


def new_request_id() -> int:
    return next(_request_ids) % 2**31


class NotExpressible(ValueError):
    """A command a version's CALLs cannot say (a per-EVSE reset on 1.6): nothing is sent."""


# --- plain values the commands carry ------------------------------------------------------


@dataclass(frozen=True)
class SchedulePeriod:
    start_s: int
    limit: float
    phases: int | None = None


@dataclass(frozen=True)
class ChargingProfile:
    """A charging profile as plain values; each OCPP version's shape is made from it."""

    profile_id: int
    stack_level: int
    purpose: str  # "TxDefault", "Tx" or "StationMax"
    rate_unit: str  # "W" or "A"
    periods: list[SchedulePeriod]
    kind: str = "Absolute"  # "Absolute", "Relative" or "Recurring"
    recurrency: str | None = None  # "Daily" or "Weekly"
    starts_at: str | None = None
    duration_s: int | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    transaction_id: int | None = None  # a Tx profile's transaction on a 1.6 station
    transaction_uid: str | None = None  # ... and on a 2.0.1 station
    min_rate: float | None = None


@dataclass(frozen=True)
class Variable:
    """A variable of a 2.0.1 station's device model (of one EVSE's component, with evse_number)."""

    component: str
    variable: str
    evse_number: int | None = None


@dataclass(frozen=True)
class VariableValue:
    component: str
    variable: str
    value: str


@dataclass(frozen=True)
class LocalListEntry:
    """One id token of a local authorization list; without a status it removes the token
    (differential updates only). Types are 2.0.1's IdTokenType (1.6 sends none)."""

    id_tag: str
    status: str | None
    id_token_type: str = ""
    expires_at: str | None = None
    parent_id_tag: str | None = None
    parent_id_token_type: str | None = None


# --- what some answers teach: read into plain values ----------------------------------------


@dataclass(frozen=True)
class ConfigurationValue:
    key: str
    value: str | None
    readonly: bool


@dataclass(frozen=True)
class ConfigurationRead:
    keys: tuple[ConfigurationValue, ...]
    unknown: tuple[str, ...]


@dataclass(frozen=True)
class VariableResult:
    """A station's word on one variable it was asked to read or set: its status, and the value read."""

    component: str
    variable: str
    status: str
    value: str | None = None

    @property
    def agreed(self) -> bool:
        return self.status in AGREED


# --- the commands -----------------------------------------------------------------------


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class Command:
    """One thing a charger can be asked to do. `name` (snake_case) names it in messages;
    `while_pending` lists the OCPP versions whose spec lets a Pending station take it."""

    name: ClassVar[str] = ""
    while_pending: ClassVar[frozenset[str]] = frozenset()
    by_name: ClassVar[dict[str, type["Command"]]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.name = _snake(cls.__name__)
        Command.by_name[cls.__name__] = cls

    @property
    def reregisters(self) -> bool:
        """It asks the station to register again, which a station in any state may be asked."""
        return False

    def read(self, data: dict) -> Any:
        """What the answer teaches, as a plain value; None for commands whose answer is only a status."""
        return None

    def to_wire(self) -> dict:
        """The command as plain JSON values, for the channel layer (see `from_wire`)."""
        return {"command": type(self).__name__, "params": _plain(self)}


@dataclass(frozen=True)
class RemoteStart(Command):
    """Ask the station to start a session. Accepted only means it agreed: the session exists
    once the station reports its start. The token goes with its own type (2.0.1)."""

    id_tag: str
    id_token_type: str
    evse_number: int | None = None
    profile: ChargingProfile | None = None
    request_id: int = field(default_factory=new_request_id)


@dataclass(frozen=True)
class RemoteStop(Command):
    transaction_id: int
    transaction_uid: str | None = None


@dataclass(frozen=True)
class Reset(Command):
    """The station, or one EVSE of it (2.0.1 only; 1.6 resets whole stations)."""

    hard: bool = False
    evse_number: int | None = None


@dataclass(frozen=True)
class UnlockConnector(Command):
    evse_number: int
    connector_id: int = 1


@dataclass(frozen=True)
class ChangeAvailability(Command):
    """evse_number 0 is the whole station; with connector_id, only that connector of the EVSE."""

    evse_number: int
    operative: bool
    connector_id: int | None = None


@dataclass(frozen=True)
class GetConfiguration(Command):
    """OCPP 1.6: read configuration keys (all of them when none are named)."""

    while_pending: ClassVar = frozenset({"1.6"})
    keys: tuple[str, ...] = ()

    def read(self, data: dict) -> ConfigurationRead:
        return ConfigurationRead(
            keys=tuple(
                ConfigurationValue(key=k["key"], value=k.get("value"), readonly=bool(k.get("readonly")))
                for k in data.get("configuration_key", [])
            ),
            unknown=tuple(data.get("unknown_key", [])),
        )


@dataclass(frozen=True)
class ChangeConfiguration(Command):
    """OCPP 1.6: set one configuration key."""

    while_pending: ClassVar = frozenset({"1.6"})
    key: str
    value: str


@dataclass(frozen=True)
class GetVariables(Command):
    """OCPP 2.0.1: read variables of the device model."""

    while_pending: ClassVar = frozenset({"2.0.1"})
    variables: tuple[Variable, ...]

    def read(self, data: dict) -> tuple[VariableResult, ...]:
        return tuple(
            VariableResult(
                component=r["component"]["name"],
                variable=r["variable"]["name"],
                status=r.get("attribute_status", ""),
                value=r.get("attribute_value"),
            )
            for r in data.get("get_variable_result", [])
        )


@dataclass(frozen=True)
class SetVariables(Command):
    """OCPP 2.0.1: set variables of the device model; each is answered on its own."""

    while_pending: ClassVar = frozenset({"2.0.1"})
    values: tuple[VariableValue, ...]

    def read(self, data: dict) -> tuple[VariableResult, ...]:
        return tuple(
            VariableResult(
                component=r["component"]["name"], variable=r["variable"]["name"], status=r.get("attribute_status", "")
            )
            for r in data.get("set_variable_result", [])
        )


@dataclass(frozen=True)
class GetBaseReport(Command):
    """OCPP 2.0.1: ask for (part of) the device model; it arrives in NotifyReport messages."""

    while_pending: ClassVar = frozenset({"2.0.1"})
    report: str = "FullInventory"
    request_id: int = field(default_factory=new_request_id)


@dataclass(frozen=True)
class ClearCache(Command):
    pass


@dataclass(frozen=True)
class TriggerMessage(Command):
    """Ask the station to send a message now (BootNotification, StatusNotification, MeterValues, ...)."""

    while_pending: ClassVar = frozenset({"1.6", "2.0.1"})
    message: str
    evse_number: int | None = None

    @property
    def reregisters(self) -> bool:
        return self.message == "BootNotification"


@dataclass(frozen=True)
class UpdateFirmware(Command):
    location: str
    retrieve_at: datetime
    retries: int | None = None
    retry_interval: int | None = None
    request_id: int = field(default_factory=new_request_id)


@dataclass(frozen=True)
class GetDiagnostics(Command):
    """Ask the station to upload its diagnostics (1.6 GetDiagnostics, 2.0.1 GetLog)."""

    location: str
    start: datetime | None = None
    stop: datetime | None = None
    request_id: int = field(default_factory=new_request_id)


@dataclass(frozen=True)
class DataTransfer(Command):
    vendor_id: str
    message_id: str | None = None
    data: str | None = None


@dataclass(frozen=True)
class SetChargingProfile(Command):
    evse_number: int
    profile: ChargingProfile


@dataclass(frozen=True)
class ClearChargingProfile(Command):
    """Clears the profiles that match every field given; with none given, every profile."""

    profile_id: int | None = None
    evse_number: int | None = None
    purpose: str | None = None
    stack_level: int | None = None


@dataclass(frozen=True)
class GetCompositeSchedule(Command):
    """The schedule the EVSE will follow for the next `duration_s` seconds."""

    evse_number: int
    duration_s: int
    rate_unit: str | None = None

    def read(self, data: dict) -> dict | None:
        """The schedule as the station sent it (snake_case), kept for operators to read."""
        return data.get("charging_schedule")


@dataclass(frozen=True)
class ReserveNow(Command):
    evse_number: int
    id_tag: str
    id_token_type: str
    expires_at: datetime
    reservation_id: int


@dataclass(frozen=True)
class CancelReservation(Command):
    reservation_id: int


@dataclass(frozen=True)
class SendLocalList(Command):
    """Replace the station's local authorization list (full), or change some entries of it."""

    version: int
    entries: tuple[LocalListEntry, ...]
    full: bool = True

    def __post_init__(self):
        if self.full and any(entry.status is None for entry in self.entries):
            raise CommandInvalid("not sent, a full local list gives every entry a status")


@dataclass(frozen=True)
class GetLocalListVersion(Command):
    def read(self, data: dict) -> int | None:
        """The version, or None when the station keeps no local list (1.6 answers -1)."""
        version = data.get("list_version", data.get("version_number"))
        return None if version == -1 else version


# --- sending ------------------------------------------------------------------------------


def command(func):
    """Give an async command (or a domain service that sends one) a `.sync` twin for callers
    without an event loop (views, Celery tasks, the admin)."""
    func.sync = functools.wraps(func)(async_to_sync(func))
    return func


@command
async def send(station_id: int, command: Command) -> Answer:
    """Carry `command` to the station and return its answer; a `CommandError` unless it agreed."""
    reply = await gateway.dispatch(station_id=station_id, command=command)
    return Answer(action=reply.action, status=reply.status, data=reply.data, result=command.read(reply.data))


# --- the wire: a command as plain JSON values, for the channel layer ------------------------


def _plain(value):
    if is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def from_wire(name: str, params: dict) -> Command:
    """The command a `to_wire` message stands for; KeyError for a command this process does not know."""
    return _typed(Command.by_name[name], params)


def _typed(kind, value):
    if value is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        [kind] = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        return _typed(kind, value)
    if origin in (list, tuple):
        item = typing.get_args(kind)[0]
        return origin(_typed(item, v) for v in value)
    if is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        return kind(**{name: _typed(hints[name], v) for name, v in value.items()})
    if kind is datetime:
        return parse_datetime(value)
    return value


# --- each OCPP version's builders, registered on the command types -------------------------


Builder = Callable[[Any], Any]  # a command → the version's CALL payload dataclass


class Builders:
    """One OCPP version's builders, by the command type each builds: `@builders(Reset)`.

    `complete()` ends the version's module: every command type has a builder there, or is
    declared not supported by that version, or the module fails to import.
    """

    def __init__(self, ocpp_version: str):
        self.ocpp_version = ocpp_version
        self._builders: dict[type[Command], Builder] = {}

    def __call__(self, kind: type[Command]) -> Callable[[Builder], Builder]:
        if not (isinstance(kind, type) and issubclass(kind, Command) and kind is not Command):
            raise TypeError(f"OCPP {self.ocpp_version}: {kind!r} is not a command type")

        def register(build: Builder) -> Builder:
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
