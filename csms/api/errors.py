"""One error shape for the whole API: `{"code", "message", "fields"}`.

`code` is stable and machine-readable (apps switch on it); `message` is for
people; `fields` maps each invalid field to its problems, so a form can put
the message next to the right input.
"""

from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.views import exception_handler as drf_exception_handler


class ApiError(exceptions.APIException):
    """A refusal the domain explains: raise with a stable code and a message."""

    status_code = status.HTTP_409_CONFLICT

    def __init__(self, code: str, message: str, *, status_code: int | None = None):
        super().__init__(detail=message, code=code)
        self.error_code = code
        if status_code is not None:
            self.status_code = status_code


class FieldErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="Stable, machine-readable: validation_error, not_found, station_offline, ..."
    )
    message = serializers.CharField()
    fields = serializers.DictField(
        child=FieldErrorSerializer(many=True), required=False, help_text="Per invalid field (validation errors only)."
    )


def exception_handler(exc, context):
    """DRF's handler decides status and headers; this gives every body the one shape."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not an API exception: a 500, logged by Django
    response.data = error_body(exc)
    return response


def error_body(exc: exceptions.APIException) -> dict:
    if isinstance(exc, ApiError):
        return {"code": exc.error_code, "message": str(exc.detail)}
    if isinstance(exc, exceptions.ValidationError):
        return {"code": "validation_error", "message": "Some fields are invalid.", "fields": _fields(exc.detail)}
    code, message = _code_and_message(exc)
    return {"code": code, "message": message}


def _code_and_message(exc: exceptions.APIException) -> tuple[str, str]:
    detail = exc.detail
    if isinstance(detail, dict):  # simplejwt's InvalidToken: {"detail", "code", "messages"}
        return str(detail.get("code", exc.default_code)), str(detail.get("detail", exc.default_detail))
    return getattr(detail, "code", None) or exc.default_code, str(detail)


def _fields(detail, prefix: str = "") -> dict[str, list[dict]]:
    """Flatten nested serializer errors to dotted field names: {"address.city": [...]}."""
    if isinstance(detail, list) and not any(isinstance(d, (dict, list)) for d in detail):
        return {prefix or "non_field_errors": [{"code": d.code, "message": str(d)} for d in detail]}
    if isinstance(detail, list):
        flat = {}
        for index, item in enumerate(detail):
            flat.update(_fields(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    flat = {}
    for name, value in detail.items():
        flat.update(_fields(value, f"{prefix}.{name}" if prefix else name))
    return flat
