"""How a command to a charger ended: one enum shared by the engine, the consumer and the gateway.

The engine that holds the socket describes each command's end as an
`Outcome` on the reply channel; the gateway turns every outcome but
ACCEPTED into the `CommandError` subclass that stands for it, so callers
catch typed failures and never compare strings.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    ACCEPTED = "accepted"  # the charger answered, and agreed (or its answer has no status)
    REJECTED = "rejected"  # it answered, and said no (Rejected, Occupied, NotSupported...)
    CALL_ERROR = "call_error"  # it answered with a CALLERROR
    TIMEOUT = "timeout"  # no answer in time
    NOT_CONNECTED = "not_connected"  # no socket, or it closed before the answer
    NOT_ACCEPTED = "not_accepted"  # connected, but its registration does not let it take this command
    NOT_SUPPORTED = "not_supported"  # the station's OCPP version has no such operation
    INVALID = "invalid"  # the CALL would break the version's schema: not sent
    FAILED = "failed"  # the consumer itself failed (a bug): see the server log


# Statuses that mean the charger will do (or did) what was asked.
AGREED = frozenset({"Accepted", "Unlocked", "Scheduled", "RebootRequired"})


@dataclass(frozen=True)
class Answer:
    """What the charger answered: the CALL's action, its status (if the answer has one), the
    other fields (snake_case, as the `ocpp` package reads them) and, for commands whose answer
    teaches us something, that as a typed value (see each command's `read`)."""

    action: str
    status: str | None
    data: dict
    result: Any = None


class CommandError(Exception):
    """A command did not get the charger to do what was asked."""

    outcome = Outcome.FAILED


class StationNotConnected(CommandError):
    outcome = Outcome.NOT_CONNECTED

    def __init__(self, charge_point_id: str, why: str = "is not connected"):
        super().__init__(f"{charge_point_id} {why}")


class StationNotAccepted(CommandError):
    """The station is connected but not (yet) Accepted, and this command is not one a
    Pending/unbooted station takes: nothing was sent (it would answer SecurityError)."""

    outcome = Outcome.NOT_ACCEPTED

    def __init__(self, charge_point_id: str, action: str, why: str):
        super().__init__(f"{charge_point_id} {why}: {action} was not sent")
        self.action = action
        self.why = why


class CommandTimeout(CommandError):
    outcome = Outcome.TIMEOUT

    def __init__(self, charge_point_id: str, action: str, seconds: float):
        super().__init__(f"{charge_point_id} did not answer {action} within {seconds:g}s")


class CommandRejected(CommandError):
    """The charger answered, and said no (Rejected, NotSupported, Occupied...)."""

    outcome = Outcome.REJECTED

    def __init__(self, charge_point_id: str, action: str, status: str, data: dict):
        super().__init__(f"{charge_point_id} answered {action} with {status}")
        self.status = status
        self.data = data


class CommandCallError(CommandError):
    """The charger answered with a CALLERROR."""

    outcome = Outcome.CALL_ERROR

    def __init__(self, charge_point_id: str, action: str, code: str, description: str):
        super().__init__(f"{charge_point_id} answered {action} with CALLERROR {code}: {description}")
        self.code = code
        self.description = description


class CommandInvalid(CommandError):
    """The command would break the station's OCPP schema (an id tag too long for 1.6...); nothing was sent."""

    outcome = Outcome.INVALID


class CommandNotSupported(CommandError):
    """The station's OCPP version has no such operation (e.g. GetConfiguration on 2.0.1)."""

    outcome = Outcome.NOT_SUPPORTED


def failure(charge_point_id: str, reply: dict) -> CommandError:
    """The typed failure a reply (any outcome but ACCEPTED) stands for."""
    outcome, action = Outcome(reply["outcome"]), reply["action"]
    match outcome:
        case Outcome.REJECTED:
            return CommandRejected(charge_point_id, action, reply["status"], reply["data"])
        case Outcome.NOT_CONNECTED:
            return StationNotConnected(charge_point_id, f"disconnected before answering {action}")
        case Outcome.TIMEOUT:
            return CommandTimeout(charge_point_id, action, reply["seconds"])
        case Outcome.CALL_ERROR:
            return CommandCallError(charge_point_id, action, reply["code"], reply["description"])
        case Outcome.NOT_ACCEPTED:
            return StationNotAccepted(charge_point_id, action, reply["why"])
        case Outcome.INVALID:
            return CommandInvalid(f"{charge_point_id}: not sent, {reply['description']}")
        case Outcome.NOT_SUPPORTED:
            return CommandNotSupported(f"{action} is not an operation of OCPP {reply['version']}")
    return CommandError(f"{charge_point_id}: {reply.get('description', outcome)}")
