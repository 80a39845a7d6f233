"""The OCPI response envelope: every answer of ours, success or error, has this shape."""

from datetime import UTC, datetime
from typing import Any

from django.http import JsonResponse

SUCCESS = 1000
CLIENT_ERROR = 2000
INVALID_PARAMETERS = 2001
SERVER_ERROR = 3000
UNABLE_TO_USE_CLIENT_API = 3001
UNSUPPORTED_VERSION = 3002
MISSING_ENDPOINTS = 3003


def ocpi_timestamp(moment: datetime | None = None) -> str:
    """OCPI DateTime: UTC, seconds, a "Z"."""
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ocpi_response(
    data: Any, status_code: int = SUCCESS, status_message: str = "Success", http_status: int = 200
) -> JsonResponse:
    body = {"data": data, "status_code": status_code, "status_message": status_message, "timestamp": ocpi_timestamp()}
    return JsonResponse(body, status=http_status, json_dumps_params={"ensure_ascii": False})


class OcpiError(Exception):
    """A refusal a view raises; roaming.auth turns it into the envelope with its codes."""

    def __init__(self, status_code: int, message: str, http_status: int = 200) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.http_status = http_status

    def response(self) -> JsonResponse:
        return ocpi_response(None, self.status_code, self.message, self.http_status)
