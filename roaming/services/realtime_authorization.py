"""Real-time authorization: asking an eMSP whether a token may charge here now (mod_tokens, POST authorize).

sessions.authorization asks us (the remote authorizer registered in roaming/apps.py) about a token it does
not know, and about a partner's token whose whitelist wants the issuer asked (ALLOWED_OFFLINE, NEVER).
We POST `{tokens SENDER endpoint}/{uid}/authorize?type=RFID` (the spec's Sender interface path: the uid
only, no country code or party id) with our LocationReferences (the station's location, and the EVSE when
the charger named one) and read AuthorizationInfo.allowed: ALLOWED is Accepted, BLOCKED Blocked, EXPIRED
Expired, NO_CREDIT and NOT_ALLOWED Invalid.

Whom we ask: for a token we hold, the partner whose role is its issuer. For one we do not know, OCPI gives
us only the uid a reader read (a contract id would name the eMSP, but a charger never sends one), so we ask
every registered partner with a tokens SENDER endpoint, in registration order, and the first ALLOWED wins
(otherwise the first refusal stands, and a token none knows, 2004 everywhere, is Invalid). Asking them one
by one rather than at once keeps this a plain request in the caller's thread; each has
OCPI_AUTHORIZE_TIMEOUT seconds, so a few partners stay well inside a charger's wait for its answer.

Nobody is asked about a token an eMSP sent us with a START_SESSION or RESERVE_NOW for this station that we
accepted less than COMMAND_VOUCHES ago: it is Accepted ("The CPO SHALL NOT do a realtime authorization of
the Token within 15 minutes after having received this StartSession/ReserveNow", mod_commands), so the
charger's Authorize and start of a session the eMSP asked for (with an app's NEVER token, say) go ahead.

Every answer is kept (RealtimeAuthorization) and stands for OCPI_AUTHORIZE_CACHE_SECONDS, so the
StartTransaction after an Authorize asks nobody; the Token that comes with it is kept like a pushed one
(sessions.id_tokens.keep_issued_token), and its authorization_reference is there for the Session and CDR
(roaming.selectors.session_authorisation). No answer at all (no partner to ask, or none
reachable) is None: sessions.authorization's offline rule then decides, and nothing is cached. Answers
are purged after OCPI_REQUEST_LOG_RETENTION_DAYS, like the request log they came through.
"""

from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.utils import timezone

from roaming import client
from roaming.envelope import OcpiError
from roaming.mapping import tokens as mapping
from roaming.models import Partner, RealtimeAuthorization
from roaming.parties import issuer_parties, party_pair
from roaming.secrets import decrypt
from roaming.selectors.authorizations import cached_answer
from roaming.selectors.commands import vouched_for
from sessions.authorization import RemoteQuestion
from sessions.id_tokens import IdTokenTaken, keep_issued_token
from sessions.models import AuthorizationStatus
from stations.models import ChargingStation

TOKENS = "tokens"
SENDER = "SENDER"
COMMAND_VOUCHES = timedelta(minutes=15)


def issuers_to_ask(*, issuer_party: str) -> list[Partner]:
    """The registered partners with a tokens SENDER to ask: the token's issuer, or all for an unknown token."""
    partners = Partner.objects.filter(status=Partner.Status.REGISTERED).exclude(their_token_encrypted="").order_by("id")
    return [
        partner
        for partner in partners
        if partner.endpoint(TOKENS, SENDER) and (not issuer_party or issuer_party in issuer_parties(partner))
    ]


def _references(question: RemoteQuestion) -> dict[str, Any] | None:
    location_id = None
    if question.station_id is not None:
        location_id = (
            ChargingStation.objects.filter(pk=question.station_id).values_list("location_id", flat=True).first()
        )
    return mapping.location_references(location_id=location_id, evse_pk=question.evse_pk)


def _keep_token(partner: Partner, uid: str, token: Any) -> None:
    """Keep the Token that came with the answer, when it is this partner's and this uid."""
    try:
        issued = mapping.issued_token(token if isinstance(token, dict) else {})
    except OcpiError:
        return
    if issued.id_tag != uid or issued.issuer_party not in issuer_parties(partner):
        return
    with suppress(IdTokenTaken):  # the uid is another issuer's token: we keep the answer, not this copy
        keep_issued_token(token=issued)


def _ask(partner: Partner, question: RemoteQuestion, references: dict[str, Any] | None) -> RealtimeAuthorization | str:
    """The partner's answer kept, or why there is none: "unknown" (it answered no Token), "unavailable"."""
    uid = quote(question.id_tag, safe="")  # a CiString may hold "/", "?", "#" or spaces
    url = f"{partner.endpoint(TOKENS, SENDER).rstrip('/')}/{uid}/authorize?type=RFID"  # type: ignore[union-attr]
    try:
        info = client.call(
            "POST",
            url,
            token=decrypt(partner.their_token_encrypted),
            partner=partner,
            raw=partner.tokens_raw,
            body=references,
            timeout=settings.OCPI_AUTHORIZE_TIMEOUT,
            to_party=party_pair(question.issuer_party),
        )
    except client.PartnerUnavailable:
        return "unavailable"
    except client.PartnerRefused:  # 2004 Unknown Token (HTTP 404), or another refusal of the question
        return "unknown"
    if isinstance(info, list) and len(info) == 1:  # py_ocpi (and some others) wrap the one object in a list
        info = info[0]
    allowed = info.get("allowed") if isinstance(info, dict) else None
    if allowed not in mapping.ALLOWED:
        return "unavailable"  # not an AuthorizationInfo: as good as no answer
    _keep_token(partner, question.id_tag, info.get("token"))
    reference = info.get("authorization_reference")
    status = mapping.ALLOWED[allowed]
    if status == AuthorizationStatus.ACCEPTED and not _allows_here(info.get("location"), references):
        status = AuthorizationStatus.INVALID  # allowed, but at other EVSEs than the one asking
    return RealtimeAuthorization.objects.create(
        id_tag=question.id_tag,
        partner=partner,
        status=status,
        allowed=allowed,
        authorization_reference=reference[:36] if isinstance(reference, str) else "",
        location_id=(references or {}).get("location_id", ""),
        evse_uid=next(iter((references or {}).get("evse_uids", [])), ""),
        created_at=timezone.now(),
    )


def _allows_here(location: Any, references: dict[str, Any] | None) -> bool:
    """Whether an ALLOWED answer covers the EVSE asking: OCPI's AuthorizationInfo.location, when given,
    lists "only the EVSEs the EV driver is allowed to charge at"."""
    asked = (references or {}).get("evse_uids") or []
    if not isinstance(location, dict) or not location.get("evse_uids") or not asked:
        return True
    return set(asked) <= {str(uid) for uid in location["evse_uids"]}


def authorize_in_real_time(question: RemoteQuestion) -> str | None:
    """The AuthorizationStatus the token's eMSP(s) give now (or gave moments ago), None when none answered;
    Accepted for a token its eMSP's accepted command vouches for at this station."""
    if question.station_id is not None and vouched_for(
        id_tag=question.id_tag, station_id=question.station_id, since=timezone.now() - COMMAND_VOUCHES
    ):
        return AuthorizationStatus.ACCEPTED
    references = _references(question)
    location_id = (references or {}).get("location_id", "")
    cached = cached_answer(id_tag=question.id_tag, location_id=location_id)  # an answer for here, not elsewhere
    if cached is not None:
        return cached.status
    partners = issuers_to_ask(issuer_party=question.issuer_party)
    refusal: RealtimeAuthorization | None = None
    unknown = False
    for partner in partners:
        answer = _ask(partner, question, references)
        if isinstance(answer, str):
            unknown = unknown or answer == "unknown"
            continue
        if answer.status == AuthorizationStatus.ACCEPTED:
            return answer.status
        refusal = refusal or answer
    if refusal is not None:
        return refusal.status
    if unknown:
        RealtimeAuthorization.objects.create(
            id_tag=question.id_tag,
            status=AuthorizationStatus.INVALID,
            location_id=location_id,
            created_at=timezone.now(),
        )
        return AuthorizationStatus.INVALID
    return None


def purge_answers(*, now: datetime | None = None) -> int:
    """Delete answers older than the request log's retention (their sessions are long over); how many went."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.OCPI_REQUEST_LOG_RETENTION_DAYS)
    deleted, _ = RealtimeAuthorization.objects.filter(created_at__lt=cutoff).delete()
    return deleted
