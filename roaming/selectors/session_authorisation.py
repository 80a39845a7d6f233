"""How each partner's session was authorised, as OCPI tells it back in the Session and the CDR.

COMMAND with the START_SESSION's authorization_reference when the partner's command started it;
AUTH_REQUEST (with the reference the eMSP gave, if any) when its real-time answer allowed the start;
WHITELIST otherwise: the charger's start was checked against the token its issuer pushed to us.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings

from roaming.models import RealtimeAuthorization
from roaming.selectors.commands import session_references
from sessions.models import AuthorizationStatus, Transaction


@dataclass(frozen=True)
class Authorised:
    method: str  # OCPI AuthMethod
    reference: str | None = None


WHITELIST = Authorised("WHITELIST")


def session_authorisations(transactions: Sequence[Transaction]) -> dict[int, Authorised]:
    """Each transaction's Authorised, in two queries for a page of sessions."""
    commands = session_references(tx.pk for tx in transactions)
    answers = _realtime_answers([tx for tx in transactions if tx.pk not in commands])
    found = {}
    for tx in transactions:
        if tx.pk in commands:
            found[tx.pk] = Authorised("COMMAND", commands[tx.pk])
        elif (answer := _answer_for(tx, answers)) is not None:
            found[tx.pk] = Authorised("AUTH_REQUEST", answer.authorization_reference or None)
        else:
            found[tx.pk] = WHITELIST
    return found


def session_authorisation(transaction: Transaction) -> Authorised:
    return session_authorisations([transaction])[transaction.pk]


def _lifetime() -> timedelta:
    return timedelta(seconds=settings.OCPI_AUTHORIZE_CACHE_SECONDS)


def _realtime_answers(transactions: Sequence[Transaction]) -> list[RealtimeAuthorization]:
    """The ALLOWED answers about these sessions' tokens around their starts, newest first."""
    if not transactions:
        return []
    starts = [tx.started_at for tx in transactions]
    return list(
        RealtimeAuthorization.objects.filter(
            id_tag__in={tx.id_tag_value for tx in transactions},
            status=AuthorizationStatus.ACCEPTED,
            created_at__gte=min(starts) - _lifetime(),
            created_at__lte=max(starts) + _lifetime(),
        ).order_by("-created_at", "-id")
    )


def _answer_for(tx: Transaction, answers: list[RealtimeAuthorization]) -> RealtimeAuthorization | None:
    """The answer that allowed the start: the latest ALLOWED about its token within the cache lifetime either
    side of it (the charger's clock, and an answer given to the StartTransaction itself, sit either side)."""
    return next(
        (
            answer
            for answer in answers
            if answer.id_tag == tx.id_tag_value and abs(answer.created_at - tx.started_at) <= _lifetime()
        ),
        None,
    )
