"""Alerts' reads: the inbox and its count."""

from django.db.models import Case, IntegerField, QuerySet, Value, When

from alerts.models import Alert
from alerts.rules import RULES

INBOX_LIMIT = 200


def inbox(*, state: str = "", rule: str = "") -> QuerySet[Alert]:
    """Open and acknowledged first, then resolved; newest first within each. Empty filters: all."""
    alerts = Alert.objects.select_related("station", "acknowledged_by", "resolved_by")
    if state:
        alerts = alerts.filter(state=state)
    if rule:
        alerts = alerts.filter(rule=rule)
    active_first = Case(
        When(state__in=Alert.ACTIVE_STATES, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return alerts.order_by(active_first, "-opened_at", "-id")[:INBOX_LIMIT]


def active_count() -> int:
    """What the top bar's badge shows: alerts open or acknowledged (not yet resolved)."""
    return Alert.objects.filter(state__in=Alert.ACTIVE_STATES).count()


def rule_choices() -> list[tuple[str, str]]:
    return [(r.name, r.label) for r in RULES.values()]
