"""A new alert e-mails ALERTS_EMAIL_TO once (Django's locmem backend in tests), with its title and the inbox's link."""

import pytest
from django.core import mail
from django.utils import timezone

from alerts import mail as alert_mail
from alerts.models import Alert
from alerts.services import evaluate
from stations.models import ChargingStation

pytestmark = pytest.mark.django_db


@pytest.fixture
def skewed(station):
    ChargingStation.objects.filter(pk=station.pk).update(clock_skew_seconds=3600)
    return station


def test_a_new_alert_sends_one_email(skewed, settings, eager_tasks, django_capture_on_commit_callbacks):
    settings.ALERTS_EMAIL_TO = ["ops@example.com", "night@example.com"]
    with django_capture_on_commit_callbacks(execute=True):
        evaluate()
    alert = Alert.objects.get()
    [message] = mail.outbox
    assert message.to == ["ops@example.com", "night@example.com"]
    assert message.subject == "[Voltstack alert] CP-ALERT clock is +3600 s off"
    assert f"http://127.0.0.1:8000/dashboard/alerts/#alert-{alert.pk}" in message.body

    with django_capture_on_commit_callbacks(execute=True):
        evaluate(now=timezone.now())  # still true: touched, no new e-mail
    assert alert_mail.send_new_alert(alert_id=alert.pk) is False  # a retried task
    assert len(mail.outbox) == 1


def test_no_recipients_no_email(skewed, settings, eager_tasks, django_capture_on_commit_callbacks):
    settings.ALERTS_EMAIL_TO = []
    with django_capture_on_commit_callbacks(execute=True):
        evaluate()
    assert Alert.objects.count() == 1 and mail.outbox == []
