"""One session's page: its header, its CDR with VAT when sealed, its payment, and its chart data in order."""

import pytest
from django.urls import reverse

from tests.dashboard.sessions_world import finance, looker, world  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def test_a_sealed_session_shows_its_header_and_cdr_lines_with_vat(client, world, finance):
    client.force_login(finance)
    response = client.get(reverse("dashboard:session", args=[world.completed.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<a href="{reverse("dashboard:station", args=[world.berlin.pk])}">CP-BER</a>, EVSE 1, connector 1' in html
    assert "CARD-A · dana@example.com" in html
    assert "2026-03-06 00:30:00 CET" in html and "2026-03-06 01:30:00 CET" in html  # Berlin time
    assert '<dd id="stop-reason">Local</dd>' in html
    assert '<span id="energy">12.345</span> kWh' in html
    cdr = html.split('id="cdr"', 1)[1].split("</section>", 1)[0]
    assert (
        '<td>Energy</td><td>12.345 kWh</td><td class="num">3.70 EUR</td><td class="num">0.71 EUR</td>'
        '<td class="num">4.41 EUR</td>'
    ) in cdr
    assert (
        '<td>Fees</td><td></td><td class="num">1.00 EUR</td><td class="num">0.19 EUR</td><td class="num">1.19 EUR</td>'
        in cdr
    )
    assert "<td>Charging time</td><td>1:00:00</td>" in cdr
    assert (
        '<th>Total</th><th></th><th class="num">4.70 EUR</th><th class="num">0.90 EUR</th><th class="num">5.60 EUR</th>'
        in cdr
    )
    assert "Reservation" not in cdr  # the tariff charges none


def test_a_failed_payment_is_shown_to_finance(client, world, finance):
    client.force_login(finance)
    html = client.get(reverse("dashboard:session", args=[world.failed.pk])).content.decode()
    assert (
        '<dd id="payment" data-state="failed">failed — held 50.00 EUR, captured 0.00 EUR (card_declined)</dd>' in html
    )
    assert "2026-03-05 22:00:00 EST" in html  # New York time


def test_a_viewer_without_money_sees_the_cdr_quantities_but_no_amounts(client, world, looker):
    client.force_login(looker)
    html = client.get(reverse("dashboard:session", args=[world.completed.pk])).content.decode()
    assert "<td>Energy</td><td>12.345 kWh</td></tr>" in html
    assert "EUR" not in html and 'id="payment"' not in html and 'id="cost"' not in html
    data = client.get(reverse("dashboard:session-data", args=[world.completed.pk])).json()
    assert "cost" not in data


def test_the_chart_data_has_the_readings_in_order(client, world, finance):
    client.force_login(finance)
    data = client.get(reverse("dashboard:session-data", args=[world.completed.pk])).json()
    times = ["2026-03-05T23:30:00Z", "2026-03-06T00:00:00Z", "2026-03-06T00:30:00Z"]
    assert data["series"] == {
        "power": [{"t": t, "v": v} for t, v in zip(times, [11_000, 11_200, 10_800], strict=True)],
        "energy": [{"t": t, "v": v} for t, v in zip(times, [0, 5_500, 12_345], strict=True)],  # Wh since the start
        "soc": [{"t": t, "v": v} for t, v in zip(times, [20, 45, 70], strict=True)],
    }
    assert (data["running"], data["energy_wh"], data["duration_s"], data["cdr_state"]) == (
        False,
        12_345,
        3600,
        "sealed",
    )
    assert data["cost"] == {"currency": "EUR", "excl_vat": "4.70", "incl_vat": "5.60", "final": True}


def test_a_running_session_listens_on_its_station_and_has_no_cdr_yet(client, world, finance):
    client.force_login(finance)
    html = client.get(reverse("dashboard:session", args=[world.running.pk])).content.decode()
    assert f'data-live-socket="/ws/dashboard/stations/{world.berlin.pk}"' in html
    assert 'data-cdr-state="running"' in html and 'id="cdr"' not in html
    data = client.get(reverse("dashboard:session-data", args=[world.running.pk])).json()
    assert data["running"] is True and data["stopped_at"] is None
    assert data["series"]["energy"] == [{"t": "2026-03-06T08:10:00Z", "v": 2_000}]
    assert data["cost"] == {"currency": "EUR", "excl_vat": "1.60", "incl_vat": "1.90", "final": False}


def test_anonymous_visitors_go_to_the_login(client, world):
    for name in ("dashboard:session", "dashboard:session-data"):
        response = client.get(reverse(name, args=[world.completed.pk]))
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_an_unknown_session_is_404(client, world, finance):
    client.force_login(finance)
    assert client.get(reverse("dashboard:session", args=[999_999])).status_code == 404
    missing = client.get(reverse("dashboard:session-data", args=[999_999]))
    assert missing.status_code == 404 and missing.json() == {"detail": "No such session."}
