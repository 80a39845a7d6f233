"""OCPI 2.2.1 command requests (mod_commands.asciidoc) read into plain values, and the answers we send.

A request missing a field, with one too long or of the wrong type, is the partner's error (2001, HTTP 400)
with a message naming the field; whether the command can be carried out is roaming.services.commands'.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from roaming.envelope import INVALID_PARAMETERS, OcpiError
from roaming.mapping import tokens as token_mapping
from sessions.id_tokens import IssuedToken

START_SESSION = "START_SESSION"
STOP_SESSION = "STOP_SESSION"
RESERVE_NOW = "RESERVE_NOW"
CANCEL_RESERVATION = "CANCEL_RESERVATION"
UNLOCK_CONNECTOR = "UNLOCK_CONNECTOR"

# Each command's fields besides response_url: (required, optional) CiString(36) fields; "token" and
# "expiry_date" are read on their own.
_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    START_SESSION: (("location_id",), ("evse_uid", "connector_id", "authorization_reference")),
    STOP_SESSION: (("session_id",), ()),
    RESERVE_NOW: (("reservation_id", "location_id"), ("evse_uid", "authorization_reference")),
    CANCEL_RESERVATION: (("reservation_id",), ()),
    UNLOCK_CONNECTOR: (("location_id", "evse_uid", "connector_id"), ()),
}
COMMANDS = tuple(_FIELDS)
_WITH_TOKEN = {START_SESSION, RESERVE_NOW}


@dataclass(frozen=True)
class CommandRequest:
    command: str
    response_url: str
    location_id: str = ""
    evse_uid: str = ""
    connector_id: str = ""
    session_id: str = ""
    reservation_id: str = ""
    authorization_reference: str = ""
    token: IssuedToken | None = None
    token_object: dict[str, Any] | None = None
    expires_at: datetime | None = None


def invalid(message: str) -> OcpiError:
    return OcpiError(INVALID_PARAMETERS, message, http_status=400)


def cistring(body: dict[str, Any], name: str, *, required: bool, max_length: int = 36) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value or len(value) > max_length or not value.isascii():
        raise invalid(f"{name} must be a string of 1 to {max_length} ASCII characters")
    return value


def response_url(body: dict[str, Any], name: str = "response_url") -> str:
    value = body.get(name)
    if not isinstance(value, str) or len(value) > 255 or not value.startswith(("http://", "https://")):
        raise invalid(f"{name} must be an http(s) URL of at most 255 characters")
    return value


def command_request(command: str, body: dict[str, Any]) -> CommandRequest:
    """The request of one of COMMANDS, checked field by field."""
    required, optional = _FIELDS[command]
    fields = {name: cistring(body, name, required=True) for name in required}
    fields |= {name: cistring(body, name, required=False) for name in optional}
    if fields.get("connector_id") and not fields.get("evse_uid"):
        raise invalid("connector_id needs evse_uid")
    token, token_object, expires_at = None, None, None
    if command in _WITH_TOKEN:
        token_object = body.get("token")
        if not isinstance(token_object, dict):
            raise invalid("token must be a Token object")
        token = token_mapping.issued_token(token_object)
    if command == RESERVE_NOW:
        expires_at = token_mapping.parse_datetime(body.get("expiry_date"), "expiry_date")
    return CommandRequest(
        command=command,
        response_url=response_url(body),
        token=token,
        token_object=token_object,
        expires_at=expires_at,
        **fields,
    )


def display_text(message: str) -> list[dict[str, str]]:
    return [{"language": "en", "text": message[:512]}] if message else []


def command_response(result: str, *, timeout: int, message: str = "") -> dict[str, Any]:
    """CommandResponse: our answer at once, before any charger is asked."""
    response: dict[str, Any] = {"result": result, "timeout": timeout}
    if message:
        response["message"] = display_text(message)
    return response


def command_result(result: str, message: str = "") -> dict[str, Any]:
    """CommandResult: what the charger did, POSTed to the partner's response_url."""
    body: dict[str, Any] = {"result": result}
    if message:
        body["message"] = display_text(message)
    return body
