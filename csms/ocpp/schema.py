"""Checking a CALL's payload against the official OCPP JSON schemas.

The schemas ship with the `ocpp` package; the mapping from a schema error
to a CALLERROR code is ours, so each version gets the codes its spec names.
"""

from jsonschema.exceptions import best_match
from ocpp.charge_point import remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.exceptions import OCPPError
from ocpp.messages import Call, get_validator, validate_payload

from csms.ocpp.errors import CallRefused, Fault

_FAULT_BY_KEYWORD = {
    "required": Fault.OCCURRENCE,
    "minItems": Fault.OCCURRENCE,
    "maxItems": Fault.OCCURRENCE,
    "type": Fault.TYPE,
    "maxLength": Fault.TYPE,
    "minLength": Fault.TYPE,
    "additionalProperties": Fault.FORMAT,
}

# What a lenient station may bend: types, values and extra fields. A missing
# required field is never tolerated: there is nothing to act on.
TOLERABLE = frozenset({Fault.TYPE, Fault.PROPERTY, Fault.FORMAT})


def check_payload(action: str, payload: dict, ocpp_version: str) -> list[CallRefused]:
    """Every schema violation in a CALL payload, the most relevant first; empty if it conforms."""
    validator = get_validator(2, action, ocpp_version)
    errors = list(validator.iter_errors(payload))
    if not errors:
        return []
    first = best_match(errors)
    errors.sort(key=lambda error: error is not first)
    return [_refusal(action, error) for error in errors]


def _refusal(action: str, error) -> CallRefused:
    where = "/".join(str(p) for p in error.absolute_path) or "payload"
    fault = _FAULT_BY_KEYWORD.get(error.validator, Fault.PROPERTY)
    return CallRefused(fault, f"{action}: {where}: {error.message}"[:255], {"path": where})


async def request_problem(payload, ocpp_version: str) -> str | None:
    """Why a CALL we are about to send breaks its schema (e.g. an id tag too long for 1.6), or None.

    Checked before sending with the `ocpp` package's own validation (the one its
    `call()` runs), so a refusal of our own is never reported as the charger's answer.
    """
    action = type(payload).__name__
    body = snake_to_camel_case(remove_nones(serialize_as_dict(payload)))
    try:
        await validate_payload(Call("not-sent", action, body), ocpp_version)
    except OCPPError as error:
        return f"{action}: {error.details.get('cause', error.description)}"[:255]
    return None
