"""One error shape for the whole API: `{"code", "message", "fields"}`.

`code` is stable and machine-readable (apps switch on it): always an
`ErrorCode`, whose members say when a client sees each one, and which the
OpenAPI schema lists with those words. `message` is for people; `fields` maps
each invalid field to its problems, so a form can put the message next to the
right input.
"""

from enum import StrEnum

from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.views import exception_handler as drf_exception_handler


class ErrorCode(StrEnum):
    """Every `code` the drivers' API answers: in an error body, or in a session's `error`.

    Each member carries the HTTP status it is answered with (None: only ever
    a session's `error.code`, never an answer's) and when a client sees it.
    """

    def __new__(cls, value: str, http_status: int | None, description: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.http_status = http_status
        member.description = description
        return member

    @property
    def label(self) -> str:
        where = "in a session's `error` only" if self.http_status is None else str(self.http_status)
        return f"{where}: {self.description}"

    # Any request
    VALIDATION_ERROR = "validation_error", 400, "Some input is invalid; `fields` names each invalid field."
    PARSE_ERROR = "parse_error", 400, "The body is not valid JSON."
    NOT_AUTHENTICATED = "not_authenticated", 401, "No access token: send `Authorization: Bearer <access token>`."
    TOKEN_NOT_VALID = (
        "token_not_valid",
        401,
        "The access or refresh token is expired, revoked, malformed or of the wrong kind: refresh, or sign in again.",
    )
    BAD_AUTHORIZATION_HEADER = "bad_authorization_header", 401, "The `Authorization` header is not `Bearer <token>`."
    USER_NOT_FOUND = "user_not_found", 401, "The access token's account no longer exists."
    USER_INACTIVE = "user_inactive", 401, "The access token's account is deactivated."
    PERMISSION_DENIED = "permission_denied", 403, "Signed in, but not with a driver account."
    NOT_FOUND = "not_found", 404, "No such endpoint or object, not the driver's own, or a page past the last one."
    METHOD_NOT_ALLOWED = "method_not_allowed", 405, "The endpoint does not take this HTTP method."
    NOT_ACCEPTABLE = "not_acceptable", 406, "The `Accept` header asks for something other than JSON."
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type", 415, "The body is not `application/json`."
    THROTTLED = "throttled", 429, "Too many requests: retry after the `Retry-After` header's seconds."
    SERVER_ERROR = "server_error", 500, "Something went wrong on our side."
    # The account
    EMAIL_TAKEN = "email_taken", 409, "Sign-up with an e-mail that has an account already."
    INVALID_CREDENTIALS = "invalid_credentials", 401, "Sign-in with a wrong e-mail or password (or an operator's)."
    WRONG_PASSWORD = "wrong_password", 400, "A password change whose current password is wrong."
    # Id tokens
    ID_TOKEN_TAKEN = "id_token_taken", 409, "The RFID card is registered already."
    APP_TOKEN_NOT_REMOVABLE = "app_token_not_removable", 409, "The app's own id token cannot be removed."
    # Starting and stopping a session
    STATION_NOT_FOUND = "station_not_found", 404, "A start on a station that does not exist (or is not accepted yet)."
    CONNECTOR_NOT_FOUND = "connector_not_found", 404, "A start on an EVSE or connector the station does not have."
    STATION_OFFLINE = (
        "station_offline",
        409,
        "The station is offline: a start is refused, or a pending start fails (a stop is refused) with it.",
    )
    CONNECTOR_OCCUPIED = "connector_occupied", 409, "A start on a connector in use, or another session holds the EVSE."
    CONNECTOR_RESERVED = "connector_reserved", 409, "A start on a reserved connector."
    CONNECTOR_FAULTED = "connector_faulted", 409, "A start on a connector that reports a fault."
    CONNECTOR_UNAVAILABLE = "connector_unavailable", 409, "A start on a connector taken out of service."
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused", 422, "A start whose Idempotency-Key came with another request."
    PAYMENT_METHOD_REQUIRED = (
        "payment_method_required",
        402,
        "A start where a tariff applies and the driver has no saved card (the session is failed with it).",
    )
    PAYMENT_DECLINED = (
        "payment_declined",
        402,
        "A start whose card hold was refused by the card's bank (the session is failed with it).",
    )
    PAYMENT_PROVIDER_UNAVAILABLE = (
        "payment_provider_unavailable",
        503,
        "The payment provider could not be reached; try again (a start's session is failed with it).",
    )
    SESSION_NOT_ACTIVE = "session_not_active", 409, "A stop of a session that is pending or failed."
    SESSION_ENDED = (
        "session_ended",
        409,
        "A change of the departure time or energy needed of a session that is stopping, completed or failed.",
    )
    # A session's `error` after it was accepted: why the start failed, or why the stop was refused
    STATION_NOT_ACCEPTED = "station_not_accepted", None, "The operator has not accepted the station yet."
    STATION_NOT_RESPONDING = "station_not_responding", None, "The station did not answer the start or stop in time."
    STATION_REJECTED = "station_rejected", None, "The station refused the start or stop."
    STATION_ERROR = "station_error", None, "The station could not take the start or stop."
    START_TIMEOUT = "start_timeout", None, "The station agreed but did not start charging in time."
    AUTHORIZATION_REJECTED = "authorization_rejected", None, "The station started, but the driver's token is refused."


def choices(codes) -> list[tuple[str, str]]:
    """Choices for a serializer's `code` field: the schema lists each code with its meaning."""
    return [(code.value, code.label) for code in codes]


def listed(*codes: ErrorCode) -> str:
    """Codes named in an operation's description, with their status: "`a` (404), `b` (409)"."""
    return ", ".join(f"`{code}`" if code.http_status is None else f"`{code}` ({code.http_status})" for code in codes)


class ApiError(exceptions.APIException):
    """A refusal the domain explains: raise with its code (which fixes the status) and a message."""

    def __init__(self, code: ErrorCode, message: str):
        if code.http_status is None:
            raise ValueError(f"{code} is a session's error, never an answer's")
        super().__init__(detail=message, code=code.value)
        self.error_code = code
        self.status_code = code.http_status


class FieldErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The check that failed: required, invalid, max_length, ...")
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=choices(ErrorCode), help_text="Stable and machine-readable.")
    message = serializers.CharField()
    fields = serializers.DictField(
        child=FieldErrorSerializer(many=True), required=False, help_text="Per invalid field (validation errors only)."
    )


# DRF's and simplejwt's codes, as each exception carries it, to ours. A code missing here is a
# library answer nobody has named for clients yet: the handler raises, so a test finds it.
_LIBRARY_CODES = {
    "parse_error": ErrorCode.PARSE_ERROR,
    "not_authenticated": ErrorCode.NOT_AUTHENTICATED,
    "permission_denied": ErrorCode.PERMISSION_DENIED,
    "not_found": ErrorCode.NOT_FOUND,
    "method_not_allowed": ErrorCode.METHOD_NOT_ALLOWED,
    "not_acceptable": ErrorCode.NOT_ACCEPTABLE,
    "unsupported_media_type": ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    "throttled": ErrorCode.THROTTLED,
    "token_not_valid": ErrorCode.TOKEN_NOT_VALID,  # simplejwt's InvalidToken
    # AuthenticationFailed: simplejwt's codes, and DRF's default (a token is the only credential taken here)
    "bad_authorization_header": ErrorCode.BAD_AUTHORIZATION_HEADER,
    "user_not_found": ErrorCode.USER_NOT_FOUND,
    "user_inactive": ErrorCode.USER_INACTIVE,
    "password_changed": ErrorCode.TOKEN_NOT_VALID,  # with CHECK_REVOKE_TOKEN, which this API does not set
    "authentication_failed": ErrorCode.TOKEN_NOT_VALID,
}


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
        return {
            "code": ErrorCode.VALIDATION_ERROR,
            "message": "Some fields are invalid.",
            "fields": _fields(exc.detail),
        }
    code, message = _code_and_message(exc)
    try:
        return {"code": _LIBRARY_CODES[code], "message": message}
    except KeyError:
        raise LookupError(f"{type(exc).__name__} answers code {code!r}, which ErrorCode does not name") from None


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
