"""The operators' partner pages: token A shown once, registering with a partner, unregistering, the log."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from roaming.models import Partner, RequestLog
from roaming.services.request_log import purge_request_log
from tests.roaming.conftest import auth
from tests.roaming.fake_partner import VERSIONS_URL
from tests.roles import define_roles

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:roaming_partner_changelist")


def test_issue_token_a_shows_it_once_and_it_opens_the_credentials_endpoint(admin_client, client):
    partner = Partner.objects.create(name="Example")
    page = admin_client.post(CHANGELIST, {"action": "issue_token_a", "_selected_action": [partner.pk]})
    assert page.status_code == 200
    token = page.context["token"]
    assert token in page.content.decode()
    partner.refresh_from_db()
    assert partner.token_a_hash and token not in partner.token_a_hash
    assert client.get("/ocpi/2.2.1/credentials", **auth(token)).status_code == 200
    assert token not in admin_client.get(reverse("admin:roaming_partner_change", args=[partner.pk])).content.decode()


def test_register_with_partner_form(admin_client, emsp):
    assert "Register with partner" in admin_client.get(CHANGELIST).content.decode()
    url = reverse("admin:roaming_partner_register")
    response = admin_client.post(url, {"name": "Example", "versions_url": VERSIONS_URL, "token_a": "token-b"})
    partner = Partner.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{partner.pk}/change/")
    assert partner.status == Partner.Status.REGISTERED
    page = admin_client.get(CHANGELIST).content.decode()
    assert "EMSP NL*EXA, EMSP BE*EXB" in page and "credentials, locations" in page


def test_register_with_partner_form_shows_the_refusal(admin_client, emsp):
    emsp.modules = ("credentials",)
    url = reverse("admin:roaming_partner_register")
    response = admin_client.post(url, {"name": "Example", "versions_url": VERSIONS_URL, "token_a": "token-b"})
    assert response.status_code == 200
    assert "3003" in response.content.decode()


def test_unregister_action(admin_client, emsp):
    admin_client.post(
        reverse("admin:roaming_partner_register"),
        {"name": "Example", "versions_url": VERSIONS_URL, "token_a": "token-b"},
    )
    partner = Partner.objects.get()
    admin_client.post(CHANGELIST, {"action": "unregister", "_selected_action": [partner.pk]})
    partner.refresh_from_db()
    assert partner.status == Partner.Status.UNREGISTERED
    assert emsp.received[-1].method == "DELETE"


def test_request_log_is_read_only_and_purged_after_its_retention(admin_client, settings):
    settings.OCPI_REQUEST_LOG_RETENTION_DAYS = 7
    now = timezone.now()
    for age in (8, 6):
        RequestLog.objects.create(direction="in", method="GET", url="/x", created_at=now - timedelta(days=age))
    assert admin_client.get(reverse("admin:roaming_requestlog_changelist")).status_code == 200
    row = RequestLog.objects.first()
    assert admin_client.get(reverse("admin:roaming_requestlog_change", args=[row.pk])).status_code == 200
    assert admin_client.get(reverse("admin:roaming_requestlog_add")).status_code == 403
    assert purge_request_log(now=now) == 1
    assert RequestLog.objects.count() == 1


def test_every_role_sees_roaming_and_only_the_operator_changes_partners_pushes_and_publishing(db):

    def codenames(name):
        return set(
            Group.objects.get(name=name)
            .permissions.filter(content_type__app_label="roaming")
            .values_list("codename", flat=True)
        )

    seen = {
        "view_partner", "view_requestlog", "view_push", "view_command", "view_realtimeauthorization",
        "view_hubclientinfo", "view_locationpublishing",
    }  # fmt: skip
    assert codenames("viewer") == codenames("finance") == seen
    assert codenames("operator") == seen | {
        "add_partner", "change_partner", "change_push", "add_locationpublishing", "change_locationpublishing",
    }  # fmt: skip


def test_a_viewer_reads_the_partners_commands_and_cannot_change_a_partner(client, django_user_model):
    define_roles()
    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.groups.set(Group.objects.filter(name="viewer"))
    client.force_login(viewer)
    assert client.get(reverse("admin:roaming_command_changelist")).status_code == 200
    partner = Partner.objects.create(name="Partner eMSP")
    change = client.get(reverse("admin:roaming_partner_change", args=[partner.pk]))
    assert change.status_code == 200 and b'name="_save"' not in change.content
