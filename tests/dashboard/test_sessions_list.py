"""The Sessions list: running and finished sessions, each filter, paging, the live fragment, who sees money."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from billing.models import Payment
from dashboard.selectors import sessions as selectors
from sessions.models import Transaction
from tests.dashboard.sessions_world import finance, looker, staff, world  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def rows(html: str, table: str) -> list[int]:
    """The transaction ids of a table's rows, top to bottom."""
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return [int(pk) for pk in re.findall(r'data-transaction="(\d+)"', body)]


def listed(client, **params) -> tuple[list[int], list[int]]:
    response = client.get(reverse("dashboard:sessions"), params)
    assert response.status_code == 200, response.content.decode()[-2000:]
    html = response.content.decode()
    return rows(html, "in-progress-table"), rows(html, "history-table")


@pytest.fixture
def signed_in(client, finance):
    client.force_login(finance)
    return client


def test_the_list_shows_running_sessions_in_progress_and_the_ended_ones_newest_first(signed_in, world):
    response = signed_in.get(reverse("dashboard:sessions"))
    html = response.content.decode()
    assert rows(html, "in-progress-table") == [world.running.pk]
    assert rows(html, "history-table") == [world.failed.pk, world.completed.pk]  # the running one is in progress
    completed = html.split(f'data-transaction="{world.completed.pk}"')[-1].split("</tr>")[0]
    # Started 23:30 UTC, i.e. 00:30 the next day in Berlin; 12.345 kWh in an hour; sealed at 5.60 EUR incl. VAT.
    assert "2026-03-06 00:30" in completed
    assert "CP-BER</a> · EVSE 1" in completed
    assert "CARD-A" in completed and "dana@example.com" in completed
    assert "12.345" in completed and "1:00:00" in completed
    assert "5.60 EUR" in completed and ">sealed<" in completed
    assert f'href="{reverse("dashboard:station", args=[world.berlin.pk])}"' in completed


@pytest.mark.parametrize(
    ("params", "running", "history"),
    [
        ({"site": "berlin"}, ["running"], ["completed"]),
        ({"site": "new_york"}, [], ["failed"]),
        ({"station": "CP-NYC"}, [], ["failed"]),
        ({"driver": "CARD-B"}, ["running"], []),
        ({"driver": "DANA@example.com"}, [], ["completed"]),
        ({"state": "running"}, ["running"], []),
        ({"state": "completed"}, [], ["failed", "completed"]),
        ({"state": "payment_failed"}, [], ["failed"]),
        # Local days of each site: 03-05 is New York's evening session (already the 6th in UTC) ...
        ({"date_from": "2026-03-05", "date_to": "2026-03-05"}, [], ["failed"]),
        # ... and 03-06 begins in Berlin at 23:00 UTC on the 5th.
        ({"date_from": "2026-03-06", "date_to": "2026-03-06"}, ["running"], ["completed"]),
        ({"date_from": "2026-03-06", "site": "new_york"}, [], []),
        ({"date_to": "2026-03-05"}, [], ["failed"]),
    ],
)
def test_each_filter_narrows_the_rows(signed_in, world, params, running, history):
    sites = {"berlin": world.berlin.location.pk, "new_york": world.new_york.location.pk}
    if "site" in params:
        params = {**params, "site": sites[params["site"]]}
    pks = {"running": world.running.pk, "completed": world.completed.pk, "failed": world.failed.pk}
    assert listed(signed_in, **params) == ([pks[n] for n in running], [pks[n] for n in history])


@pytest.mark.parametrize("typed", ["New York", "new york", "york", "YORK "])
def test_a_site_is_found_by_the_name_typed(signed_in, world, typed):
    assert listed(signed_in, site=typed) == ([], [world.failed.pk])


@pytest.mark.parametrize(("dispute", "listed_as_disputed"), [("needs_response", True), ("won", False), ("", False)])
def test_the_disputed_state_lists_sessions_whose_payment_is_under_an_open_dispute(
    signed_in, world, dispute, listed_as_disputed
):
    Payment.objects.filter(driver_session__transaction=world.failed).update(dispute_status=dispute)
    assert listed(signed_in, state="disputed") == ([], [world.failed.pk] if listed_as_disputed else [])


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"date_from": "2026-02-30"}, "Enter a valid date."),
        ({"date_from": "2026-03-07", "date_to": "2026-03-06"}, "The range ends before it starts."),
        ({"station": "CP-NOPE"}, "No station has the id"),
        ({"site": "999999"}, "No site is called &#x27;999999&#x27;."),
        ({"site": "r"}, "Several sites match &#x27;r&#x27; (&#x27;Berlin&#x27;, &#x27;New York&#x27;)."),
        ({"state": "refunded"}, "Select a valid choice."),
        ({"before": "yesterday_3"}, "Not a page of this list."),
    ],
)
def test_a_bad_filter_is_shown_on_the_form(signed_in, world, params, error):
    response = signed_in.get(reverse("dashboard:sessions"), params)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html and error in html
    assert 'id="history-table"' not in html


def test_history_pages_by_keyset_older_and_newer(signed_in, world, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 1)
    first = signed_in.get(reverse("dashboard:sessions")).content.decode()
    assert rows(first, "history-table") == [world.failed.pk]
    older_link = re.search(r'rel="next" href="\?before=([^"]+)"', first).group(1)
    older = signed_in.get(f"{reverse('dashboard:sessions')}?before={older_link}").content.decode()
    assert rows(older, "history-table") == [world.completed.pk]
    assert 'rel="next"' not in older
    newer_link = re.search(r'rel="prev" href="\?after=([^"]+)"', older).group(1)
    newer = signed_in.get(f"{reverse('dashboard:sessions')}?after={newer_link}").content.decode()
    assert rows(newer, "history-table") == [world.failed.pk]
    assert 'rel="prev"' not in newer  # the first page again


def test_the_in_progress_fragment_lists_running_sessions_with_the_filters(signed_in, world):
    url = reverse("dashboard:sessions-in-progress")
    assert rows(signed_in.get(url).content.decode(), "in-progress-table") == [world.running.pk]
    assert rows(signed_in.get(url, {"station": "CP-NYC"}).content.decode(), "in-progress-table") == []
    bad = signed_in.get(url, {"date_to": "soon"})
    assert bad.status_code == 400 and "date_to" in bad.json()["detail"]


def test_a_viewer_without_money_sees_no_cost(client, world, looker):
    client.force_login(looker)
    html = client.get(reverse("dashboard:sessions")).content.decode()
    assert rows(html, "history-table") == [world.failed.pk, world.completed.pk]  # the running one is in progress
    assert "<th>Cost</th>" not in html and "EUR" not in html
    assert "payment--failed" not in html


def test_the_list_reads_a_page_in_a_constant_number_of_queries(signed_in, world, django_assert_num_queries):
    # The session, the user, their permissions (2), in progress, history: 6 with 3 sessions ...
    with django_assert_num_queries(6):
        signed_in.get(reverse("dashboard:sessions"))
    tx = world.completed
    for minute in range(1, 11):
        Transaction.objects.create(
            station=tx.station,
            connector=tx.connector,
            id_tag=tx.id_tag,
            id_tag_value=tx.id_tag_value,
            authorization_status="Accepted",
            started_at=tx.started_at - timedelta(minutes=minute),
            stopped_at=tx.started_at,
            status=Transaction.Status.COMPLETED,
            meter_start_wh=0,
        )
    # ... and with 13, 12 of them ended (no query per row).
    with django_assert_num_queries(6):
        html = signed_in.get(reverse("dashboard:sessions")).content.decode()
    assert len(rows(html, "history-table")) == 12


def test_anonymous_visitors_go_to_the_login(client, world):
    for url in (reverse("dashboard:sessions"), reverse("dashboard:sessions-csv")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_staff_without_a_role_is_refused(client, world):
    client.force_login(staff("nobody"))
    assert client.get(reverse("dashboard:sessions")).status_code == 403
