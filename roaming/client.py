"""Our OCPI client: every call we make to a partner goes through `call`.

It sends the token Base64-encoded (raw for partners flagged tokens_raw), X-Request-ID and
X-Correlation-ID, and OCPI-from/to party headers; it times out; it logs one RequestLog row per call; and
it turns anything but an envelope with status_code 1000 into `PartnerUnavailable` (no answer, not HTTP
2xx, not an envelope) or `PartnerRefused` (an envelope with another status code).
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
    """The partner answered with an envelope whose status_code is not 1000."""

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
    to_party: tuple[str, str] | None = None,
) -> Any:
    """The `data` of the partner's envelope for one request.

    `to_party` (country_code, party_id): the party the call is for, sent as OCPI-to-* so a hub routes it
    (e.g. a token's issuer); by default the partner's first role."""
    request_id = str(uuid.uuid4())
    correlation_id = correlation_id or str(uuid.uuid4())
    headers = {
        "Authorization": authorization(token, raw=raw),
        "X-Request-ID": request_id,
        "X-Correlation-ID": correlation_id,
        "OCPI-from-country-code": settings.OCPI_COUNTRY_CODE,
        "OCPI-from-party-id": settings.OCPI_PARTY_ID,
    }
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
            method, url, data=payload, headers=headers, timeout=settings.OCPI_HTTP_TIMEOUT, allow_redirects=False
        )
        status, content = response.status_code, response.content
        envelope = response.json()
        if not isinstance(envelope, dict) or "status_code" not in envelope:
            raise ValueError("not an OCPI envelope")
    except requests.RequestException as failure:
        error = f"unreachable: {failure}"
    except ValueError as failure:
        error = f"not an OCPI envelope: {failure}"
    ocpi_status = envelope.get("status_code") if isinstance(envelope, dict) else None
    if not error and not (200 <= (status or 0) < 300):
        error = f"HTTP {status}"
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
    if error or not isinstance(envelope, dict):
        raise PartnerUnavailable(f"{method} {url}: {error}")
    if ocpi_status != 1000:
        raise PartnerRefused(int(ocpi_status or 0), str(envelope.get("status_message", "")))
    return envelope.get("data")
