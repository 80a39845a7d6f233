"""The overview page and overview.json: the network's cards as a viewer sees them, money only for
those who may see it, sites against their grid limit, and the latest problem stations."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboard.models import NetworkDay
from dashboard.selectors.overview import network_now, recent_problem_stations
from dashboard.services import refresh_recent_rollups
from sessions.services.transactions import start_transaction
from stations.models import Connector, Location, RegistrationStatus
from tests.dashboard.figures import cdr, connectors, session, staff, station, status
from tests.roles import define_roles

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("dashboard:overview")
DATA = reverse("dashboard:overview-data")
CARDS = [
    "online_percent",
    "charging_now",
    "faulted",
    "offline",
    "sessions_in_progress",
    "kw_now",
    "kwh_today",
    "revenue_today",
    "kwh_month",
    "revenue_month",
    "uptime_30d",
]


@pytest.fixture(autouse=True)
def roles(db):
    """The groups the roles migration created (again: a transactional test's flush empties the tables)."""
    define_roles()


@pytest.fixture
def network():
    """Four accepted stations (one charging, one faulted, one offline, one idle) and a pending one."""
    charging = station("CP-CHARGING", evses=2)
    Connector.objects.filter(pk=connectors(charging)[0].pk).update(status="Charging")
    faulted = station("CP-FAULTED", evses=2)
    Connector.objects.filter(pk=connectors(faulted)[1].pk).update(status="Faulted", status_updated_at=timezone.now())
    station("CP-OFFLINE", online=False, disconnected_at=timezone.now() - timedelta(minutes=5))
    station("CP-IDLE")
    station("CP-PENDING", registration_status=RegistrationStatus.PENDING)
    session(charging, start=start_of_today(), stop=None, wh=4_000, power_w=7_400)
    session(charging, start=start_of_today(), stop=None, wh=1_000, evse=2, power_w=11_050)
    return charging


def start_of_today() -> datetime:
    """The first second of the local day: in the past, and today, whenever the test runs."""
    midnight = datetime.combine(timezone.localdate(), datetime.min.time(), tzinfo=timezone.get_default_timezone())
    return midnight + timedelta(seconds=1)


def card_values(html: str) -> dict[str, str]:
    found = re.findall(
        r'<div class="card" data-card="(\w+)"[^>]*><span class="label">[^<]*</span><span class="value">([^<]*)</span></div>',
        html,
    )
    return dict(found)


def test_a_201_station_charging_on_an_occupied_connector_is_charging_now():
    """OCPP 2.0.1 connectors report Occupied, not Charging: the running session tells."""
    occupied = station("CP-201")
    Connector.objects.filter(evse__station=occupied).update(status="Occupied")
    assert network_now().charging == 0
    session(occupied, start=start_of_today(), stop=None, wh=500, power_w=11_000)
    assert network_now().charging == 1


def test_the_network_now_counts_accepted_stations_by_state_and_sums_the_running_power(network):
    now = network_now()

    assert (now.stations, now.online, now.offline) == (4, 3, 1)
    assert (now.charging, now.faulted, now.sessions_in_progress, now.power_w) == (1, 1, 2, 18_450)
    assert now.online_percent == 75.0


def test_a_viewer_sees_every_card_with_its_figure(client, network):
    start = start_of_today() + timedelta(seconds=1)
    cdr(session(network, start=start, stop=start + timedelta(seconds=1), wh=12_345), amount="3.7000")
    refresh_recent_rollups()
    yesterday = timezone.localdate() - timedelta(days=1)
    NetworkDay.objects.filter(day=yesterday).update(port_seconds=3_000, up_seconds=2_700)
    NetworkDay.objects.filter(day=timezone.localdate()).update(port_seconds=1_000, up_seconds=1_000)
    client.force_login(staff("viewer", group="viewer"))

    response = client.get(OVERVIEW)

    assert response.status_code == 200
    cards = card_values(response.content.decode())
    assert list(cards) == CARDS
    assert cards["online_percent"] == "75.0 %"
    assert (cards["charging_now"], cards["faulted"], cards["offline"], cards["sessions_in_progress"]) == (
        "1",
        "1",
        "1",
        "2",
    )
    assert cards["kw_now"] == "18.4 kW"  # 18.45 rounds to even
    assert cards["kwh_today"] == "17.3 kWh"  # 12.345 + the running 4 + 1
    assert cards["revenue_today"] == "3.70 EUR"
    assert cards["kwh_month"] == "17.3 kWh"
    assert cards["uptime_30d"] == "92.5 %"  # (2700 + 1000) / (3000 + 1000)


def test_a_staff_member_without_the_money_permission_sees_no_revenue(client, network):
    client.force_login(staff("ops", permissions=("stations.view_chargingstation",)))

    html = client.get(OVERVIEW).content.decode()
    data = client.get(DATA).json()

    assert 'data-card="revenue_today"' not in html and 'data-card="revenue_month"' not in html
    assert set(card_values(html)) == set(CARDS) - {"revenue_today", "revenue_month"}
    assert "revenue_today" not in data and "revenue_month" not in data
    assert data["faulted"] == 1


def test_anonymous_visitors_are_sent_to_the_login(client):
    assert client.get(OVERVIEW).status_code == 302
    assert client.get(DATA).status_code == 302


def test_overview_json_counts_a_session_the_moment_it_starts(client, network):
    client.force_login(staff("finance", group="finance"))
    idle = Connector.objects.get(evse__station__charge_point_id="CP-IDLE")
    before = client.get(DATA).json()

    start_transaction(
        station_id=idle.evse.station_id, evse_number=1, id_tag="ANY-TAG", meter_start_wh=0, started_at=timezone.now()
    )
    after = client.get(DATA).json()

    assert (before["sessions_in_progress"], after["sessions_in_progress"]) == (2, 3)
    assert after["kw_now"] == 18.4


def test_sites_with_a_grid_limit_show_their_power_now_against_it(client):
    site = Location.objects.create(name="Depot", latitude=52.5, longitude=13.4, max_power_w=50_000)
    Location.objects.create(name="No limit", latitude=52.5, longitude=13.4)
    busy = station("CP-DEPOT", evses=2, location=site)
    session(busy, start=timezone.now(), stop=None, wh=0, power_w=11_000)
    session(busy, start=timezone.now(), stop=None, wh=0, evse=2, power_w=22_000)
    session(station("CP-ELSEWHERE"), start=timezone.now(), stop=None, wh=0, power_w=7_000)
    client.force_login(staff("viewer", group="viewer"))

    sites = client.get(DATA).json()["sites"]
    html = client.get(OVERVIEW).content.decode()

    assert sites == [{"location_id": site.pk, "name": "Depot", "kw_now": 33.0, "limit_kw": 50.0, "percent": 66.0}]
    pattern = rf'data-site="{site.pk}"><td>Depot</td>\s*<td><span class="site-power">33.0</span> / 50.0 kW'
    assert re.search(pattern, html)


def test_the_latest_faulted_and_offline_stations_link_to_their_pages(client, network):
    old = station("CP-OLD-OFFLINE", online=False, disconnected_at=datetime(2026, 1, 1, tzinfo=UTC))
    status(old, None, "Available", "", datetime(2026, 1, 1, tzinfo=UTC))
    client.force_login(staff("viewer", group="viewer"))

    problems = recent_problem_stations()
    html = client.get(OVERVIEW).content.decode()

    assert [(p.charge_point_id, p.problem) for p in problems] == [
        ("CP-FAULTED", "faulted"),
        ("CP-OFFLINE", "offline"),
        ("CP-OLD-OFFLINE", "offline"),
    ]
    link = reverse("dashboard:station", args=[problems[0].station_id])
    assert f'<a href="{link}">CP-FAULTED</a>' in html
