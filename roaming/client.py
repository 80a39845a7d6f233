"""Our OCPI client: every call we make to a partner goes through `call`.

It sends the token Base64-encoded (raw for partners flagged tokens_raw), X-Request-ID and
X-Correlation-ID, and OCPI-from/to party headers (not to the configuration modules); it times out; it logs one RequestLog row per call; and
it turns anything but an envelope with status_code 1000 into `PartnerUnavailable` or `PartnerRefused`.

An outage is what waiting may mend: no answer, a timeout, no OCPI envelope, HTTP 5xx, 408 (it timed us out)
or 429 (too many requests). A refusal is the partner's answer to this request, which no retry changes: an
envelope with a status code other than 1000 (over HTTP 2xx or 4xx, as the spec has partners answer 2xxx
errors with 4xx), or any other HTTP 4xx. HTTP 401 is counted an outage too: our token is not (or no longer)
known there, which fails every request alike until an operator mends the credentials. So a push queue goes on past a refusal and waits out an outage.
"""

import base64
import json
import uuid
from typing import Any

import requests
from django.conf import settings

from roaming.models import Partner, RequestLog
from roaming.services.request_log import record_request

# One pooled session for the process; tests mount a fake partner's adapter on it.
session = requests.Session()


class PartnerUnavailable(Exception):
    """The partner could not be used: unreachable, timed out, or it did not answer with an OCPI envelope."""


class PartnerRefused(Exception):
    """The partner refused the request: an envelope whose status_code is not 1000, or an HTTP 4xx (not 408/429)."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(f"{status_code} {message}")
        self.status_code = status_code


def authorization(token: str, *, raw: bool = False) -> str:
    return f"Token {token if raw else base64.b64encode(token.encode()).decode()}"


def call(
    method: str,
    url: str,
    *,
    token: str,
    partner: Partner | None = None,
    raw: bool = False,
    body: Any = None,
    correlation_id: str | None = None,
    timeout: float | None = None,
    to_party: tuple[str, str] | None = None,
    routed: bool = True,
) -> Any:
    """The `data` of the partner's envelope for one request (`timeout` in seconds, OCPI_HTTP_TIMEOUT by default).

    `to_party` (country_code, party_id): the party the call is for, sent as OCPI-to-* so a hub routes it
    (e.g. a token's issuer); by default the partner's first role. `routed=False` for the configuration
    modules (versions, credentials, hub client info): they are platform to platform, and the spec says
    routing headers SHALL NOT be used with them."""
    request_id = str(uuid.uuid4())
    correlation_id = correlation_id or str(uuid.uuid4())
    headers = {
        "Authorization": authorization(token, raw=raw),
        "X-Request-ID": request_id,
        "X-Correlation-ID": correlation_id,
    }
    if routed:
        headers["OCPI-from-country-code"] = settings.OCPI_COUNTRY_CODE
        headers["OCPI-from-party-id"] = settings.OCPI_PARTY_ID
        if to_party is None and partner is not None and partner.party_id:
            to_party = (partner.country_code, partner.party_id)
        if to_party is not None:
            headers["OCPI-to-country-code"], headers["OCPI-to-party-id"] = to_party
    payload = None if body is None else json.dumps(body)
    if payload is not None:
        headers["Content-Type"] = "application/json"
    status, content, envelope, error = None, b"", None, ""
    try:
        response = session.request(
            method,
            url,
            data=payload,
            headers=headers,
            timeout=timeout or settings.OCPI_HTTP_TIMEOUT,
            allow_redirects=False,
        )
        status, content = response.status_code, response.content
        envelope = response.json()
        if not isinstance(envelope, dict) or "status_code" not in envelope:
            raise ValueError("not an OCPI envelope")
    except ValueError as failure:  # first: requests' JSONDecodeError is a RequestException too
        error = f"not an OCPI envelope: {failure}"
    except requests.RequestException as failure:
        error = f"unreachable: {failure}"
    ocpi_status = envelope.get("status_code") if isinstance(envelope, dict) else None
    refused = _refusal(status, None if error else envelope)
    if not (200 <= (status or 0) < 300) and (refused is not None or not error):
        error = f"HTTP {status}{' (refused)' if refused is not None else ''}"
    record_request(
        partner=partner,
        direction=RequestLog.Direction.OUT,
        method=method,
        url=url,
        http_status=status,
        ocpi_status_code=ocpi_status if isinstance(ocpi_status, int) else None,
        request_id=request_id,
        correlation_id=correlation_id,
        request_body=payload,
        response_body=content,
        error=error,
    )
    if refused is not None:
        raise refused
    if error or not isinstance(envelope, dict):
        raise PartnerUnavailable(f"{method} {url}: {error}")
    if ocpi_status != 1000:
        raise PartnerRefused(int(ocpi_status or 0), str(envelope.get("status_message", "")))
    return envelope.get("data")


# 408: it timed us out; 429: slow down; 401: it does not know our token (as while credentials change
# hands), which every request meets alike until an operator mends it, so the queue waits for that.
OUTAGE_4XX = (401, 408, 429)


def _refusal(status: int | None, envelope: Any) -> PartnerRefused | None:
    """The refusal an HTTP 4xx answer (not an OUTAGE_4XX) means, or None when it is not one."""
    if status is None or not 400 <= status < 500 or status in OUTAGE_4XX:
        return None
    if isinstance(envelope, dict) and isinstance(envelope.get("status_code"), int):
        return PartnerRefused(envelope["status_code"], str(envelope.get("status_message", "")))
    return PartnerRefused(0, f"HTTP {status}")
