"""Checking a CALL's payload against the official OCPP JSON schemas.

The schemas ship with the `ocpp` package; the mapping from a schema error
to a CALLERROR code is ours, so each version gets the codes its spec names.
"""
from jsonschema.exceptions import best_match
from ocpp.messages import get_validator

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
