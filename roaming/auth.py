"""The OCPI door's gate: who is calling (by the token in `Authorization`), the request ids, the log.

Every OCPI view is wrapped by `ocpi_view`: it answers an unknown or missing token with HTTP 401 in the
envelope, echoes X-Request-ID and X-Correlation-ID (made up when the caller sent none), turns an
`OcpiError` into its envelope, and writes one RequestLog row per request.
"""

import base64
import binascii
import functools
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from roaming.envelope import CLIENT_ERROR, INVALID_PARAMETERS, SERVER_ERROR, OcpiError, ocpi_response
from roaming.models import Partner, RequestLog
from roaming.secrets import token_hash
from roaming.services.request_log import record_request

logger = logging.getLogger(__name__)


class TokenKind(Enum):
    A = "A"  # the operator-issued registration token
    PARTNER = "partner"  # the token we issued at registration (C, or B when we registered with them)


@dataclass(frozen=True)
class Caller:
    partner: Partner
    token: TokenKind
    presented_token: str  # in clear for this request only: GET credentials answers with it
    request_id: str
    correlation_id: str
    # The party the request comes from (OCPI-from-* headers), one of the partner's roles: a hub calls for
    # many parties. None when the caller did not say (a direct partner may leave the headers out).
    from_party: tuple[str, str] | None = None


def _header_party(request: HttpRequest, side: str) -> tuple[str, str] | None:
    country_code = request.headers.get(f"OCPI-{side}-country-code", "").strip().upper()
    party_id = request.headers.get(f"OCPI-{side}-party-id", "").strip().upper()
    if not country_code and not party_id:
        return None
    if not country_code or not party_id:
        raise OcpiError(
            INVALID_PARAMETERS, f"OCPI-{side}-country-code and OCPI-{side}-party-id go together", http_status=400
        )
    return country_code, party_id


def _routed_from(request: HttpRequest, partner: Partner, token: TokenKind) -> tuple[str, str] | None:
    """The from-party of a request addressed to us (transport and format, "Message routing").

    The to-party must be us: we are no hub and forward nothing. The from-party must be one of the
    caller's roles, so one party of a hub cannot speak for a party it is not; before registration
    (token A) the roles are not known yet and the header is taken as said."""
    to_party = _header_party(request, "to")
    if to_party is not None and to_party != (settings.OCPI_COUNTRY_CODE.upper(), settings.OCPI_PARTY_ID.upper()):
        raise OcpiError(
            INVALID_PARAMETERS, f"We are not {'*'.join(to_party)}: we route to no other party", http_status=400
        )
    from_party = _header_party(request, "from")
    if from_party is not None and token is TokenKind.PARTNER and from_party not in partner.parties():
        raise OcpiError(INVALID_PARAMETERS, f"{'*'.join(from_party)} is not one of your parties", http_status=400)
    return from_party


def _header_token(header: str) -> str | None:
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "token" or not value.strip():
        return None
    return value.strip()


def _b64_decoded(value: str) -> str | None:
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


def _partner_by_token(token: str) -> tuple[Partner, TokenKind, str] | None:
    digest = token_hash(token)
    partner = Partner.objects.filter(
        Q(our_token_hash=digest) | Q(token_a_hash=digest) | Q(pending_token_hash=digest)
    ).first()
    if partner is None:
        return None
    kind = TokenKind.A if partner.token_a_hash == digest else TokenKind.PARTNER
    return partner, kind, token


def authenticate(header: str) -> tuple[Partner, TokenKind, str] | None:
    """The partner a header's token names: Base64 first (2.2.1), then raw for partners flagged tokens_raw."""
    value = _header_token(header)
    if value is None:
        return None
    decoded = _b64_decoded(value)
    if decoded:
        found = _partner_by_token(decoded)
        if found is not None:
            return found
    found = _partner_by_token(value)
    if found is not None and found[0].tokens_raw:
        return found
    return None


def _ocpi_status(response: HttpResponse) -> int | None:
    try:
        return int(json.loads(response.content)["status_code"])
    except (ValueError, KeyError, TypeError):
        return None


def first_party(partner: Partner) -> tuple[str, str] | None:
    """The party a partner is by default (its first role, as registration stored it)."""
    if partner.party_id:
        return partner.country_code, partner.party_id
    role = next((r for r in partner.roles if isinstance(r, dict) and r.get("party_id")), None)
    return (str(role.get("country_code", "")), str(role["party_id"])) if role else None


def _route(response: HttpResponse, caller: Caller) -> None:
    """The routing headers of a functional module's answer (transport and format, "Message Routing"): from
    us, to the party that asked (its OCPI-from-*, else the partner's first role)."""
    response["OCPI-from-country-code"] = settings.OCPI_COUNTRY_CODE
    response["OCPI-from-party-id"] = settings.OCPI_PARTY_ID
    to_party = caller.from_party or first_party(caller.partner)
    if to_party is not None:
        response["OCPI-to-country-code"], response["OCPI-to-party-id"] = to_party


def ocpi_view(*, token_a: bool = False, routed: bool = True) -> Callable:
    """Wrap an OCPI view `view(request, caller, ...)`; `token_a`: whether token A may call it (spec 2.2.1
    transport: only versions and credentials); `routed`: whether its answers carry the routing headers
    (functional modules do; the configuration modules, versions, credentials and hub client info, SHALL
    NOT)."""

    def decorate(view: Callable) -> Callable:
        @csrf_exempt
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            request_id = request.headers.get("X-Request-ID") or str(uuid.uuid4())
            correlation_id = request.headers.get("X-Correlation-ID") or str(uuid.uuid4())
            found = authenticate(request.headers.get("Authorization", ""))
            partner = found[0] if found else None
            error = ""
            caller: Caller | None = None
            if found is None or (found[1] is TokenKind.A and not token_a):
                response = ocpi_response(None, CLIENT_ERROR, "Unknown or missing credentials token", 401)
                error = "unknown token" if found is None else "token A outside versions and credentials"
            else:
                try:
                    caller = Caller(
                        partner=found[0],
                        token=found[1],
                        presented_token=found[2],
                        request_id=request_id,
                        correlation_id=correlation_id,
                        from_party=_routed_from(request, found[0], found[1]),
                    )
                    response = view(request, caller, *args, **kwargs)
                except OcpiError as refusal:
                    response = refusal.response()
                    error = refusal.message
                except Exception:
                    logger.exception("OCPI %s %s failed", request.method, request.path)
                    response = ocpi_response(None, SERVER_ERROR, "Internal error", 500)
                    error = "internal error"
            if routed and caller is not None:
                _route(response, caller)
            response["X-Request-ID"] = request_id
            response["X-Correlation-ID"] = correlation_id
            record_request(
                partner=partner,
                direction=RequestLog.Direction.IN,
                method=request.method or "",
                url=request.build_absolute_uri(),
                http_status=response.status_code,
                ocpi_status_code=_ocpi_status(response),
                request_id=request_id,
                correlation_id=correlation_id,
                request_body=request.body,
                response_body=response.content,
                error=error,
            )
            return response

        return wrapped

    return decorate


def parse_json(request: HttpRequest) -> dict:
    """The request's JSON object; anything else is the partner's error (2001), never a 500."""
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        raise OcpiError(2001, "The body is not valid JSON", http_status=400)
    if not isinstance(body, dict):
        raise OcpiError(2001, "The body must be a JSON object")
    return body
