"""OCPP-J framing: turning WebSocket text into CALL / CALLRESULT / CALLERROR and back.

The `ocpp` package drops a frame it cannot parse without answering; OCPP-J
wants a CALLERROR whenever the message id can be recovered, so framing is
ours.
"""

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from csms.columns import storable_json
from csms.ocpp.errors import Fault

CALL, CALLRESULT, CALLERROR = 2, 3, 4

# The message type and id at the start of a frame, even when the rest is broken.
_HEAD = re.compile(r'^\s*\[\s*(\d+)\s*,\s*"((?:[^"\\]|\\.){1,128})"')
# Escapes that decode to what no database holds (NUL, a surrogate): only a frame that has
# one needs its strings made storable (a raw NUL or surrogate is not valid JSON text).
_UNSTORABLE_ESCAPE = re.compile(r"\\u(?:0000|[dD][89abcdefABCDEF])")


@dataclass(frozen=True)
class Frame:
    message_type: int
    unique_id: str
    action: str = ""
    payload: Any = field(default_factory=dict)
    error_code: str = ""
    error_description: str = ""


class FrameRefused(Exception):
    """A frame that is not valid OCPP-J. `unique_id` is set when it could be recovered."""

    def __init__(self, fault: Fault, description: str, *, message_type: int | None, unique_id: str | None):
        super().__init__(description)
        self.fault = fault
        self.description = description
        self.message_type = message_type
        self.unique_id = unique_id

    @property
    def deserves_answer(self) -> bool:
        """A CALLERROR answers a CALL; a broken CALLRESULT or CALLERROR is only logged."""
        return self.unique_id is not None and self.message_type not in (CALLRESULT, CALLERROR)


def recover_head(text: str) -> tuple[int | None, str | None]:
    """The message type and id of a frame too broken (or too big) to parse whole."""
    match = _HEAD.match(text)
    if not match:
        return None, None
    try:
        unique_id = json.loads(f'"{match.group(2)}"')
    except ValueError:  # an id that is not a valid JSON string cannot be echoed back
        unique_id = None
    return int(match.group(1)), unique_id


class _Unrepresentable(ValueError):
    """A number the frame spells that no JSON value or column can be: NaN, Infinity, 1e400."""

    def __init__(self, fault: Fault, description: str):
        super().__init__(description)
        self.fault = fault


def _constant(name: str):
    """Python's json reads NaN and ±Infinity; JSON (RFC 8259) has no such values."""
    raise _Unrepresentable(Fault.FORMAT, f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _Unrepresentable(Fault.PROPERTY, f"Number {text[:40]} is beyond what can be represented")
    return value


def parse_frame(text: str) -> Frame:
    """The frame `text` spells; every string in it storable, except the unique id, which is
    echoed back exactly as the charger sent it."""
    try:
        message = json.loads(text, parse_constant=_constant, parse_float=_finite)
    except _Unrepresentable as error:
        message_type, unique_id = recover_head(text)
        raise FrameRefused(error.fault, str(error), message_type=message_type, unique_id=unique_id)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
        message_type, unique_id = recover_head(text)
        raise FrameRefused(Fault.FORMAT, "Frame is not valid JSON", message_type=message_type, unique_id=unique_id)
    if not isinstance(message, list) or not message:
        raise FrameRefused(Fault.RPC_FRAMEWORK, "Frame is not a JSON array", message_type=None, unique_id=None)
    message_type = message[0]
    unique_id = message[1] if len(message) > 1 and isinstance(message[1], str) else None
    if not isinstance(message_type, int) or isinstance(message_type, bool):
        raise FrameRefused(Fault.RPC_FRAMEWORK, "MessageTypeId is not a number", message_type=None, unique_id=unique_id)
    if unique_id is None:
        raise FrameRefused(
            Fault.RPC_FRAMEWORK, "MessageId is missing or not a string", message_type=message_type, unique_id=None
        )
    if _UNSTORABLE_ESCAPE.search(text):
        message = message[:2] + storable_json(message[2:])
    if message_type == CALL:
        return _call(message, unique_id)
    if message_type == CALLRESULT:
        return _call_result(message, unique_id)
    if message_type == CALLERROR:
        return _call_error(message, unique_id)
    raise FrameRefused(
        Fault.MESSAGE_TYPE,
        f"MessageTypeId {message_type} is not supported",
        message_type=message_type,
        unique_id=unique_id,
    )


def _refuse(fault: Fault, description: str, message_type: int, unique_id: str) -> FrameRefused:
    return FrameRefused(fault, description, message_type=message_type, unique_id=unique_id)


def _call(message: list, unique_id: str) -> Frame:
    if len(message) != 4:
        raise _refuse(Fault.RPC_FRAMEWORK, "A CALL has 4 elements", CALL, unique_id)
    _, _, action, payload = message
    if not isinstance(action, str) or not action:
        raise _refuse(Fault.RPC_FRAMEWORK, "Action is not a string", CALL, unique_id)
    if not isinstance(payload, dict):
        raise _refuse(Fault.FORMAT, "Payload is not a JSON object", CALL, unique_id)
    return Frame(CALL, unique_id, action=action, payload=payload)


def _call_result(message: list, unique_id: str) -> Frame:
    if len(message) != 3 or not isinstance(message[2], dict):
        raise _refuse(Fault.RPC_FRAMEWORK, "A CALLRESULT has 3 elements and an object payload", CALLRESULT, unique_id)
    return Frame(CALLRESULT, unique_id, payload=message[2])


def _call_error(message: list, unique_id: str) -> Frame:
    if len(message) != 5 or not isinstance(message[2], str) or not isinstance(message[3], str):
        raise _refuse(Fault.RPC_FRAMEWORK, "A CALLERROR has 5 elements", CALLERROR, unique_id)
    details = message[4] if isinstance(message[4], dict) else {}
    return Frame(CALLERROR, unique_id, payload=details, error_code=message[2], error_description=message[3])


def dumps(message: list) -> str:
    return json.dumps(message, separators=(",", ":"), default=str)


def call_result(unique_id: str, payload: dict) -> str:
    return dumps([CALLRESULT, unique_id, payload])


def call_error(unique_id: str, code: str, description: str, details: dict | None = None) -> str:
    return dumps([CALLERROR, unique_id, code, description[:255], details or {}])
