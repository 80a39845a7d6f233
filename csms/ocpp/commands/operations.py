"""The commands: one frozen dataclass per operation a charger can be asked to do, and the
plain values they carry (a charging profile, a device-model variable, a local-list entry).

Each registers itself with `Command` (csms/ocpp/command.py) by its class name; each OCPP
version's builder of it is registered on the class (builders.py).
"""

import itertools
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from csms.ocpp.command import Command
from csms.ocpp.commands.reads import ConfigurationRead, ConfigurationValue, VariableResult
from csms.ocpp.outcome import CommandInvalid

# Request ids (2.0.1 remoteStartId, requestId) the station echoes in its follow-up messages.
_request_ids = itertools.count(int(time.time()) % 1_000_000 * 1000)


def new_request_id() -> int:
    return next(_request_ids) % 2**31


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


# --- the commands -----------------------------------------------------------------------


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
    connector_number: int = 1


@dataclass(frozen=True)
class ChangeAvailability(Command):
    """evse_number 0 is the whole station; with connector_number, only that connector of the EVSE."""

    evse_number: int
    operative: bool
    connector_number: int | None = None


@dataclass(frozen=True)
class GetConfiguration(Command):
    """OCPP 1.6: read configuration keys (all of them when none are named)."""

    while_pending: ClassVar[frozenset[str]] = frozenset({"1.6"})
    keys: tuple[str, ...] = ()

    def read(self, data: dict[str, Any]) -> ConfigurationRead:
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

    while_pending: ClassVar[frozenset[str]] = frozenset({"1.6"})
    key: str
    value: str


@dataclass(frozen=True)
class GetVariables(Command):
    """OCPP 2.0.1: read variables of the device model."""

    while_pending: ClassVar[frozenset[str]] = frozenset({"2.0.1"})
    variables: tuple[Variable, ...]

    def read(self, data: dict[str, Any]) -> tuple[VariableResult, ...]:
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

    while_pending: ClassVar[frozenset[str]] = frozenset({"2.0.1"})
    values: tuple[VariableValue, ...]

    def read(self, data: dict[str, Any]) -> tuple[VariableResult, ...]:
        return tuple(
            VariableResult(
                component=r["component"]["name"], variable=r["variable"]["name"], status=r.get("attribute_status", "")
            )
            for r in data.get("set_variable_result", [])
        )


@dataclass(frozen=True)
class GetBaseReport(Command):
    """OCPP 2.0.1: ask for (part of) the device model; it arrives in NotifyReport messages."""

    while_pending: ClassVar[frozenset[str]] = frozenset({"2.0.1"})
    report: str = "FullInventory"
    request_id: int = field(default_factory=new_request_id)


@dataclass(frozen=True)
class ClearCache(Command):
    pass


@dataclass(frozen=True)
class TriggerMessage(Command):
    """Ask the station to send a message now (BootNotification, StatusNotification, MeterValues, ...)."""

    while_pending: ClassVar[frozenset[str]] = frozenset({"1.6", "2.0.1"})
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

    def read(self, data: dict[str, Any]) -> dict[str, Any] | None:
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
    # True for a list drawn from every token that may charge: an entry this station's protocol cannot
    # hold (a 2.0.1 or roaming uid over 1.6's 20 characters) is left off instead of the list refused.
    leave_out_unpresentable: bool = False

    def __post_init__(self) -> None:
        if self.full and any(entry.status is None for entry in self.entries):
            raise CommandInvalid("not sent, a full local list gives every entry a status")


@dataclass(frozen=True)
class GetLocalListVersion(Command):
    def read(self, data: dict[str, Any]) -> int | None:
        """The version, or None when the station keeps no local list (1.6 answers -1)."""
        version = data.get("list_version", data.get("version_number"))
        return None if version == -1 else version
