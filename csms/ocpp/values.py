"""Reading fields out of OCPP payloads into plain Python values.

Strict stations never get here with a wrong type (the schema check refuses
the frame first); lenient stations do, so numbers sent as strings are read
as numbers. A value that cannot be read is a PropertyConstraintViolation.
"""

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from django.utils.dateparse import parse_datetime

from csms.ocpp.errors import CallRefused, Fault

INT32_MAX, INT64_MAX = 2**31 - 1, 2**63 - 1  # what integer and bigint columns hold


def to_int(value, name: str, minimum: int | None = None, maximum: int = INT64_MAX) -> int:
    """An integer, read exactly: through Decimal, never float, which rounds past 2**53 (a meter
    register of 9007199254740993 Wh stays itself). 1234, 1234.0, "1234" and "1234.0" are 1234.
    Without a minimum, the column's own lower bound (-maximum - 1) holds: a schema that leaves a
    number unbounded must not reach the database as an out-of-range error."""
    if minimum is None:
        minimum = -maximum - 1
    try:
        number = Decimal(value if isinstance(value, int) else str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        raise CallRefused(Fault.PROPERTY, f"{name} is not a number: {value!r}")
    if not number.is_finite():
        raise CallRefused(Fault.PROPERTY, f"{name} is not a number: {value!r}")
    if number != number.to_integral_value():
        raise CallRefused(Fault.PROPERTY, f"{name} is not an integer: {value!r}")
    if number < minimum:
        raise CallRefused(Fault.PROPERTY, f"{name} must be at least {minimum}: {value!r}")
    if number > maximum:
        raise CallRefused(Fault.PROPERTY, f"{name} must be at most {maximum}: {value!r}")
    return int(number)


def to_optional_int(value, name: str, minimum: int | None = None, maximum: int = INT64_MAX) -> int | None:
    return None if value is None else to_int(value, name, minimum, maximum)


def to_reservation_id(value, name: str = "reservationId") -> int | None:
    """The reservation a transaction or update names, or None where it names one we cannot have
    issued (our ids are 1..INT32_MAX): the transaction is kept untied, never refused for it."""
    number = to_optional_int(value, name)
    return number if number is not None and 0 < number <= INT32_MAX else None


def to_datetime(value, name: str) -> datetime:
    """An aware UTC datetime; a timestamp without offset is taken as UTC."""
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:  # well formed, but no such date (month 13)
        parsed = None
    if parsed is None:
        raise CallRefused(Fault.PROPERTY, f"{name} is not a date-time: {value!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def to_str(value, default: str = "") -> str:
    return default if value is None else str(value)


def iso(moment: datetime | None) -> str | None:
    """The UTC ISO 8601 form OCPP expects, with a Z."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
