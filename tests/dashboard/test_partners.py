"""Issue 12, the dashboard's partners page: each OCPI partner's parties, endpoints, push queue and requests,
as an operator reads them, and the retry button of its failed pushes.

Partners, pushes and logged requests are rows as the handshake, the push queue and the OCPI client leave
them; the pages are read through the Django test client as a signed-in member of each role.
"""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from roaming import tasks
from roaming.models import Partner, Push, RequestLog
from roaming.secrets import encrypt
from tests.roles import define_roles

pytestmark = pytest.mark.django_db

BASE = "https://emsp.example.com/ocpi/2.2.1"


@pytest.fixture(autouse=True)
def roles(db):
    define_roles()


def signed_in(client, django_user_model, role: str | None, *, staff: bool = True, perms: tuple[str, ...] = ()):
    user = django_user_model.objects.create_user(role or "driver", password="a-password-of-staff", is_staff=staff)
    if role:
        user.groups.add(Group.objects.get(name=role))
    for label in perms:
        app_label, codename = label.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    client.force_login(user)
    return client


@pytest.fixture
def operator(client, django_user_model):
    return signed_in(client, django_user_model, "operator")


def registered_partner(name: str = "Hub One") -> Partner:
    return Partner.objects.create(
        name=name,
        status=Partner.Status.REGISTERED,
        country_code="NL",
        party_id="EXA",
        roles=[
            {"role": "EMSP", "country_code": "NL", "party_id": "EXA", "business_details": {"name": name}},
            {"role": "HUB", "country_code": "DE", "party_id": "HUB", "business_details": {"name": name}},
        ],
        versions_url=f"{BASE.removesuffix('/2.2.1')}/versions",
        version="2.2.1",
        endpoints={
            "credentials": {"SENDER": f"{BASE}/credentials", "RECEIVER": f"{BASE}/credentials"},
            "locations": {"RECEIVER": f"{BASE}/locations"},
            "tokens": {"SENDER": f"{BASE}/tokens"},
        },
        their_token_encrypted=encrypt("token-b"),
    )


def queued(partner: Partner, state: str, *, age: timedelta, error: str = "", key: str = "1/17") -> Push:
    at = timezone.now() - age
    return Push.objects.create(
        partner=partner,
        module="locations",
        object_key=key,
        method=Push.Method.PATCH,
        path=f"DE/VST/{key}",
        body={"status": "AVAILABLE", "last_updated": at.isoformat()},
        state=state,
        attempts=3 if error else 0,
        last_error=error,
        created_at=at,
        next_attempt_at=at,
    )


def logged(partner: Partner, direction: str, method: str, url: str, *, age: timedelta, **fields) -> RequestLog:
    return RequestLog.objects.create(
        partner=partner, direction=direction, method=method, url=url, created_at=timezone.now() - age, **fields
    )


@pytest.fixture
def busy_partner():
    """A registered hub with a queue (3 pending, 2 failed, 1 sent) and requests both ways, two of them
    failed in the last 24 h and one failed two days ago."""
    partner = registered_partner()
    queued(partner, Push.State.SENT, age=timedelta(hours=3))
    queued(partner, Push.State.FAILED, age=timedelta(hours=3), error="2001: unknown location", key="7")
    queued(partner, Push.State.FAILED, age=timedelta(hours=2, minutes=30), error="2001: unknown EVSE", key="7/3")
    queued(partner, Push.State.PENDING, age=timedelta(hours=2), error="connection refused")
    queued(partner, Push.State.PENDING, age=timedelta(hours=1))
    queued(partner, Push.State.PENDING, age=timedelta(minutes=5))
    out, into = RequestLog.Direction.OUT, RequestLog.Direction.IN
    logged(partner, out, "PUT", f"{BASE}/locations/DE/VST/7", age=timedelta(days=2), error="read timed out")
    logged(
        partner,
        into,
        "PUT",
        "/ocpi/2.2.1/tokens/NL/EXA/T1",
        age=timedelta(hours=4),
        http_status=200,
        ocpi_status_code=1000,
    )
    logged(
        partner, into, "GET", "/ocpi/2.2.1/locations", age=timedelta(hours=1), http_status=200, ocpi_status_code=1000
    )
    logged(
        partner,
        out,
        "PATCH",
        f"{BASE}/locations/DE/VST/7/3",
        age=timedelta(hours=2),
        http_status=200,
        ocpi_status_code=2001,
    )
    logged(
        partner, out, "PATCH", f"{BASE}/locations/DE/VST/1/17", age=timedelta(minutes=30), error="connection refused"
    )
    return partner


def row(html: str, element_id: str) -> str:
    found = re.search(rf'<tr id="{element_id}".*?</tr>', html, re.S)
    assert found, f"no row {element_id}"
    return found.group(0)


def count(html: str, css_class: str) -> int:
    found = re.search(rf'class="{css_class}" data-count="(\d+)"', html)
    assert found, f"no {css_class} figure"
    return int(found.group(1))


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_an_operator_sees_a_registered_partners_parties_endpoints_queue_and_requests(operator, busy_partner):
    html = operator.get(reverse("dashboard:partners")).content.decode()
    line = row(html, f"partner-{busy_partner.pk}")
    words = text(line)
    assert "Hub One" in words and "registered" in words and "2.2.1" in words
    assert "NL*EXA EMSP" in words and "DE*HUB HUB" in words
    assert "credentials (RECEIVER, SENDER)" in words and "locations (RECEIVER)" in words and "tokens (SENDER)" in words
    assert count(line, "pending") == 3 and count(line, "failed") == 2 and count(line, "errors") == 2
    oldest = int(re.search(r'class="oldest" data-seconds="(\d+)"', line).group(1))
    assert 2 * 3600 <= oldest < 2 * 3600 + 600
    assert "connection refused" in words  # the latest error of the queue: its pending head's
    last_in = re.search(r'<td class="last-in">.*?</td>', line, re.S).group(0)
    assert "GET" in last_in and "200 / 1000" in text(last_in)
    last_out = re.search(r'<td class="last-out">.*?</td>', line, re.S).group(0)
    assert "PATCH" in last_out and "no answer" in last_out
    assert 'href="/dashboard/partners/"' in html and 'aria-current="page"' in html


def test_a_pending_partner_shows_it_waits_for_its_registration(operator):
    partner = Partner.objects.create(name="Newcomer", token_a_hash="0" * 64)
    html = operator.get(reverse("dashboard:partners")).content.decode()
    words = text(row(html, f"partner-{partner.pk}"))
    assert "Newcomer" in words and "pending (not registered yet)" in words
    assert count(row(html, f"partner-{partner.pk}"), "pending") == 0

    page = operator.get(reverse("dashboard:partner", args=[partner.pk])).content.decode()
    assert "No endpoints: the partner has not registered." in text(page)
    assert f'href="{reverse("admin:roaming_partner_change", args=[partner.pk])}"' in page
    assert f'href="{reverse("admin:roaming_partner_register")}"' in page


def test_the_partners_page_shows_its_endpoints_failed_pushes_and_last_requests(operator, busy_partner):
    page = operator.get(reverse("dashboard:partner", args=[busy_partner.pk])).content.decode()
    words = text(page)
    assert f"locations RECEIVER {BASE}/locations" in words and f"tokens SENDER {BASE}/tokens" in words
    assert count(page, "pending") == 3 and count(page, "failed") == 2 and count(page, "errors") == 2
    failed = re.findall(r'<tr id="push-(\d+)"', page)
    assert [int(pk) for pk in failed] == list(
        Push.objects.filter(partner=busy_partner, state=Push.State.FAILED).order_by("-id").values_list("pk", flat=True)
    )
    assert "2001: unknown EVSE" in words and "2001: unknown location" in words
    requests = re.findall(r'<tr id="request-(\d+)"', page)
    assert len(requests) == 5
    newest = RequestLog.objects.filter(partner=busy_partner).order_by("-created_at").first()
    assert requests[0] == str(newest.pk)
    assert f'href="{reverse("admin:roaming_requestlog_change", args=[newest.pk])}"' in page
    assert "PATCH" in text(row(page, f"request-{newest.pk}")) and "connection refused" in text(
        row(page, f"request-{newest.pk}")
    )


def test_only_the_last_fifty_requests_are_listed(operator):
    partner = registered_partner()
    for minutes in range(60):
        logged(
            partner,
            RequestLog.Direction.IN,
            "GET",
            "/ocpi/2.2.1/locations",
            age=timedelta(minutes=minutes),
            http_status=200,
        )
    page = operator.get(reverse("dashboard:partner", args=[partner.pk])).content.decode()
    assert len(re.findall(r'<tr id="request-', page)) == 50


def test_a_driver_a_roleless_staff_member_and_a_visitor_never_see_it(client, django_user_model, busy_partner):
    urls = [reverse("dashboard:partners"), reverse("dashboard:partner", args=[busy_partner.pk])]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    signed_in(client, django_user_model, None, staff=False)
    assert [client.get(url).status_code for url in urls] == [403, 403]
    client.logout()
    staff_member = django_user_model.objects.create_user("nobody", password="pw", is_staff=True)
    client.force_login(staff_member)
    assert [client.get(url).status_code for url in urls] == [403, 403]


def test_an_unknown_partner_is_404(operator):
    assert operator.get(reverse("dashboard:partner", args=[999])).status_code == 404


def retry_buttons(page: str) -> list[str]:
    return re.findall(r'<button[^>]*data-command="retry[^"]*"[^>]*>', page)


def test_a_viewer_sees_the_retry_buttons_disabled_and_its_post_retries_nothing(client, django_user_model, busy_partner):
    viewer = signed_in(client, django_user_model, "viewer")
    buttons = retry_buttons(viewer.get(reverse("dashboard:partner", args=[busy_partner.pk])).content.decode())
    assert len(buttons) == 3 and all("disabled" in button for button in buttons)
    with mock.patch.object(tasks.send_pushes, "delay") as delay:
        response = viewer.post(reverse("dashboard:partner-retry", args=[busy_partner.pk]))
    assert response.status_code == 403 and not delay.called
    assert Push.objects.filter(partner=busy_partner, state=Push.State.FAILED).count() == 2


def test_retry_takes_a_failed_push_up_again_and_wakes_the_partners_sender(
    client, django_user_model, busy_partner, django_capture_on_commit_callbacks
):
    """With the admin retry action's permission: the push is pending and due again with a fresh run of
    attempts, the partner's sender is handed to Celery; another partner's push posted here is left alone."""
    other = queued(registered_partner("Other"), Push.State.FAILED, age=timedelta(hours=1), error="2001")
    retrier = signed_in(client, django_user_model, "operator", perms=("roaming.change_push",))
    page = retrier.get(reverse("dashboard:partner", args=[busy_partner.pk])).content.decode()
    assert not [button for button in retry_buttons(page) if "disabled" in button]
    one, *_ = Push.objects.filter(partner=busy_partner, state=Push.State.FAILED).order_by("id")
    with mock.patch.object(tasks.send_pushes, "delay") as delay, django_capture_on_commit_callbacks(execute=True):
        response = retrier.post(
            reverse("dashboard:partner-retry", args=[busy_partner.pk]), {"push": [one.pk, other.pk]}
        )
    assert response.status_code == 302 and response["Location"] == reverse("dashboard:partner", args=[busy_partner.pk])
    one.refresh_from_db()
    other.refresh_from_db()
    assert one.state == Push.State.PENDING and one.attempts == 0 and one.next_attempt_at <= timezone.now()
    assert other.state == Push.State.FAILED
    delay.assert_called_once_with(busy_partner.pk)

    with mock.patch.object(tasks.send_pushes, "delay"), django_capture_on_commit_callbacks(execute=True):
        retrier.post(reverse("dashboard:partner-retry", args=[busy_partner.pk]))
    assert not Push.objects.filter(partner=busy_partner, state=Push.State.FAILED).exists()
    assert Push.objects.filter(partner=busy_partner, state=Push.State.SENT).count() == 1  # sent stays sent


def test_the_pages_cost_a_few_queries_however_many_partners(operator, django_assert_max_num_queries):
    for n in range(6):
        partner = registered_partner(f"Partner {n}")
        queued(partner, Push.State.PENDING, age=timedelta(minutes=n + 1), error="connection refused")
        queued(partner, Push.State.FAILED, age=timedelta(minutes=n + 2), error="2001")
        logged(
            partner, RequestLog.Direction.IN, "GET", "/ocpi/2.2.1/locations", age=timedelta(minutes=1), http_status=200
        )
        logged(
            partner, RequestLog.Direction.OUT, "PATCH", f"{BASE}/locations/1", age=timedelta(minutes=2), error="refused"
        )
    operator.get(reverse("dashboard:partners"))  # the session and the user's permissions, read once
    with django_assert_max_num_queries(6):
        html = operator.get(reverse("dashboard:partners")).content.decode()
    assert len(re.findall(r'<tr id="partner-', html)) == 6
    with django_assert_max_num_queries(8):
        operator.get(reverse("dashboard:partner", args=[partner.pk]))
