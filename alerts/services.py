"""Alerts' writes: an evaluation reconciles the rules' conditions with the Alert rows; operators acknowledge and resolve.

Reconciling, per rule (and per station when only one is evaluated):
- a condition true with no open or acknowledged alert opens one (`new`);
- a condition still true touches its alert (last seen, title and details as they are now);
- an open or acknowledged alert whose condition is gone is resolved (`auto_resolved`).

An alert an operator resolved while its condition still held opens no new
alert until an evaluation has seen the condition clear once (`cleared_at`):
"resolved" means "handled, stop telling me", and a fault that stays is the
same fault. Once it has cleared, the condition holding again is new.

Two evaluations may run at once (beat and a lifecycle event): the database
allows one open or acknowledged alert per (rule, subject), so the second to
open one finds it taken and leaves it; and an evaluation resolves only what
was last seen before it started, never an alert another one just opened.
Every change is published to the dashboard socket after its commit.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from alerts import rules
from alerts.models import Alert
from csms import live

State = Alert.State


@dataclass(frozen=True)
class Changes:
    opened: int = 0
    resolved: int = 0


def evaluate(
    *, now: datetime | None = None, station_id: int | None = None, names: tuple[str, ...] | None = None
) -> Changes:
    """Evaluate every rule (or those named) for the network, or for one station; idempotent."""
    now = now or timezone.now()
    opened = resolved = 0
    for rule in rules.selected(per_station=station_id is not None, names=names):
        conditions = {c.subject: c for c in rule.find(now=now, station_id=station_id)}
        one_opened, one_resolved = _reconcile(rule.name, conditions, now=now, station_id=station_id)
        opened, resolved = opened + one_opened, resolved + one_resolved
    return Changes(opened=opened, resolved=resolved)


def _reconcile(rule: str, conditions: dict[str, rules.Condition], *, now: datetime, station_id: int | None):
    alerts = Alert.objects.filter(rule=rule)
    if station_id is not None:
        alerts = alerts.filter(station_id=station_id)
    active = {a.subject: a for a in alerts.filter(state__in=Alert.ACTIVE_STATES)}
    resolved = sum(_resolve_cleared(a, now=now) for subject, a in active.items() if subject not in conditions)
    for subject, condition in conditions.items():
        if subject in active:
            _touch(active[subject], condition, now=now)
    # What an operator resolved by hand: seen clear now, it may open again; still true, it stays quiet.
    hand_resolved = alerts.filter(state=State.RESOLVED, auto_resolved=False, cleared_at__isnull=True)
    hand_resolved.exclude(subject__in=list(conditions)).update(cleared_at=now)
    quiet = set(
        hand_resolved.filter(subject__in=[s for s in conditions if s not in active]).values_list("subject", flat=True)
    )
    opened = sum(_open(rule, c, now=now) for s, c in conditions.items() if s not in active and s not in quiet)
    return opened, resolved


def _open(rule: str, condition: rules.Condition, *, now: datetime) -> bool:
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                rule=rule,
                subject=condition.subject,
                station_id=condition.station_id,
                charge_point_id=condition.charge_point_id,
                title=condition.title,
                details=condition.details,
                severity=condition.severity,
                opened_at=now,
                last_seen_at=now,
            )
    except IntegrityError:  # another evaluation opened it meanwhile
        return False
    _published(alert, new=True)
    if settings.ALERTS_EMAIL_TO:
        from alerts import tasks  # the tasks call back into this module

        transaction.on_commit(lambda: tasks.email_alert.delay(alert.pk))
    return True


def _touch(alert: Alert, condition: rules.Condition, *, now: datetime) -> None:
    Alert.objects.filter(pk=alert.pk, last_seen_at__lt=now).update(
        last_seen_at=now, title=condition.title, details=condition.details, severity=condition.severity
    )


def _resolve_cleared(alert: Alert, *, now: datetime) -> bool:
    """Resolve an alert whose condition is gone, unless someone saw it true after this evaluation began."""
    done = Alert.objects.filter(pk=alert.pk, state__in=Alert.ACTIVE_STATES, last_seen_at__lt=now).update(
        state=State.RESOLVED, resolved_at=now, auto_resolved=True, cleared_at=now
    )
    if done:
        alert.state = State.RESOLVED
        _published(alert, new=False)
    return bool(done)


class AlertClosed(Exception):
    """The alert is resolved already: there is nothing left to acknowledge or resolve."""


def acknowledge(*, alert_id: int, user) -> Alert:
    """Someone is on it: the alert stays in the inbox, acknowledged, until it is resolved."""
    return _move(alert_id, {State.OPEN}, state=State.ACKNOWLEDGED, acknowledged_at=timezone.now(), acknowledged_by=user)


def resolve(*, alert_id: int, user) -> Alert:
    """Handled by hand: it leaves the inbox; its condition, if it still holds, opens no new alert until it clears."""
    return _move(alert_id, set(Alert.ACTIVE_STATES), state=State.RESOLVED, resolved_at=timezone.now(), resolved_by=user)


def _move(alert_id: int, from_states: set, **changes) -> Alert:
    """A conditional update: acknowledging twice, or a resolve racing an evaluation, changes the alert once."""
    with transaction.atomic():
        moved = Alert.objects.filter(pk=alert_id, state__in=from_states).update(**changes)
        alert = Alert.objects.get(pk=alert_id)
        if not moved and alert.state == State.RESOLVED:
            raise AlertClosed(f"Alert {alert_id} is resolved already.")
        if moved:
            _published(alert, new=False)
    return alert


def _published(alert: Alert, *, new: bool) -> None:
    live.publish(
        [live.DASHBOARD_GROUP],
        {
            "type": "alert_changed",
            "alert_id": alert.pk,
            "rule": alert.rule,
            "state": alert.state,
            "new": new,
            "station_id": alert.station_id,
            "charge_point_id": alert.charge_point_id,
            "title": alert.title,
        },
    )
