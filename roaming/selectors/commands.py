"""Reads about partners' commands: a partner's own sessions, what a START_SESSION gave its session, and
whether an eMSP vouched for a token at a station by a command."""

from collections.abc import Collection, Iterable
from datetime import datetime

from roaming.models import Command
from sessions.models import Transaction


def partner_transaction(*, session_id: str, parties: Collection[str]) -> Transaction | None:
    """The transaction an OCPI session id (str(Transaction.pk)) names, if charged on one of these parties'
    tokens ("CC*PID"); None for any other, so a partner cannot tell another's sessions from unknown ones."""
    if not session_id.isdigit():
        return None
    tx = Transaction.objects.select_related("id_tag", "station", "connector__evse").filter(pk=int(session_id)).first()
    if tx is None or tx.id_tag is None or tx.id_tag.issuer_party not in parties:
        return None
    return tx


def session_references(transaction_ids: Iterable[int]) -> dict[int, str]:
    """Each transaction's authorization_reference, from the START_SESSION that started it (one query for
    a page of sessions)."""
    rows = (
        Command.objects.filter(transaction_id__in=list(transaction_ids), command="START_SESSION")
        .exclude(authorization_reference="")
        .order_by("id")
        .values_list("transaction_id", "authorization_reference")
    )
    return dict(rows)


def vouched_for(*, id_tag: str, station_id: int, since: datetime) -> bool:
    """Whether we accepted a START_SESSION or RESERVE_NOW of this token for this station since `since`."""
    accepted = Command.objects.filter(
        command__in=["START_SESSION", "RESERVE_NOW"], response="ACCEPTED", created_at__gte=since
    )
    return accepted.filter(station_id=station_id, id_tag__id_tag=id_tag).exists()
