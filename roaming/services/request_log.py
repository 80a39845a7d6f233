"""Writing and purging the OCPI request log."""

import json
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from roaming.models import Partner, RequestLog

_MASK = "***"


def redact(body: str | bytes | None) -> str:
    """The body as logged: credentials tokens masked (the log must not undo hash-only storage), truncated."""
    if body is None:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        masked = False
        for holder in (parsed, parsed.get("data")):
            if isinstance(holder, dict) and "token" in holder:
                holder["token"] = _MASK
                masked = True
        if masked:
            text = json.dumps(parsed, ensure_ascii=False)
    return text[: settings.OCPI_REQUEST_LOG_BODY_MAX_CHARS]


def record_request(
    *,
    partner: Partner | None,
    direction: str,
    method: str,
    url: str,
    http_status: int | None,
    ocpi_status_code: int | None,
    request_id: str,
    correlation_id: str,
    request_body: str | bytes | None,
    response_body: str | bytes | None,
    error: str = "",
) -> RequestLog:
    return RequestLog.objects.create(
        partner=partner,
        direction=direction,
        method=method,
        url=url,
        http_status=http_status,
        ocpi_status_code=ocpi_status_code,
        request_id=request_id[:64],
        correlation_id=correlation_id[:64],
        request_body=redact(request_body),
        response_body=redact(response_body),
        error=error[:255],
        created_at=timezone.now(),
    )


def purge_request_log(*, now: datetime | None = None) -> int:
    """Delete requests older than the retention setting; returns how many went."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.OCPI_REQUEST_LOG_RETENTION_DAYS)
    deleted, _ = RequestLog.objects.filter(created_at__lt=cutoff).delete()
    return deleted
