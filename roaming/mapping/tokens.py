"""OCPI 2.2.1 Token objects ↔ the domain's tokens others issued (sessions.id_tokens.IssuedToken, IdTag).

An eMSP's Token becomes an IdTag whose id tag is the uid (what a charger reads: an RFID card's UID) and
whose issuer is the eMSP as "CC*PID". We keep what authorising and showing the token needs;
default_profile_type and energy_contract are checked but not kept (no smart-charging preference or
energy supplier choice uses them yet), so a GET does not return them.
"""

import re
from datetime import UTC, datetime
from typing import Any

from roaming.envelope import INVALID_PARAMETERS, OcpiError
from roaming.mapping.timestamps import ocpi_datetime
from sessions.id_tokens import IssuedToken
from sessions.models import AuthorizationStatus, IdTag, Whitelist

WHITELIST = {
    "ALWAYS": Whitelist.ALWAYS,
    "ALLOWED": Whitelist.ALLOWED,
    "ALLOWED_OFFLINE": Whitelist.ALLOWED_OFFLINE,
    "NEVER": Whitelist.NEVER,
}
TOKEN_TYPE = {
    "RFID": IdTag.TokenType.RFID,
    "APP_USER": IdTag.TokenType.APP,
    "AD_HOC_USER": IdTag.TokenType.AD_HOC,
    "OTHER": IdTag.TokenType.OTHER,
}
PROFILE_TYPES = {"CHEAP", "FAST", "GREEN", "REGULAR"}
# An RFID token is a card a reader reads (most are ISO 14443); the others are vouched for centrally.
_ID_TOKEN_TYPE = {IdTag.TokenType.RFID: IdTag.IdTokenType.ISO14443}
_PRINTABLE_ASCII = re.compile(r"^[\x20-\x7E]*$")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1F\x7F]")


def issuer_party(*, country_code: str, party_id: str) -> str:
    return f"{country_code.upper()}*{party_id.upper()}"


def token_object(tag: IdTag) -> dict[str, Any]:
    """The OCPI Token we hold for a partner's token, as its issuer sent it (less what we do not keep)."""
    country_code, _, party_id = tag.issuer_party.partition("*")
    token: dict[str, Any] = {
        "country_code": country_code,
        "party_id": party_id,
        "uid": tag.id_tag,
        "type": next(ocpi for ocpi, ours in TOKEN_TYPE.items() if ours == tag.token_type),
        "contract_id": tag.contract_id,
        "issuer": tag.issuer_name,
        "valid": tag.valid,
        "whitelist": next(ocpi for ocpi, ours in WHITELIST.items() if ours == tag.whitelist),
        "last_updated": ocpi_datetime(tag.last_updated or tag.created_at),
    }
    optional = {"visual_number": tag.visual_number, "group_id": tag.issuer_group, "language": tag.language}
    token.update({name: value for name, value in optional.items() if value})
    return token


def _invalid(message: str) -> OcpiError:
    return OcpiError(INVALID_PARAMETERS, message, http_status=400)


def _text(data: dict[str, Any], name: str, max_length: int, *, ascii_only: bool, required: bool = True) -> str:
    value = data.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value) or len(value) > max_length:
        raise _invalid(f"{name} must be a string of {'1' if required else '0'} to {max_length} characters")
    if (ascii_only and not _PRINTABLE_ASCII.match(value)) or _CONTROL_CHARACTERS.search(value):
        raise _invalid(f"{name} holds characters OCPI does not allow there")
    return value


def _choice(data: dict[str, Any], name: str, choices: dict[str, Any]) -> Any:
    value = data.get(name)
    if value not in choices:
        raise _invalid(f"{name} must be one of {', '.join(choices)}")
    return choices[value]


def parse_datetime(value: Any, name: str = "last_updated") -> datetime:
    """An OCPI DateTime (UTC; one without a designator is read as UTC)."""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise _invalid(f"{name} must be an RFC 3339 date and time")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _check_unkept(data: dict[str, Any]) -> None:
    profile = data.get("default_profile_type")
    if profile is not None and profile not in PROFILE_TYPES:
        raise _invalid(f"default_profile_type must be one of {', '.join(sorted(PROFILE_TYPES))}")
    contract = data.get("energy_contract")
    if contract is not None:
        if not isinstance(contract, dict):
            raise _invalid("energy_contract must be an object")
        _text(contract, "supplier_name", 64, ascii_only=False)
        _text(contract, "contract_id", 64, ascii_only=False, required=False)


def issued_token(data: dict[str, Any]) -> IssuedToken:
    """A whole OCPI Token as the domain keeps it; a field missing, too long or outside its enum is 2001."""
    country_code = _text(data, "country_code", 2, ascii_only=True)
    party_id = _text(data, "party_id", 3, ascii_only=True)
    token_type = _choice(data, "type", TOKEN_TYPE)
    if not isinstance(data.get("valid"), bool):
        raise _invalid("valid must be true or false")
    _check_unkept(data)
    return IssuedToken(
        issuer_party=issuer_party(country_code=country_code, party_id=party_id),
        id_tag=_text(data, "uid", 36, ascii_only=True),
        token_type=token_type,
        id_token_type=_ID_TOKEN_TYPE.get(token_type, IdTag.IdTokenType.CENTRAL),
        contract_id=_text(data, "contract_id", 36, ascii_only=True),
        issuer_name=_text(data, "issuer", 64, ascii_only=False),
        whitelist=_choice(data, "whitelist", WHITELIST),
        valid=data["valid"],
        last_updated=parse_datetime(data.get("last_updated")),
        visual_number=_text(data, "visual_number", 64, ascii_only=False, required=False),
        issuer_group=_text(data, "group_id", 36, ascii_only=True, required=False),
        language=_text(data, "language", 2, ascii_only=False, required=False),
    )


# What an eMSP's real-time AuthorizationInfo.allowed means for the charger.
ALLOWED = {
    "ALLOWED": AuthorizationStatus.ACCEPTED,
    "BLOCKED": AuthorizationStatus.BLOCKED,
    "EXPIRED": AuthorizationStatus.EXPIRED,
    "NO_CREDIT": AuthorizationStatus.INVALID,
    "NOT_ALLOWED": AuthorizationStatus.INVALID,
}


def location_references(*, location_id: int | None, evse_pk: int | None) -> dict[str, Any] | None:
    """The LocationReferences of a real-time authorization: our location, and the EVSE when known."""
    if location_id is None:
        return None
    references: dict[str, Any] = {"location_id": str(location_id)}
    if evse_pk is not None:
        references["evse_uids"] = [str(evse_pk)]
    return references
