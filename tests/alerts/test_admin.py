"""Alerts in the admin: listed, not added or deleted by hand; acknowledged and resolved by its actions."""

import pytest
from django.utils import timezone

from alerts.models import Alert

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/alerts/alert/"


@pytest.fixture
def alert(db):
    now = timezone.now()
    return Alert.objects.create(
        rule="faulted", subject="connector:1", title="CP-9 EVSE 1 connector 1 Faulted", opened_at=now, last_seen_at=now
    )


def test_the_actions_acknowledge_and_resolve(admin_client, admin_user, alert):
    page = admin_client.get(CHANGELIST)
    assert page.status_code == 200 and b"CP-9 EVSE 1 connector 1 Faulted" in page.content
    assert admin_client.get("/admin/alerts/alert/add/").status_code == 403
    admin_client.post(CHANGELIST, {"action": "acknowledge", "_selected_action": [alert.pk]})
    alert.refresh_from_db()
    assert (alert.state, alert.acknowledged_by) == ("acknowledged", admin_user)
    admin_client.post(CHANGELIST, {"action": "resolve", "_selected_action": [alert.pk]})
    alert.refresh_from_db()
    assert (alert.state, alert.resolved_by, alert.auto_resolved) == ("resolved", admin_user, False)
