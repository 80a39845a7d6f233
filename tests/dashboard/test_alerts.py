"""The alerts inbox as staff see it: rows, filters, the badge's count, and who may acknowledge and resolve."""

import re

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from alerts.models import Alert
from stations.services.connections import provision_station
from tests.roles import define_roles

pytestmark = pytest.mark.django_db
INBOX = "/dashboard/alerts/"


@pytest.fixture(autouse=True)
def roles(db):
    """The groups the roles migration created (again: a transactional test's flush empties the tables)."""
    define_roles()


def staff(client, django_user_model, role: str):
    user = django_user_model.objects.create_user(role, f"{role}@example.com", "a-password-of-staff", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


@pytest.fixture
def published(monkeypatch):
    sent: list[dict] = []
    monkeypatch.setattr("alerts.services.live.publish", lambda groups, event: sent.append(event))
    return sent


@pytest.fixture
def station(db):
    return provision_station(charge_point_id="CP-INBOX", password="a-long-station-password")


def alert(station, rule: str, subject: str, title: str, state: str = "open", minutes_ago: int = 0) -> Alert:
    at = timezone.now() - timezone.timedelta(minutes=minutes_ago)
    return Alert.objects.create(
        rule=rule,
        subject=subject,
        station=station,
        charge_point_id=station.charge_point_id if station else "CP-GHOST",
        title=title,
        state=state,
        opened_at=at,
        last_seen_at=at,
        resolved_at=at if state == "resolved" else None,
    )


def rows(html: str) -> list[dict[str, str]]:
    """Each inbox row's data attributes, in page order."""
    found = re.findall(
        r'<tr id="alert-\d+"[^>]* data-alert-id="(\d+)" data-rule="([^"]*)" data-state="([^"]*)" data-station="([^"]*)"',
        html,
    )
    return [{"id": int(i), "rule": r, "state": s, "station": cp} for i, r, s, cp in found]


@pytest.fixture
def inbox(station):
    return {
        "old": alert(
            station, "faulted", "connector:1", "CP-INBOX EVSE 1 connector 1 Faulted: GroundFailure", "open", 30
        ),
        "acked": alert(
            station, "clock_skew", f"station:{station.pk}", "CP-INBOX clock is +900 s off", "acknowledged", 10
        ),
        "done": alert(station, "station_offline", f"station:{station.pk}", "CP-INBOX offline", "resolved", 1),
        "ghost": alert(
            None, "refused_connections", "charge_point:CP-GHOST", "Unknown charge point CP-GHOST", "open", 5
        ),
    }


def test_open_and_acknowledged_come_first_newest_first_with_links_and_buttons(
    client, django_user_model, inbox, station
):
    staff(client, django_user_model, "operator")
    page = client.get(INBOX)
    assert page.status_code == 200
    html = page.content.decode()
    assert [r["id"] for r in rows(html)] == [inbox[k].pk for k in ("ghost", "acked", "old", "done")]
    assert rows(html)[1] == {
        "id": inbox["acked"].pk,
        "rule": "clock_skew",
        "state": "acknowledged",
        "station": "CP-INBOX",
    }
    assert "CP-INBOX EVSE 1 connector 1 Faulted: GroundFailure" in html
    assert f'<a href="/dashboard/stations/{station.pk}/">CP-INBOX</a>' in html
    old = re.search(rf'<tr id="alert-{inbox["old"].pk}".*?</tr>', html, re.S).group(0)
    assert f'action="/dashboard/alerts/{inbox["old"].pk}/acknowledge"' in old and "csrfmiddlewaretoken" in old
    assert re.search(r'<button[^>]*name="acknowledge"\s*>', old) and re.search(r'<button[^>]*name="resolve"\s*>', old)
    done = re.search(rf'<tr id="alert-{inbox["done"].pk}".*?</tr>', html, re.S).group(0)
    assert re.search(r'name="resolve"\s+disabled', done)


def test_filters_by_state_and_rule(client, django_user_model, inbox):
    staff(client, django_user_model, "viewer")
    resolved = rows(client.get(INBOX, {"state": "resolved"}).content.decode())
    assert [r["id"] for r in resolved] == [inbox["done"].pk]
    faulted = rows(client.get(INBOX, {"rule": "faulted"}).content.decode())
    assert [r["id"] for r in faulted] == [inbox["old"].pk]
    everything = rows(client.get(INBOX, {"state": "nonsense"}).content.decode())
    assert len(everything) == 4


def test_the_rows_fragment_is_what_the_page_refetches(client, django_user_model, inbox):
    staff(client, django_user_model, "viewer")
    fragment = client.get("/dashboard/alerts/rows/", {"state": "open"})
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    assert {r["id"] for r in rows(fragment.content.decode())} == {inbox["old"].pk, inbox["ghost"].pk}


def test_a_viewer_sees_the_buttons_disabled_and_may_not_press_them(client, django_user_model, inbox, published):
    staff(client, django_user_model, "viewer")
    html = client.get(INBOX).content.decode()
    old = re.search(rf'<tr id="alert-{inbox["old"].pk}".*?</tr>', html, re.S).group(0)
    assert re.search(r'name="acknowledge"\s+disabled', old) and re.search(r'name="resolve"\s+disabled', old)
    for action in ("acknowledge", "resolve"):
        assert client.post(f"/dashboard/alerts/{inbox['old'].pk}/{action}").status_code == 403
    inbox["old"].refresh_from_db()
    assert inbox["old"].state == "open" and published == []


def test_an_operator_acknowledges_then_resolves_and_each_is_published(client, django_user_model, inbox, published):
    user = staff(client, django_user_model, "operator")
    target = inbox["old"]
    back = "/dashboard/alerts/?rule=faulted"
    response = client.post(f"/dashboard/alerts/{target.pk}/acknowledge", {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    target.refresh_from_db()
    assert (target.state, target.acknowledged_by) == ("acknowledged", user)

    response = client.post(f"/dashboard/alerts/{target.pk}/resolve", {"next": "https://elsewhere.example/"})
    assert response["Location"] == INBOX  # never redirected off-site
    target.refresh_from_db()
    assert (target.state, target.resolved_by, target.auto_resolved) == ("resolved", user, False)
    assert [(m["alert_id"], m["state"], m["new"]) for m in published] == [
        (target.pk, "acknowledged", False),
        (target.pk, "resolved", False),
    ]
    assert published[0]["charge_point_id"] == "CP-INBOX" and published[0]["rule"] == "faulted"

    again = client.post(f"/dashboard/alerts/{target.pk}/resolve")  # resolved already: nothing changes
    assert again.status_code == 302 and len(published) == 2
    assert client.post("/dashboard/alerts/999999/resolve").status_code == 404
    assert client.get(f"/dashboard/alerts/{target.pk}/resolve").status_code == 405


def test_the_summary_counts_open_and_acknowledged_alerts(client, django_user_model, inbox):
    staff(client, django_user_model, "viewer")
    assert client.get("/dashboard/alerts/summary.json").json() == {"open": 3}
    Alert.objects.filter(pk=inbox["acked"].pk).update(state="resolved")
    assert client.get("/dashboard/alerts/summary.json").json() == {"open": 2}


def test_anonymous_visitors_go_to_the_login(client):
    response = client.get(INBOX)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
