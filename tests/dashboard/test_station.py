"""Issue 11, the station page: what an operator sees of one station, live, and the admin's commands on it.

Stations, sessions, readings and statuses are made by the domain services a charger's messages
reach (Preparing before a session, Charging during it); the page and its JSON twin are read through
the Django test client as a signed-in member of each role.
"""

import json
import re
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from csms.ocpp import gateway
from csms.ocpp.commands import Reset
from csms.ocpp.models import OcppMessage
from dashboard.selectors.station import power_series
from sessions.costs import record_cost
from sessions.meter import Sample
from sessions.models import IdTag
from sessions.services.meter_values import record_meter_values
from sessions.services.transactions import start_transaction
from stations.models import Location
from stations.services.boot import record_heartbeat
from stations.services.connections import provision_station, station_connected
from stations.services.status import StatusReport, record_status
from tests.roles import define_roles

pytestmark = pytest.mark.django_db

START = timezone.now().replace(microsecond=0) - timedelta(minutes=30)
TAG = "CARD-0042"


@pytest.fixture(autouse=True)
def roles(db):
    """The groups the roles migration created (again: a transactional test's flush empties the tables)."""
    define_roles()


def signed_in(client, django_user_model, role: str):
    user = django_user_model.objects.create_user(role, f"{role}@example.com", "a-password-of-staff", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return client


@pytest.fixture
def operator(client, django_user_model):
    return signed_in(client, django_user_model, "operator")


@pytest.fixture
def viewer(client, django_user_model):
    return signed_in(client, django_user_model, "viewer")


@pytest.fixture
def station(db):
    location = Location.objects.create(
        name="Depot Nord", city="Berlin", latitude=Decimal("52.5"), longitude=Decimal("13.4"), time_zone="Europe/Berlin"
    )
    station = provision_station(
        charge_point_id="CP-PAGE", password="a-long-station-password", location=location, evse_count=2
    )
    station.vendor, station.model, station.firmware_version = "Acme", "Wallbox 22", "4.2.1"
    station.save()
    station_connected(station_id=station.pk, channel_name="specific.test!page", ocpp_version="1.6")
    record_heartbeat(station_id=station.pk, now=START + timedelta(minutes=29))
    return station


def status(station, evse: int, value: str, at, **codes) -> None:
    record_status(
        station_id=station.pk,
        evse_number=evse,
        connector_number=1,
        report=StatusReport(status=value, **codes),
        timestamp=at,
    )


def readings(station, tx, at, *, wh: int, w: int | None = None, soc: int | None = None) -> None:
    samples = [Sample(timestamp=at, value=str(wh), unit="Wh")]
    if w is not None:
        samples.append(Sample(timestamp=at, value=str(w), measurand="Power.Active.Import", unit="W"))
    if soc is not None:
        samples.append(Sample(timestamp=at, value=str(soc), measurand="SoC", unit="Percent"))
    record_meter_values(station_id=station.pk, evse_number=1, transaction_id=tx.pk, samples=samples)


@pytest.fixture
def charging(station, django_user_model):
    """A driver's card session on EVSE 1: plugged in (Preparing), started, charging, read twice, priced."""
    driver = django_user_model.objects.create_user("driver@example.com", "driver@example.com", "a-driver-password")
    IdTag.objects.create(id_tag=TAG, owner=driver)
    status(station, 1, "Preparing", START)
    tx = start_transaction(
        station_id=station.pk, evse_number=1, id_tag=TAG, meter_start_wh=10_000, started_at=START
    ).transaction
    status(station, 1, "Charging", START + timedelta(seconds=5))
    readings(station, tx, START + timedelta(minutes=10), wh=11_500, w=9_000, soc=41)
    readings(station, tx, START + timedelta(minutes=20), wh=13_250, w=10_500, soc=48)
    record_cost(
        transaction_id=tx.pk,
        currency="EUR",
        excl_vat=Decimal("1.9500"),
        incl_vat=Decimal("2.3205"),
        priced_at=START + timedelta(minutes=20),
    )
    return tx


def page(client, station) -> str:
    response = client.get(reverse("dashboard:station", args=[station.pk]))
    assert response.status_code == 200
    return response.content.decode()


def live(client, station) -> dict:
    response = client.get(reverse("dashboard:station-live", args=[station.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return response.json()


def text(html: str) -> str:
    """The page's words without its tags, spaces collapsed: what a reader sees."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_page_shows_the_running_session_with_power_energy_cost_and_driver(operator, station, charging):
    html = page(operator, station)
    seen = text(html)
    assert "CP-PAGE" in seen and "Depot Nord" in seen and "Acme / Wallbox 22" in seen and "4.2.1" in seen
    assert "10.50 kW" in seen  # the last Power.Active.Import
    assert "3.25 kWh" in seen  # 13 250 − 10 000 Wh
    assert "48 %" in seen
    assert "2.32 EUR" in seen
    assert "driver@example.com" in seen and TAG in seen
    assert f'href="{reverse("dashboard:session", args=[charging.pk])}"' in html
    assert f'data-live-socket="/ws/dashboard/stations/{station.pk}"' in html
    # The heartbeat's time for the page to tick from, in UTC; the chart's points of the session.
    assert f'data-age-of="{(START + timedelta(minutes=29)).isoformat()}"' in html
    power = json.loads(re.search(r'<script id="station-power" type="application/json">(.*?)</script>', html)[1])
    assert power == [
        {
            "evse": 1,
            "transaction_id": charging.pk,
            "points": [
                [(START + timedelta(minutes=10)).isoformat(), 9_000],
                [(START + timedelta(minutes=20)).isoformat(), 10_500],
            ],
        }
    ]


def test_recent_status_changes_are_listed_with_their_vendor_codes(operator, station):
    status(station, 2, "Available", START)
    status(
        station,
        2,
        "Faulted",
        START + timedelta(minutes=1),
        error_code="GroundFailure",
        vendor_id="com.acme",
        vendor_error_code="E-4711",
        info="RCD tripped",
    )
    seen = text(page(operator, station))
    assert "EVSE 2 / connector 1 Available → Faulted GroundFailure E-4711 com.acme RCD tripped" in seen
    assert "– → Available" in seen  # its first report: nothing before it
    connector = live(operator, station)["evses"][1]["connectors"][0]
    assert connector == {"number": 1, "status": "Faulted", "error_code": "GroundFailure", "vendor_error_code": "E-4711"}


def test_the_live_twin_has_the_figures_of_a_new_reading(operator, station, charging):
    before = live(operator, station)["evses"][0]["session"]
    assert (before["power_w"], before["energy_wh"], before["soc_percent"]) == (10_500, 3_250, 48)

    readings(station, charging, START + timedelta(minutes=25), wh=14_100, w=11_000, soc=52)
    record_cost(
        transaction_id=charging.pk,
        currency="EUR",
        excl_vat=Decimal("2.2500"),
        incl_vat=Decimal("2.6775"),
        priced_at=START + timedelta(minutes=25),
    )

    state = live(operator, station)
    session = state["evses"][0]["session"]
    assert session["transaction_id"] == charging.pk
    assert (session["power_w"], session["energy_wh"], session["soc_percent"]) == (11_000, 4_100, 52)
    assert session["cost"] == {"amount": "2.68", "currency": "EUR"}
    assert session["driver"] == "driver@example.com" and session["id_token"] == TAG
    assert state["power"][0]["points"][-1] == [(START + timedelta(minutes=25)).isoformat(), 11_000]
    assert state["evses"][1]["session"] is None
    # The page's parts, rendered anew for the browser to swap in.
    assert "11.00 kW" in text(state["html"]["station-evses"]) and "4.10 kWh" in text(state["html"]["station-evses"])
    assert "Charging" in state["html"]["station-header"]
    assert state["station"]["online"] is True and state["station"]["charge_point_id"] == "CP-PAGE"


def test_power_is_derived_from_the_energy_register_when_no_power_is_sampled(station):
    status(station, 1, "Preparing", START)
    tx = start_transaction(
        station_id=station.pk, evse_number=1, id_tag=TAG, meter_start_wh=0, started_at=START
    ).transaction
    status(station, 1, "Charging", START + timedelta(seconds=5))
    for minutes, wh in ((0, 0), (10, 1_000), (20, 3_000), (30, 2_000)):  # the last one: a meter reset
        readings(station, tx, START + timedelta(minutes=minutes), wh=wh)
    assert power_series(transaction_id=tx.pk) == [
        (START + timedelta(minutes=10), 6_000),  # 1 kWh in 10 min
        (START + timedelta(minutes=20), 12_000),
    ]


def test_the_message_log_shows_the_stations_own_frames(operator, station):
    frame = '[2,"m-1","StatusNotification",{"connectorId":1,"status":"Faulted","errorCode":"GroundFailure"}]'
    OcppMessage.objects.create(
        charge_point_id="CP-PAGE",
        direction="in",
        message_type=2,
        action="StatusNotification",
        unique_id="m-1",
        payload=frame,
        created_at=START,
    )
    OcppMessage.objects.create(
        charge_point_id="CP-PAGE",
        direction="out",
        message_type=3,
        unique_id="m-1",
        payload='[3,"m-1",{}]',
        created_at=START,
    )
    OcppMessage.objects.create(
        charge_point_id="CP-OTHER",
        direction="in",
        action="Heartbeat",
        payload='[2,"x-9","Heartbeat",{}]',
        created_at=START,
    )
    html = page(operator, station)
    seen = text(html)
    assert "charger → CSMS CALL StatusNotification m-1" in seen
    assert "CSMS → charger CALLRESULT" in seen
    assert "<details>" in html and "&quot;GroundFailure&quot;" in html  # the frame itself, collapsed
    assert "x-9" not in html
    assert (
        f'href="{reverse("admin:ocpp_ocppmessage_changelist")}?charge_point_id=CP-PAGE"' in html
        and f'href="{reverse("admin:stations_chargingstation_change", args=[station.pk])}"' in html
    )


class CommandForms(HTMLParser):
    """The command buttons of a page: each form's action, hidden fields and button."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method") == "post":
            self._form = {
                "url": attrs.get("action"),
                "fields": {},
                "button": None,
                "confirm": attrs.get("data-confirm"),
            }
        elif self._form is not None and tag == "input" and attrs.get("type") == "hidden":
            self._form["fields"][attrs["name"]] = attrs["value"]
        elif self._form is not None and tag == "button" and "data-command" in attrs:
            self._form["button"] = attrs

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            if self._form["button"] is not None:
                self.forms.append(self._form)
            self._form = None

    @staticmethod
    def hidden_fields(html: str) -> dict[str, str]:
        """Every hidden input of a page (the admin's command form has one form)."""
        found: dict[str, str] = {}

        class Hidden(HTMLParser):
            def handle_starttag(self, tag, attrs):
                attrs = dict(attrs)
                if tag == "input" and attrs.get("type") == "hidden":
                    found[attrs["name"]] = attrs["value"]

        Hidden().feed(html)
        return found


def commands(html: str) -> dict[str, dict]:
    parser = CommandForms()
    parser.feed(html)
    return {form["button"]["data-command"]: form for form in parser.forms}


def test_the_admins_commands_are_buttons_an_operator_may_press(operator, station):
    buttons = commands(page(operator, station))
    # Read from the admin's registry: its own commands and those the sessions app contributes.
    assert {"reset_soft", "reset_hard", "unlock_connector", "change_availability", "trigger_message"} <= set(buttons)
    assert {"remote_start", "reserve_now", "send_local_list"} <= set(buttons)
    assert not {"delete_selected", "accept_stations", "reject_stations"} & set(buttons)
    for name, form in buttons.items():
        assert form["url"] == reverse("admin:stations_chargingstation_command", args=[station.pk])
        assert form["fields"]["action"] == name and form["fields"]["_selected_action"] == str(station.pk)
        assert form["fields"]["next"] == reverse("dashboard:station", args=[station.pk])
        assert form["fields"]["csrfmiddlewaretoken"]
        assert "disabled" not in form["button"]


def test_a_station_is_offered_only_the_commands_of_its_ocpp_version(operator, station):
    assert {"get_configuration", "change_configuration"} <= set(commands(page(operator, station)))
    assert not {"get_base_report", "get_variables", "set_variables"} & set(commands(page(operator, station)))
    station_connected(station_id=station.pk, channel_name="specific.test!page", ocpp_version="2.0.1")
    offered = set(commands(page(operator, station)))
    assert {"get_base_report", "get_variables", "set_variables", "reset_soft"} <= offered
    assert not {"get_configuration", "change_configuration"} & offered


def test_a_command_sent_at_the_press_asks_first_and_one_with_a_form_does_not(operator, station):
    buttons = commands(page(operator, station))
    assert buttons["reset_hard"]["confirm"] == f"Send “Reset (hard)” to {station.charge_point_id} now?"
    assert buttons["reset_soft"]["confirm"]
    assert buttons["unlock_connector"]["confirm"] is None  # "Unlock connector…": the admin's form asks which


def test_a_viewer_sees_the_same_commands_disabled(viewer, station):
    buttons = commands(page(viewer, station))
    assert "reset_soft" in buttons and "change_availability" in buttons
    for form in buttons.values():
        assert "disabled" in form["button"] and "operator role" in form["button"]["title"]


@pytest.fixture
def charger():
    """What reaches the charger: every command the gateway is asked to carry (it answers Accepted)."""
    sent = []

    async def dispatch(*, station_id, command):
        sent.append((station_id, command))
        return gateway.Reply(action=type(command).__name__, status="Accepted", data={})

    with mock.patch.object(gateway, "dispatch", dispatch):
        yield sent


def press(client, form: dict):
    return client.post(form["url"], form["fields"], follow=True)


def told(response) -> list[str]:
    return [message.message for message in response.context["messages"]]


def test_a_viewers_post_of_a_command_never_reaches_the_charger(client, django_user_model, station, charger):
    """The page's form posted as a browser would, disabled button or not: the admin refuses it."""
    reset = commands(page(signed_in(client, django_user_model, "operator"), station))["reset_soft"]
    client.logout()
    refused = press(signed_in(client, django_user_model, "viewer"), reset)
    assert refused.status_code == 403 and charger == []

    client.logout()
    client.force_login(django_user_model.objects.get(username="operator"))
    sent = press(client, reset)
    assert charger == [(station.pk, Reset(hard=False))]
    assert told(sent) == ["CP-PAGE: Reset Accepted"]
    # ... told on the dashboard's station page the operator pressed it on, not the admin's
    assert sent.redirect_chain[-1][0] == reverse("dashboard:station", args=[station.pk])
    assert "CP-PAGE: Reset Accepted" in text(sent.content.decode())


def test_a_command_with_parameters_asks_for_them_on_the_admins_own_form(operator, station, charger):
    asked = press(operator, commands(page(operator, station))["change_availability"])
    assert asked.status_code == 200 and "admin/stations/command_form.html" in [t.name for t in asked.templates]
    assert "CP-PAGE" in text(asked.content.decode()) and charger == []
    # The form posts back to the command view and carries the way back to the dashboard.
    filled = CommandForms.hidden_fields(asked.content.decode())
    assert filled["next"] == reverse("dashboard:station", args=[station.pk])
    sent = operator.post(
        reverse("admin:stations_chargingstation_command", args=[station.pk]),
        {**filled, "evse_number": "1", "availability": "Inoperative"},
        follow=True,
    )
    assert sent.redirect_chain[-1][0] == reverse("dashboard:station", args=[station.pk])
    assert len(charger) == 1 and charger[0][0] == station.pk


def test_an_unknown_station_is_404(operator, station):
    assert operator.get(reverse("dashboard:station", args=[station.pk + 1000])).status_code == 404
    missing = operator.get(reverse("dashboard:station-live", args=[station.pk + 1000]))
    assert missing.status_code == 404 and "detail" in missing.json()


def test_anonymous_visitors_are_sent_to_sign_in(client, station):
    for name in ("dashboard:station", "dashboard:station-live"):
        response = client.get(reverse(name, args=[station.pk]))
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
