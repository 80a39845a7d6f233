"""The OCPI credentials handshake, both ways, and the partner's token lifecycle.

Inbound: an operator issues a token A; the partner calls our credentials endpoint with it and its token B;
we fetch its versions and endpoints with B and answer with our token C (A is then spent). Outbound: an
operator gives us a partner's versions URL and token A; we fetch its endpoints with A, POST our
credentials (a fresh token of ours) and keep the token it answers with. Either way we keep only the hash
of the token we issued and the partner's token encrypted, and a newly registered partner is sent every
location published to it and every published tariff (PUT), so the EVSE status PATCHes that follow find
what they patch.

Rotation (`rotate_credentials`, the operator's "Rotate credentials"): we make a new token and PUT our
credentials with it to the partner's credentials endpoint. The new token works from the moment we send it
(pending), since a partner may call our versions with it before it answers; when the partner answers with
its credentials, the new token replaces the old one, which stops working. When the partner cannot be
reached or refuses, the old token stays ours and the new one is dropped (the partner still holds the old).

A refusal is an `OcpiError` with the status code the spec names (2001 bad credentials object, 3001 the
partner's API cannot be used, 3002 no common version, 3003 endpoints we need are missing), so the
credentials view answers with it and the admin shows its message.
"""

import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from roaming import client, tasks
from roaming.envelope import (
    INVALID_PARAMETERS,
    MISSING_ENDPOINTS,
    UNABLE_TO_USE_CLIENT_API,
    UNSUPPORTED_VERSION,
    OcpiError,
)
from roaming.models import Partner
from roaming.secrets import decrypt, encrypt, token_hash
from roaming.services import push, tariff_pushes

VERSION = "2.2.1"
# We cannot work with a partner without these: credentials to update or end the registration, locations to
# push our stations to.
REQUIRED_MODULES = ("credentials", "locations")


def new_token() -> str:
    """A credentials token: 43 URL-safe characters, inside OCPI's CiString(64)."""
    return secrets.token_urlsafe(32)


def our_credentials(*, token: str) -> dict[str, Any]:
    """Our OCPI Credentials object carrying `token` (the one the partner is to call us with)."""
    return {
        "token": token,
        "url": settings.OCPI_BASE_URL + reverse("roaming:versions"),
        "roles": [
            {
                "role": "CPO",
                "country_code": settings.OCPI_COUNTRY_CODE,
                "party_id": settings.OCPI_PARTY_ID,
                "business_details": {"name": settings.OCPI_BUSINESS_NAME},
            }
        ],
    }


def issue_token_a(*, partner: Partner) -> str:
    """A fresh registration token for `partner`, returned once in clear; any earlier token A stops working."""
    token = new_token()
    partner.token_a_hash = token_hash(token)
    if partner.status == Partner.Status.UNREGISTERED:
        partner.status = Partner.Status.PENDING
    partner.save(update_fields=["token_a_hash", "status", "updated_at"])
    return token


def _credentials_object(value: Any) -> tuple[str, str, list[dict[str, Any]]]:
    """token, url, roles of a partner's Credentials object, or 2001."""
    if not isinstance(value, dict):
        raise OcpiError(INVALID_PARAMETERS, "Expected a credentials object")
    token, url, roles = value.get("token"), value.get("url"), value.get("roles")
    if not isinstance(token, str) or not token or len(token) > 64:
        raise OcpiError(INVALID_PARAMETERS, "credentials.token must be a string of 1 to 64 characters")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise OcpiError(INVALID_PARAMETERS, "credentials.url must be an http(s) URL")
    if not isinstance(roles, list) or not roles:
        raise OcpiError(INVALID_PARAMETERS, "credentials.roles must list at least one role")
    for role in roles:
        if not isinstance(role, dict) or not all(
            isinstance(role.get(key), str) and role.get(key) for key in ("role", "country_code", "party_id")
        ):
            raise OcpiError(INVALID_PARAMETERS, "each credentials role needs role, country_code and party_id")
    return token, url, roles


def _get(url: str, *, token: str, partner: Partner | None, raw: bool) -> Any:
    try:
        return client.call("GET", url, token=token, partner=partner, raw=raw, routed=False)
    except (client.PartnerUnavailable, client.PartnerRefused) as failure:
        raise OcpiError(UNABLE_TO_USE_CLIENT_API, f"Unable to use the partner's API: {failure}")


def fetch_endpoints(
    *, versions_url: str, token: str, partner: Partner | None, raw: bool
) -> tuple[str, dict[str, dict[str, str]]]:
    """The partner's 2.2.1 version and its endpoints (module → role → URL), fetched with `token`."""
    versions = _get(versions_url, token=token, partner=partner, raw=raw)
    if not isinstance(versions, list):
        raise OcpiError(UNABLE_TO_USE_CLIENT_API, "The partner's versions are not a list")
    details_url = next(
        (v.get("url") for v in versions if isinstance(v, dict) and v.get("version") == VERSION),
        None,
    )
    if not isinstance(details_url, str):
        raise OcpiError(UNSUPPORTED_VERSION, f"The partner offers no OCPI {VERSION}")
    details = _get(details_url, token=token, partner=partner, raw=raw)
    listed = details.get("endpoints") if isinstance(details, dict) else None
    if not isinstance(listed, list):
        raise OcpiError(UNABLE_TO_USE_CLIENT_API, "The partner's version details list no endpoints")
    endpoints: dict[str, dict[str, str]] = {}
    for endpoint in listed:
        if isinstance(endpoint, dict) and all(isinstance(endpoint.get(k), str) for k in ("identifier", "role", "url")):
            endpoints.setdefault(endpoint["identifier"], {})[endpoint["role"]] = endpoint["url"]
    missing = [module for module in REQUIRED_MODULES if module not in endpoints]
    if missing:
        raise OcpiError(MISSING_ENDPOINTS, f"The partner's endpoints lack: {', '.join(missing)}")
    return VERSION, endpoints


def _store(*, partner: Partner, token: str, versions_url: str, roles: list, version: str, endpoints: dict) -> None:
    """What a registration or an update learnt of the partner; the caller saves."""
    partner.roles = roles
    partner.country_code = roles[0]["country_code"][:2]
    partner.party_id = roles[0]["party_id"][:3]
    partner.versions_url = versions_url
    partner.version = version
    partner.endpoints = endpoints
    partner.their_token_encrypted = encrypt(token)
    partner.status = Partner.Status.REGISTERED


def accept_registration(*, partner: Partner, credentials: Any) -> dict[str, Any]:
    """POST by a partner holding token A: fetch its endpoints with its token B, issue our token C.

    The token A is spent in the same UPDATE that checks it is still unspent, so two concurrent POSTs
    with one token A cannot both register."""
    token_b, versions_url, roles = _credentials_object(credentials)
    version, endpoints = fetch_endpoints(
        versions_url=versions_url, token=token_b, partner=partner, raw=partner.tokens_raw
    )
    token_c = new_token()
    with transaction.atomic():
        spent = Partner.objects.filter(pk=partner.pk, token_a_hash=partner.token_a_hash).exclude(token_a_hash="")
        if not spent.update(token_a_hash=""):
            raise OcpiError(2000, "Already registered", http_status=405)
        partner.token_a_hash = ""
        _store(
            partner=partner, token=token_b, versions_url=versions_url, roles=roles, version=version, endpoints=endpoints
        )
        partner.our_token_hash = token_hash(token_c)
        partner.save()
    tasks.wake(sorted({*push.push_all_locations(partner=partner), *tariff_pushes.push_all_tariffs(partner=partner)}))
    return our_credentials(token=token_c)


def update_registration(*, partner: Partner, credentials: Any) -> dict[str, Any]:
    """PUT by a registered partner: its new token and URL, its endpoints fetched again, our token rotated."""
    token_b, versions_url, roles = _credentials_object(credentials)
    version, endpoints = fetch_endpoints(
        versions_url=versions_url, token=token_b, partner=partner, raw=partner.tokens_raw
    )
    token_c = new_token()
    _store(partner=partner, token=token_b, versions_url=versions_url, roles=roles, version=version, endpoints=endpoints)
    partner.our_token_hash = token_hash(token_c)
    partner.save()
    return our_credentials(token=token_c)


def unregister(*, partner: Partner) -> None:
    """End the registration here: the partner's tokens stop working and we stop calling it."""
    partner.status = Partner.Status.UNREGISTERED
    partner.our_token_hash = ""
    partner.token_a_hash = ""
    partner.their_token_encrypted = ""
    partner.pending_token_hash = ""
    fields = ["status", "our_token_hash", "token_a_hash", "their_token_encrypted", "pending_token_hash"]
    partner.save(update_fields=[*fields, "updated_at"])


def their_token(*, partner: Partner) -> str:
    """The token we call `partner` with, in clear."""
    return decrypt(partner.their_token_encrypted)


def register_with_partner(*, name: str, versions_url: str, token_a: str, tokens_raw: bool = False) -> Partner:
    """Outbound registration: we are the client of the partner's credentials endpoint.

    The partner row exists (pending) from the first call on, so its request log shows a failed attempt,
    and the operator's retry with the same versions URL reuses it."""
    partner = Partner.objects.filter(versions_url=versions_url).exclude(
        status=Partner.Status.REGISTERED
    ).first() or Partner(versions_url=versions_url)
    partner.name = name
    partner.tokens_raw = tokens_raw
    partner.status = Partner.Status.PENDING
    partner.save()
    version, endpoints = fetch_endpoints(versions_url=versions_url, token=token_a, partner=partner, raw=tokens_raw)
    credentials_url = endpoints["credentials"].get("RECEIVER") or next(iter(endpoints["credentials"].values()))
    ours = new_token()
    # The partner checks our versions with this token before it answers the POST: it must work already.
    Partner.objects.filter(pk=partner.pk).update(pending_token_hash=token_hash(ours))
    try:
        answer = client.call(
            "POST",
            credentials_url,
            token=token_a,
            partner=partner,
            raw=tokens_raw,
            body=our_credentials(token=ours),
            routed=False,
        )
        token, their_url, roles = _credentials_object(answer)
    except (client.PartnerUnavailable, client.PartnerRefused, OcpiError) as failure:
        Partner.objects.filter(pk=partner.pk).update(pending_token_hash="")
        raise OcpiError(UNABLE_TO_USE_CLIENT_API, f"The partner refused our credentials: {failure}")
    _store(partner=partner, token=token, versions_url=their_url, roles=roles, version=version, endpoints=endpoints)
    partner.our_token_hash, partner.pending_token_hash = token_hash(ours), ""
    partner.save()
    tasks.wake(sorted({*push.push_all_locations(partner=partner), *tariff_pushes.push_all_tariffs(partner=partner)}))
    return partner


def unregister_at_partner(*, partner: Partner) -> str | None:
    """DELETE our registration at the partner, then end it here whatever it answered; returns its error."""
    problem = None
    url = partner.endpoint("credentials", "RECEIVER") or partner.endpoint("credentials")
    if url and partner.their_token_encrypted:
        try:
            client.call(
                "DELETE", url, token=their_token(partner=partner), partner=partner, raw=partner.tokens_raw, routed=False
            )
        except (client.PartnerUnavailable, client.PartnerRefused) as failure:
            problem = str(failure)
    unregister(partner=partner)
    return problem


def _credentials_url(partner: Partner) -> str:
    url = partner.endpoint("credentials", "RECEIVER") or partner.endpoint("credentials")
    if partner.status != Partner.Status.REGISTERED or not partner.their_token_encrypted or not url:
        raise OcpiError(UNABLE_TO_USE_CLIENT_API, f"{partner} is not registered: there are no credentials to rotate")
    return url


def rotate_credentials(*, partner: Partner) -> None:
    """Give the partner a new token of ours; an OcpiError (3001) says why not, and the old token stands."""
    url = _credentials_url(partner)
    ours = new_token()
    Partner.objects.filter(pk=partner.pk).update(pending_token_hash=token_hash(ours))
    try:
        answer = client.call(
            "PUT", url, token=their_token(partner=partner), partner=partner, raw=partner.tokens_raw,
            body=our_credentials(token=ours), routed=False,
        )  # fmt: skip
        token, versions_url, roles = _credentials_object(answer)
    except (client.PartnerUnavailable, client.PartnerRefused, OcpiError) as failure:
        Partner.objects.filter(pk=partner.pk).update(pending_token_hash="")
        raise OcpiError(UNABLE_TO_USE_CLIENT_API, f"The partner did not take our new credentials: {failure}")
    # The partner holds our new token now: it becomes ours whatever comes next.
    moved = versions_url != partner.versions_url
    with transaction.atomic():
        _store(
            partner=partner, token=token, versions_url=versions_url, roles=roles, version=partner.version,
            endpoints=partner.endpoints,
        )  # fmt: skip
        partner.our_token_hash, partner.pending_token_hash = token_hash(ours), ""
        partner.save()
    if moved:  # its versions URL changed: its endpoints may have too
        partner.version, partner.endpoints = fetch_endpoints(
            versions_url=versions_url, token=token, partner=partner, raw=partner.tokens_raw
        )
        partner.save(update_fields=["version", "endpoints", "updated_at"])
