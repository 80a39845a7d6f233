"""The sessions domain's reasons, as the drivers' API names them.

The domain words why it refused a start or stop (`SessionRefused.code`) and
why a session failed or its stop was refused (`DriverSession.error_code`) in
its own strings; it never imports the API. The door translates here, one
explicit entry per reason, so a reason the domain adds reaches no client
before it has a public name (tests/sessions/test_api_errors.py finds the
domain's reasons and checks that none is missing).
"""

from csms.api.errors import ApiError, ErrorCode

# Every reason the domain gives, to its ErrorCode.
REASONS: dict[str, ErrorCode] = {
    # refusals of a start or a stop, answered at once
    "station_not_found": ErrorCode.STATION_NOT_FOUND,
    "connector_not_found": ErrorCode.CONNECTOR_NOT_FOUND,
    "station_offline": ErrorCode.STATION_OFFLINE,
    "connector_occupied": ErrorCode.CONNECTOR_OCCUPIED,
    "connector_reserved": ErrorCode.CONNECTOR_RESERVED,
    "connector_faulted": ErrorCode.CONNECTOR_FAULTED,
    "connector_unavailable": ErrorCode.CONNECTOR_UNAVAILABLE,
    "idempotency_key_reused": ErrorCode.IDEMPOTENCY_KEY_REUSED,
    "payment_method_required": ErrorCode.PAYMENT_METHOD_REQUIRED,
    "payment_declined": ErrorCode.PAYMENT_DECLINED,
    "payment_provider_unavailable": ErrorCode.PAYMENT_PROVIDER_UNAVAILABLE,
    "session_not_active": ErrorCode.SESSION_NOT_ACTIVE,
    "session_ended": ErrorCode.SESSION_ENDED,
    # why an accepted start failed, or a stop was refused, shown in the session's `error`
    "station_not_accepted": ErrorCode.STATION_NOT_ACCEPTED,
    "station_not_responding": ErrorCode.STATION_NOT_RESPONDING,
    "station_rejected": ErrorCode.STATION_REJECTED,
    "station_error": ErrorCode.STATION_ERROR,
    "start_timeout": ErrorCode.START_TIMEOUT,
    "authorization_rejected": ErrorCode.AUTHORIZATION_REJECTED,
}

# What a session's `error.code` can be: why the charger's side failed a start or refused a stop, and
# the refusals a start's session is failed with (payment), answered again when its request is replayed.
SESSION_ERRORS = (
    ErrorCode.STATION_OFFLINE,
    ErrorCode.STATION_NOT_ACCEPTED,
    ErrorCode.STATION_NOT_RESPONDING,
    ErrorCode.STATION_REJECTED,
    ErrorCode.STATION_ERROR,
    ErrorCode.START_TIMEOUT,
    ErrorCode.AUTHORIZATION_REJECTED,
    ErrorCode.PAYMENT_METHOD_REQUIRED,
    ErrorCode.PAYMENT_DECLINED,
    ErrorCode.PAYMENT_PROVIDER_UNAVAILABLE,
)


def refusal(*, code: str, message: str) -> ApiError:
    """The answer to a refused start or stop."""
    return ApiError(REASONS[code], message)


def session_error(*, code: str) -> ErrorCode:
    """The public name of why a session failed, or why its stop was refused."""
    return REASONS[code]
