"""Whether an id token may charge: decided here once, for every door that asks.

OCPP Authorize and transaction starts ask `authorize` about one token; the
local authorization list (and, later, OCPI token lists) asks
`tokens_that_may_charge` for all of them. Both read the same rule, `standing`,
so a change to it (say, how expiry counts) changes every answer at once.

A roaming partner's token (IdTag.issuer_party set) is held to its issuer's word as well: one its issuer
no longer vouches for (`valid` false) is Blocked, and one its issuer wants to decide on itself at every
use (Whitelist.NEVER) is Invalid unless the issuer said yes just now; both say why in `reason`.

Real-time authorization: a door above (roaming) may register one `RemoteAuthorizer`, asked by `authorize`
about a token we do not know and about a partner's token whose issuer wants to be asked (ALLOWED_OFFLINE,
NEVER). An ALLOWED token is decided from what we hold, as its issuer allows ("whitelisting"), without a
call on every use. The issuer's status replaces the token's own standing; when there is no answer (no
issuer to ask, or none reachable in time) the rule is: an unknown token is Invalid, a NEVER token is
Invalid, an ALLOWED_OFFLINE token has the standing of what we hold (its issuer allows that offline).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from sessions.models import AuthorizationStatus, IdTag, Transaction, Whitelist

WITHDRAWN_BY_ISSUER = "its issuer no longer vouches for it"
ISSUER_DECIDES = "its issuer decides on it only in real time, and did not answer"
ASKS_ISSUER = (Whitelist.ALLOWED_OFFLINE, Whitelist.NEVER)


@dataclass(frozen=True)
class IdTagInfo:
    status: str
    expires_at: datetime | None = None
    parent_id_tag: str | None = None
    reason: str = ""  # why a known token is refused, when its status alone does not say


@dataclass(frozen=True)
class RemoteQuestion:
    """May `id_tag` charge now, at the station (and EVSE) asking when known: what an issuer is asked."""

    id_tag: str
    issuer_party: str  # "CC*PID" of a token we hold; "" for one we do not know
    station_id: int | None = None
    evse_pk: int | None = None


# An AuthorizationStatus, or None when there was nobody to ask or no answer.
RemoteAuthorizer = Callable[[RemoteQuestion], str | None]
_remote_authorizer: RemoteAuthorizer | None = None


def register_remote_authorizer(authorizer: RemoteAuthorizer | None) -> None:
    """Set the one issuer-asking hook (roaming's real-time authorization registers it at start-up)."""
    global _remote_authorizer
    _remote_authorizer = authorizer


def _ask_issuer(tag: IdTag | None, question: RemoteQuestion) -> str | None:
    if _remote_authorizer is None:
        return None
    if tag is not None and not (tag.issuer_party and tag.whitelist in ASKS_ISSUER):
        return None
    return _remote_authorizer(question)


def standing(*, tag: IdTag, now: datetime) -> str:
    """The token's authorization status by itself and its group, whatever it is doing now.

    A token past its expiry is Expired; a partner's token its issuer no longer
    vouches for is Blocked, one only its issuer decides on (Whitelist.NEVER)
    Invalid; a refused parent (a fleet card group) passes its status on.
    Select the parent with the token.
    """
    status = _own_status(tag, now)
    if status == AuthorizationStatus.ACCEPTED and tag.parent is not None:
        status = _own_status(tag.parent, now)
    return status


def _own_status(tag: IdTag, now: datetime) -> str:
    if tag.status != AuthorizationStatus.ACCEPTED:
        return tag.status
    if not tag.valid:
        return AuthorizationStatus.BLOCKED
    if tag.whitelist == Whitelist.NEVER:
        return AuthorizationStatus.INVALID
    if tag.expires_at is not None and tag.expires_at <= now:
        return AuthorizationStatus.EXPIRED
    return AuthorizationStatus.ACCEPTED


def _reason(tag: IdTag, status: str) -> str:
    """Why a known token got `status`, when its issuer's word (not the status it holds) decided it."""
    for own in (tag, tag.parent):
        if own is None or own.status != AuthorizationStatus.ACCEPTED:
            continue
        if status == AuthorizationStatus.BLOCKED and not own.valid:
            return WITHDRAWN_BY_ISSUER
        if status == AuthorizationStatus.INVALID and own.whitelist == Whitelist.NEVER:
            return ISSUER_DECIDES
    return ""


def authorize(
    *,
    id_tag: str,
    now: datetime | None = None,
    ignore_transaction_id: int | None = None,
    station_id: int | None = None,
    evse_pk: int | None = None,
) -> IdTagInfo:
    """Decide whether an id tag may charge now (at `station_id`/`evse_pk`, when the asker knows).

    The issuer's real-time answer when it is asked and answers (see the module); otherwise unknown tags
    are Invalid and known ones have their `standing`. A tag already charging elsewhere is ConcurrentTx
    unless it allows concurrent sessions (`ignore_transaction_id`: the transaction asking is not "elsewhere").
    """
    now = now or timezone.now()
    tag = IdTag.objects.select_related("parent").filter(id_tag=id_tag).first()
    question = RemoteQuestion(
        id_tag=id_tag, issuer_party=tag.issuer_party if tag else "", station_id=station_id, evse_pk=evse_pk
    )
    remote = _ask_issuer(tag, question)
    if remote is not None:  # the issuer may have sent its token with the answer: read it again
        tag = IdTag.objects.select_related("parent").filter(id_tag=id_tag).first()
    if tag is None:
        return IdTagInfo(status=remote or AuthorizationStatus.INVALID)
    parent = tag.parent.id_tag if tag.parent else None
    status = remote or standing(tag=tag, now=now)
    if status == AuthorizationStatus.ACCEPTED and not tag.allow_concurrent_transactions:
        active = Transaction.objects.filter(id_tag=tag, status=Transaction.Status.ACTIVE)
        if ignore_transaction_id is not None:
            active = active.exclude(pk=ignore_transaction_id)
        if active.exists():
            status = AuthorizationStatus.CONCURRENT_TX
    reason = _reason(tag, status) if remote is None else ""
    return IdTagInfo(status=status, expires_at=tag.expires_at, parent_id_tag=parent, reason=reason)


def tokens_that_may_charge(*, now: datetime | None = None) -> list[IdTag]:
    """Every id token whose standing is Accepted now, by id tag, with its parent selected.

    A partner's token whose issuer allows us to decide on it (ALWAYS, ALLOWED, ALLOWED_OFFLINE) is among
    them like ours; one whose issuer decides (NEVER) or no longer vouches for it is not.
    For lists a station (or a roaming partner) keeps to decide without us: a
    token's concurrent sessions are for the station to judge when it starts one.
    """
    now = now or timezone.now()
    tags = IdTag.objects.select_related("parent").order_by("id_tag")
    return [tag for tag in tags.iterator(chunk_size=2000) if standing(tag=tag, now=now) == AuthorizationStatus.ACCEPTED]
