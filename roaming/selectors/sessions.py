"""The sessions and CDRs each partner sees: those of the tokens it issued (one of its parties' "CC*PID").

A Session's last_updated is the newest of its times (roaming.mapping.sessions.session_last_updated), so
"changed at or after t" is "one of those times is at or after t"; a CDR's is the moment it was sealed.
"""

from datetime import datetime

from django.db.models import Q, QuerySet

from billing.models import ChargeDetailRecord
from sessions.models import Transaction

_SESSION_TIMES = ("updated_at", "cost_priced_at", "last_reading_at", "stopped_at", "charge_detail_record__created_at")


def partner_sessions(
    *, issuers: list[str], date_from: datetime | None = None, date_to: datetime | None = None
) -> QuerySet[Transaction]:
    """Transactions of the issuers' tokens whose last_updated is in [date_from, date_to), oldest pk first."""
    queryset = Transaction.objects.filter(id_tag__issuer_party__in=issuers)
    if date_from is not None:
        queryset = queryset.filter(_changed_since(date_from))
    if date_to is not None:
        queryset = queryset.exclude(_changed_since(date_to))
    return queryset.select_related("id_tag", "station", "connector__evse__station", "charge_detail_record").order_by(
        "pk"
    )


def partner_cdrs(
    *, issuers: list[str], date_from: datetime | None = None, date_to: datetime | None = None
) -> QuerySet[ChargeDetailRecord]:
    """Sealed records of the issuers' tokens' sessions created in [date_from, date_to), oldest pk first."""
    queryset = ChargeDetailRecord.objects.filter(transaction__id_tag__issuer_party__in=issuers)
    if date_from is not None:
        queryset = queryset.filter(created_at__gte=date_from)
    if date_to is not None:
        queryset = queryset.filter(created_at__lt=date_to)
    return queryset.select_related(
        "transaction__id_tag", "transaction__station__location", "transaction__connector__evse__station"
    ).order_by("pk")


def _changed_since(moment: datetime) -> Q:
    changed = Q()
    for name in _SESSION_TIMES:
        changed |= Q(**{f"{name}__gte": moment})
    return changed
