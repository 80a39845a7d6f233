"""The Tokens module, receiver side: an eMSP pushes the tokens it issued (PUT whole, PATCH in part).

Tokens are owned by the eMSP that pushes them: the country_code and party_id in the URL must be one of
the caller's own roles (from the credentials handshake), and the Token's own must be the URL's, so one
partner can never write another's tokens. What a token may do is not decided here: the domain keeps it
(sessions.id_tokens) and answers a charger by its one authorization rule.
"""

from typing import Any

from roaming.envelope import CLIENT_ERROR, INVALID_PARAMETERS, OcpiError
from roaming.mapping import tokens as mapping
from roaming.models import Partner, RealtimeAuthorization
from sessions.id_tokens import IdTokenTaken, keep_issued_token
from sessions.models import IdTag
from sessions.selectors import issued_token

UNKNOWN_TOKEN = 2004
DEFAULT_TYPE = "RFID"  # the spec's default for an omitted ?type=


def own_issuer(*, partner: Partner, country_code: str, party_id: str, from_party: tuple[str, str] | None = None) -> str:
    """The URL's party as "CC*PID", if it is the caller's own, and the party the request comes from when
    the caller (a hub, for one of its parties) says which; else 2001 (HTTP 403)."""
    party = (country_code.upper(), party_id.upper())
    if party not in partner.parties():
        raise OcpiError(INVALID_PARAMETERS, f"{country_code}/{party_id} is not a party of yours", http_status=403)
    if from_party is not None and from_party != party:
        raise OcpiError(
            INVALID_PARAMETERS,
            f"{'*'.join(from_party)} cannot write {country_code}/{party_id}'s tokens",
            http_status=403,
        )
    return mapping.issuer_party(country_code=country_code, party_id=party_id)


def _token_type(value: str | None) -> str:
    value = value or DEFAULT_TYPE
    if value not in mapping.TOKEN_TYPE:
        raise OcpiError(INVALID_PARAMETERS, f"type must be one of {', '.join(mapping.TOKEN_TYPE)}", http_status=400)
    return value


def _stored(*, issuer: str, uid: str, token_type: str) -> IdTag:
    tag = issued_token(issuer_party=issuer, id_tag=uid)
    if tag is None or tag.token_type != mapping.TOKEN_TYPE[token_type]:
        raise OcpiError(UNKNOWN_TOKEN, f"Unknown token {uid} ({token_type})", http_status=404)
    return tag


def _keep(*, issuer: str, uid: str, token_type: str, token: dict[str, Any]) -> IdTag:
    """Keep a whole Token whose identity must be the URL's."""
    issued = mapping.issued_token(token)
    if (issued.issuer_party, issued.id_tag, token.get("type")) != (issuer, uid, token_type):
        raise OcpiError(
            INVALID_PARAMETERS, "The token's country_code, party_id, uid and type must be the URL's", http_status=400
        )
    try:
        kept = keep_issued_token(token=issued)
    except IdTokenTaken:
        raise OcpiError(CLIENT_ERROR, f"The uid {uid} is another issuer's token", http_status=409) from None
    # What the issuer says now outranks what it (or nobody) answered about the token a moment ago.
    RealtimeAuthorization.objects.filter(id_tag=uid, superseded=False).update(superseded=True)
    return kept


def get_token(
    *,
    partner: Partner,
    country_code: str,
    party_id: str,
    uid: str,
    token_type: str | None,
    from_party: tuple[str, str] | None = None,
) -> dict:
    issuer = own_issuer(partner=partner, country_code=country_code, party_id=party_id, from_party=from_party)
    return mapping.token_object(_stored(issuer=issuer, uid=uid, token_type=_token_type(token_type)))


def put_token(
    *,
    partner: Partner,
    country_code: str,
    party_id: str,
    uid: str,
    token_type: str | None,
    from_party: tuple[str, str] | None = None,
    token: dict[str, Any],
) -> None:
    """A new or replaced Token, whole."""
    issuer = own_issuer(partner=partner, country_code=country_code, party_id=party_id, from_party=from_party)
    _keep(issuer=issuer, uid=uid, token_type=_token_type(token_type), token=token)


def patch_token(
    *,
    partner: Partner,
    country_code: str,
    party_id: str,
    uid: str,
    token_type: str | None,
    from_party: tuple[str, str] | None = None,
    changes: dict[str, Any],
) -> None:
    """Some fields of a Token we hold (last_updated always among them): merged into what we hold, and
    the result checked and kept as a whole Token, so a PATCH can leave nothing a PUT could not."""
    issuer = own_issuer(partner=partner, country_code=country_code, party_id=party_id, from_party=from_party)
    token_type = _token_type(token_type)
    if "last_updated" not in changes:
        raise OcpiError(INVALID_PARAMETERS, "A PATCH must carry last_updated", http_status=400)
    current = mapping.token_object(_stored(issuer=issuer, uid=uid, token_type=token_type))
    _keep(issuer=issuer, uid=uid, token_type=token_type, token={**current, **changes})
