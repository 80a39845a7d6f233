"""Analytics: analytics.json over a period of local days, for the network or one station, and its 400s."""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from dashboard.services import refresh_rollups
from tests.dashboard.figures import cdr, session, staff, station
from tests.roles import define_roles

pytestmark = pytest.mark.django_db

DATA = reverse("dashboard:analytics-data")


@pytest.fixture(autouse=True)
def roles(db):
    define_roles()


@pytest.fixture
def history(settings):
    """Two stations in Berlin time; sessions on 30 and 31 March and 2 April 2026 (CEST from the 29th: UTC+2)."""
    settings.TIME_ZONE = "Europe/Berlin"
    settings.DASHBOARD_CO2_KG_PER_KWH = 0.5
    busy, quiet = station("CP-BUSY", evses=2), station("CP-QUIET")
    # Monday 30 March, 08:00-14:00 local on EVSE 1 and 10:00-12:00 on EVSE 2: 8 EVSE-hours.
    cdr(session(busy, start=at(30, 6), stop=at(30, 12), wh=30_000), amount="9.0000")
    cdr(session(busy, start=at(30, 8), stop=at(30, 10), wh=10_000, evse=2), amount="3.0000")
    # Tuesday 31 March 20:00-21:00 local.
    cdr(session(quiet, start=at(31, 18), stop=at(31, 19), wh=5_000), amount="1.5000")
    # Thursday 2 April, 07:00-08:00 local, paid in another currency.
    cdr(session(quiet, start=at(2, 5, month=4), stop=at(2, 6, month=4), wh=2_000), amount="0.8000", currency="CHF")
    refresh_rollups(first=date(2026, 3, 29), last=date(2026, 4, 3), now=at(5, 0, month=4))
    return busy, quiet


def at(day: int, hour: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def finance(client):
    client.force_login(staff("finance", group="finance"))
    return client


def test_the_network_per_day_utilisation_heatmap_revenue_and_co2(finance, history):
    busy, quiet = history

    data = finance.get(DATA, {"from": "2026-03-30", "to": "2026-04-02"}).json()

    assert data["days"] == [
        {"day": "2026-03-30", "kwh": 40.0, "sessions": 2},
        {"day": "2026-03-31", "kwh": 5.0, "sessions": 1},
        {"day": "2026-04-01", "kwh": 0.0, "sessions": 0},
        {"day": "2026-04-02", "kwh": 2.0, "sessions": 1},
    ]
    assert (data["kwh"], data["sessions"], data["co2_kg"], data["co2_kg_per_kwh"]) == (47.0, 4, 23.5, 0.5)
    # 4 days × 2 EVSEs = 192 EVSE-hours, 8 occupied; 96 hours for the quiet one, 2 occupied.
    assert [(u["charge_point_id"], u["percent"], u["occupied_hours"], u["sessions"]) for u in data["utilisation"]] == [
        ("CP-BUSY", 4.17, 8.0, 2),
        ("CP-QUIET", 2.08, 2.0, 2),
    ]
    starts = data["heatmap"]["starts"]
    assert data["heatmap"]["measure"] == "session starts"
    assert (starts[0][8], starts[0][10], starts[1][20], starts[3][7]) == (1, 1, 1, 1)
    assert sum(map(sum, starts)) == 4
    assert data["revenue"] == {
        "CHF": [
            {"month": "2026-03", "amount": 0.0, "cumulative": 0.0},
            {"month": "2026-04", "amount": 0.8, "cumulative": 0.8},
        ],
        "EUR": [
            {"month": "2026-03", "amount": 13.5, "cumulative": 13.5},
            {"month": "2026-04", "amount": 0.0, "cumulative": 13.5},
        ],
    }


def test_one_station_reads_only_its_own_days(finance, history):
    busy, quiet = history

    data = finance.get(DATA, {"from": "2026-03-30", "to": "2026-04-02", "station": quiet.pk}).json()

    assert [d["sessions"] for d in data["days"]] == [0, 1, 0, 1]
    assert [u["charge_point_id"] for u in data["utilisation"]] == ["CP-QUIET"]
    assert data["revenue"]["EUR"][-1]["cumulative"] == 1.5


def test_without_the_money_permission_there_is_no_revenue(client, history):
    client.force_login(staff("ops", permissions=("stations.view_chargingstation",)))

    data = client.get(DATA, {"from": "2026-03-30", "to": "2026-04-02"}).json()

    assert "revenue" not in data and data["sessions"] == 4


@pytest.mark.parametrize(
    "params, detail",
    [
        ({"from": "30.03.2026"}, "'from' is not a date"),
        ({"to": "2026-02-30"}, "'to' is not a date"),
        ({"from": "2026-04-02", "to": "2026-03-30"}, "'from' is after 'to'"),
        ({"from": "2024-01-01", "to": "2026-01-01"}, "at most 366 days"),
        ({"station": "abc"}, "'station' is not a station's id"),
        ({"station": "999999"}, "'station' is not a station's id"),
    ],
)
def test_bad_parameters_are_a_400_with_a_detail(finance, params, detail):
    response = finance.get(DATA, params)

    assert response.status_code == 400
    assert detail in response.json()["detail"]


def test_the_page_renders_for_a_viewer_and_anonymous_visitors_log_in_first(client, history):
    assert client.get(reverse("dashboard:analytics")).status_code == 302
    assert client.get(DATA).status_code == 302
    client.force_login(staff("viewer", group="viewer"))

    html = client.get(reverse("dashboard:analytics")).content.decode()

    assert f'data-url="{DATA}"' in html
    assert "dashboard/vendor/chart.js/chart.umd.min.js" in html
    assert f'<option value="{history[0].pk}">CP-BUSY</option>' in html


def test_the_page_opens_on_the_period_and_station_of_its_url(client, history):
    client.force_login(staff("viewer", group="viewer"))
    busy = history[0]

    html = client.get(reverse("dashboard:analytics"), {"from": "2026-03-30", "to": "2026-04-02", "station": busy.pk})

    page = html.content.decode()
    assert 'name="from" value="2026-03-30"' in page and 'name="to" value="2026-04-02"' in page
    assert f'<option value="{busy.pk}" selected>CP-BUSY</option>' in page
