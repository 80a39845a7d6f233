"""An alert's life: opened by a lifecycle event, never twice, quiet after a hand resolve until its condition cleared."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from alerts import services
from alerts.models import Alert
from sessions import driver_sessions
from sessions.models import DriverSession
from stations.services.status import StatusReport, record_status
from tests.alerts.conftest import active

pytestmark = pytest.mark.django_db

FAULT = StatusReport("Faulted", error_code="ConnectorLockFailure", vendor_id="Wallbe", vendor_error_code="0x1F")
TITLE = "CP-ALERT EVSE 1 connector 1 Faulted: ConnectorLockFailure (vendor error 0x1F from Wallbe)"


def status(station, report: StatusReport) -> None:
    record_status(station_id=station.pk, evse_number=1, connector_number=1, report=report, timestamp=timezone.now())


@pytest.fixture
def operator(db):
    return get_user_model().objects.create_user("op", "op@example.com", "a-password-of-staff", is_staff=True)


def test_a_faulted_status_notification_opens_the_alert_once_it_commits(
    station, connector, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        status(station, StatusReport("Available"))
    assert Alert.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        status(station, FAULT)
    [alert] = active("faulted")
    assert (alert.subject, alert.title) == (f"connector:{connector.pk}", TITLE)
    assert published == [
        {
            "type": "alert_changed",
            "alert_id": alert.pk,
            "rule": "faulted",
            "state": "open",
            "new": True,
            "station_id": station.pk,
            "charge_point_id": "CP-ALERT",
            "title": TITLE,
        }
    ]
    with django_capture_on_commit_callbacks(execute=True):
        status(station, StatusReport("Available"))
    alert.refresh_from_db()
    assert (alert.state, alert.auto_resolved) == ("resolved", True)
    assert published[-1]["state"] == "resolved" and published[-1]["new"] is False


def test_failed_remote_starts_are_evaluated_for_their_station(
    station, remote_start, eager_tasks, django_capture_on_commit_callbacks
):
    remote_start(DriverSession.State.COMPLETED)
    remote_start(DriverSession.State.FAILED, "station_rejected")
    pending = remote_start(DriverSession.State.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        driver_sessions.fail(session_id=pending.pk, code="start_timeout", message="The charger did not start.")
    [alert] = active("start_failures")
    assert alert.title == "CP-ALERT: 2 of 3 remote starts failed in the last 60 min"


def test_evaluating_twice_opens_one_alert_and_touches_it(station, published):
    status(station, FAULT)
    services.evaluate()
    first = Alert.objects.get()
    later = timezone.now() + timedelta(seconds=5)
    services.evaluate(now=later)
    again = Alert.objects.get()
    assert (again.pk, again.opened_at, again.last_seen_at) == (first.pk, first.opened_at, later)
    assert len(published) == 1


def test_an_evaluation_that_loses_the_race_to_open_leaves_the_other_ones_alert(station, published, monkeypatch):
    """Evaluation A read no active alert; B opens it before A does: A's insert is refused and A moves on."""
    status(station, FAULT)
    original = services._open
    raced = []

    def open_after_another(rule, condition, *, now):
        if not raced:
            raced.append(True)
            services.evaluate(now=now + timedelta(milliseconds=1))  # B, all the way through
        return original(rule, condition, now=now)

    monkeypatch.setattr(services, "_open", open_after_another)
    changes = services.evaluate()
    assert changes.opened == 0
    assert Alert.objects.filter(rule="faulted").count() == 1 and len(published) == 1


def test_the_database_holds_one_active_alert_per_rule_and_subject(station):
    fields = {
        "rule": "faulted",
        "subject": "connector:1",
        "title": "t",
        "opened_at": timezone.now(),
        "last_seen_at": timezone.now(),
    }
    Alert.objects.create(**fields, state=Alert.State.RESOLVED)
    Alert.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(**fields, state=Alert.State.ACKNOWLEDGED)


def test_an_evaluation_never_resolves_what_was_seen_after_it_began(station):
    status(station, FAULT)
    services.evaluate()
    alert = Alert.objects.get()
    status(station, StatusReport("Available"))
    services.evaluate(now=alert.last_seen_at - timedelta(seconds=1))  # began before the alert was last seen
    alert.refresh_from_db()
    assert alert.state == "open"
    services.evaluate()
    alert.refresh_from_db()
    assert alert.state == "resolved"


def test_resolved_by_hand_while_faulted_it_stays_quiet_until_the_fault_cleared_once(station, operator, published):
    status(station, FAULT)
    services.evaluate()
    alert = Alert.objects.get()
    services.resolve(alert_id=alert.pk, user=operator)
    alert.refresh_from_db()
    assert (alert.state, alert.resolved_by, alert.auto_resolved) == ("resolved", operator, False)

    services.evaluate()  # still Faulted: no new alert
    assert Alert.objects.count() == 1 and active("faulted") == []

    status(station, StatusReport("Available"))
    services.evaluate()
    alert.refresh_from_db()
    assert alert.cleared_at is not None

    status(station, FAULT)
    services.evaluate()
    [reopened] = active("faulted")
    assert reopened.pk != alert.pk and published[-1]["new"] is True


def test_acknowledge_then_resolve_publish_each_move_once(station, operator, published):
    status(station, FAULT)
    services.evaluate()
    alert = Alert.objects.get()
    services.acknowledge(alert_id=alert.pk, user=operator)
    services.acknowledge(alert_id=alert.pk, user=operator)
    alert.refresh_from_db()
    assert (alert.state, alert.acknowledged_by) == ("acknowledged", operator)
    services.resolve(alert_id=alert.pk, user=operator)
    with pytest.raises(services.AlertClosed):
        services.resolve(alert_id=alert.pk, user=operator)
    assert [(m["state"], m["new"]) for m in published] == [("open", True), ("acknowledged", False), ("resolved", False)]


def test_an_acknowledged_alert_resolves_itself_when_the_condition_clears(station, operator):
    status(station, FAULT)
    services.evaluate()
    alert = Alert.objects.get()
    services.acknowledge(alert_id=alert.pk, user=operator)
    status(station, StatusReport("Available"))
    services.evaluate()
    alert.refresh_from_db()
    assert (alert.state, alert.auto_resolved) == ("resolved", True)
