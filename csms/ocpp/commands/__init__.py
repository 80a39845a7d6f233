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

The package, by concept: operations.py (the commands and the values they carry),
reads.py (what answers teach), builders.py (each OCPP version's builders),
sending.py (`send`, `@command`); the `Command` base and its wire form stand in
csms/ocpp/command.py, the failures and `Answer` in outcome.py. `__all__` below is
the port's interface: callers import from `csms.ocpp.commands`, not its modules.
"""

from csms.ocpp.command import Command, from_wire
from csms.ocpp.commands.builders import Builder, Builders, NotExpressible, Payload
from csms.ocpp.commands.operations import (
    CancelReservation,
    ChangeAvailability,
    ChangeConfiguration,
    ChargingProfile,
    ClearCache,
    ClearChargingProfile,
    DataTransfer,
    GetBaseReport,
    GetCompositeSchedule,
    GetConfiguration,
    GetDiagnostics,
    GetLocalListVersion,
    GetVariables,
    LocalListEntry,
    RemoteStart,
    RemoteStop,
    ReserveNow,
    Reset,
    SchedulePeriod,
    SendLocalList,
    SetChargingProfile,
    SetVariables,
    TriggerMessage,
    UnlockConnector,
    UpdateFirmware,
    Variable,
    VariableValue,
)
from csms.ocpp.commands.reads import ConfigurationRead, ConfigurationValue, VariableResult
from csms.ocpp.commands.sending import command, send
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
    # sending, and the answer
    "send",
    "command",
    "Answer",
    "AGREED",
    "Outcome",
    # the failures
    "CommandError",
    "CommandCallError",
    "CommandInvalid",
    "CommandNotSupported",
    "CommandRejected",
    "CommandTimeout",
    "StationNotAccepted",
    "StationNotConnected",
    # the commands
    "Command",
    "CancelReservation",
    "ChangeAvailability",
    "ChangeConfiguration",
    "ClearCache",
    "ClearChargingProfile",
    "DataTransfer",
    "GetBaseReport",
    "GetCompositeSchedule",
    "GetConfiguration",
    "GetDiagnostics",
    "GetLocalListVersion",
    "GetVariables",
    "RemoteStart",
    "RemoteStop",
    "ReserveNow",
    "Reset",
    "SendLocalList",
    "SetChargingProfile",
    "SetVariables",
    "TriggerMessage",
    "UnlockConnector",
    "UpdateFirmware",
    # the values commands carry
    "ChargingProfile",
    "LocalListEntry",
    "SchedulePeriod",
    "Variable",
    "VariableValue",
    # what answers teach
    "ConfigurationRead",
    "ConfigurationValue",
    "VariableResult",
    # for the engine and each OCPP version's builders
    "Builder",
    "Builders",
    "NotExpressible",
    "Payload",
    "from_wire",
]
