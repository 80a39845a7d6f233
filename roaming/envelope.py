"""The OCPI response envelope: every answer of ours, success or error, has this shape."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import JsonResponse

SUCCESS = 1000
CLIENT_ERROR = 2000
INVALID_PARAMETERS = 2001
UNKNOWN_LOCATION = 2003
SERVER_ERROR = 3000
UNABLE_TO_USE_CLIENT_API = 3001
UNSUPPORTED_VERSION = 3002
MISSING_ENDPOINTS = 3003


def ocpi_timestamp(moment: datetime | None = None) -> str:
    """OCPI DateTime: UTC, seconds, a "Z"."""
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# A double holds every decimal of up to 15 significant digits exactly enough that Python's shortest
# float repr gives back those very digits; our money has 12 digits (4 decimals), VAT and limits fewer.
_EXACT_DIGITS = 15


class OcpiJSONEncoder(DjangoJSONEncoder):
    """Decimal as a JSON number, as OCPI's `number` fields want (Django's encoder would send a string).

    json can only write a float's repr for a number, so a Decimal goes out as an int when integral, else as
    the float whose repr is its digits (trailing zeros dropped: 0.2500 → 0.25); one with more digits than
    a double keeps is refused rather than sent rounded.
    """

    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            if not o.is_finite():
                raise ValueError(f"OCPI has no number for {o}")
            if o == o.to_integral_value():
                return int(o)
            if len(o.normalize().as_tuple().digits) > _EXACT_DIGITS:
                raise ValueError(f"{o} has more digits than a JSON number carries exactly")
            return float(o)
        return super().default(o)


def ocpi_response(
    data: Any, status_code: int = SUCCESS, status_message: str = "Success", http_status: int = 200
) -> JsonResponse:
    body = {"data": data, "status_code": status_code, "status_message": status_message, "timestamp": ocpi_timestamp()}
    return JsonResponse(body, encoder=OcpiJSONEncoder, status=http_status, json_dumps_params={"ensure_ascii": False})


class OcpiError(Exception):
    """A refusal a view raises; roaming.auth turns it into the envelope with its codes (and `data`, for
    the refusals the spec answers with an object, like a command's unknown location)."""

    def __init__(self, status_code: int, message: str, http_status: int = 200, data: Any = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.http_status = http_status
        self.data = data

    @classmethod
    def only_get(cls, method: str | None) -> None:
        """A sender module's objects are read-only for partners: anything but GET is refused with 405."""
        if method != "GET":
            raise cls(CLIENT_ERROR, f"{method} is not a method of this endpoint", http_status=405)

    def response(self) -> JsonResponse:
        return ocpi_response(self.data, self.status_code, self.message, self.http_status)
