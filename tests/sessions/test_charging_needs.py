"""A driver's departure time and energy through the drivers' API, the car's through the service the 2.0.1
handler calls, and what the planner reads of both (sessions.selectors.charging_needs)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from csms import lifecycle
from csms.live import transaction_group
from sessions.charging_needs import CarNeeds, Source, record_car_needs
from sessions.events import ChargingNeedsChanged
from sessions.models import DriverSession, EvChargingNeeds
from sessions.selectors import charging_needs
from sessions.services.transactions import start_transaction
from stations.services.connections import provision_station
from tests.api_fixtures import client_for, driver  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def station(db):
    station = provision_station(charge_point_id="NEEDS-1", password="a-long-station-password", evse_count=2)
    station.connection_channel = "specific.fake!channel"  # online, as far as the database knows
    station.save()
    return station


@pytest.fixture
def told(monkeypatch) -> list[ChargingNeedsChanged]:
    """Every ChargingNeedsChanged delivered, in order (instead of its subscribers)."""
    events: list[ChargingNeedsChanged] = []
    monkeypatch.setitem(lifecycle._subscribers, ChargingNeedsChanged, [events.append])
    return events


def later(hours: float) -> str:
    return (timezone.now() + timedelta(hours=hours)).replace(microsecond=0).isoformat()


def start(client, **body):
    return client.post("/api/v1/sessions", {"station_id": "NEEDS-1", "evse_id": 1, **body}, format="json")


def charger_starts(session_id: int) -> int:
    """The charger reports the start with the driver's app token: the session is active; its transaction id."""
    session = DriverSession.objects.get(pk=session_id)
    started = start_transaction(
        station_id=session.station_id,
        evse_number=1,
        id_tag=session.id_tag.id_tag,
        meter_start_wh=0,
        started_at=timezone.now(),
    )
    return started.transaction.pk


def test_a_start_keeps_the_departure_and_energy_and_the_get_shows_them(driver, station):
    client = client_for(driver)
    departure = later(8)
    created = start(client, departure_time=departure, energy_needed_kwh=32.5)
    assert created.status_code == 202
    shown = client.get(f"/api/v1/sessions/{created.json()['id']}").json()
    assert datetime.fromisoformat(shown["departure_time"]) == datetime.fromisoformat(departure)
    assert shown["energy_needed_kwh"] == 32.5
    session = DriverSession.objects.get()
    assert (session.departure_at, session.energy_wanted_wh) == (datetime.fromisoformat(departure), 32_500)


def test_a_start_without_needs_shows_none(driver, station):
    shown = start(client_for(driver)).json()
    assert (shown["departure_time"], shown["energy_needed_kwh"]) == (None, None)


@pytest.mark.parametrize(
    "body, field, code",
    [
        ({"departure_time": "2020-01-01T08:00:00Z"}, "departure_time", "in_the_past"),
        ({"departure_time": "in the evening"}, "departure_time", "invalid"),
        ({"energy_needed_kwh": 0}, "energy_needed_kwh", "min_value"),
        ({"energy_needed_kwh": -5}, "energy_needed_kwh", "min_value"),
        ({"energy_needed_kwh": 251}, "energy_needed_kwh", "max_value"),
        ({"energy_needed_kwh": "30"}, "energy_needed_kwh", "wrong_type"),
    ],
)
def test_an_invalid_need_is_a_validation_error_naming_the_field(driver, station, body, field, code):
    answer = start(client_for(driver), **body)
    assert answer.status_code == 400
    error = answer.json()
    assert (error["code"], list(error["fields"])) == ("validation_error", [field])
    assert error["fields"][field][0]["code"] == code
    assert not DriverSession.objects.exists()


def test_a_departure_more_than_48_hours_ahead_is_refused(driver, station):
    error = start(client_for(driver), departure_time=later(49)).json()
    assert error["fields"]["departure_time"] == [
        {"code": "too_far_ahead", "message": "The departure time must be at most 48 h ahead."}
    ]


def test_the_needs_given_at_the_start_are_told_once_the_charger_starts(
    driver, station, told, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        session_id = start(client_for(driver), energy_needed_kwh=20).json()["id"]
    assert told == []  # pending: no transaction to plan for yet
    with django_capture_on_commit_callbacks(execute=True):
        tx_id = charger_starts(session_id)
    assert told == [ChargingNeedsChanged(transaction_id=tx_id, station_id=station.pk, source=Source.DRIVER)]


def test_a_driver_changes_the_needs_while_charging(driver, station, told, django_capture_on_commit_callbacks):
    client = client_for(driver)
    session_id = start(client, energy_needed_kwh=20, departure_time=later(5)).json()["id"]
    tx_id = charger_starts(session_id)
    with django_capture_on_commit_callbacks(execute=True):
        changed = client.patch(f"/api/v1/sessions/{session_id}", {"energy_needed_kwh": 12.25}, format="json")
    assert changed.status_code == 200 and changed.json()["energy_needed_kwh"] == 12.25
    assert changed.json()["departure_time"] is not None  # left out: left as it was
    assert told == [ChargingNeedsChanged(transaction_id=tx_id, station_id=station.pk, source=Source.DRIVER)]
    cleared = client.patch(f"/api/v1/sessions/{session_id}", {"departure_time": None}, format="json").json()
    assert (cleared["departure_time"], cleared["energy_needed_kwh"]) == (None, 12.25)
    invalid = client.patch(f"/api/v1/sessions/{session_id}", {"departure_time": later(-1)}, format="json")
    assert (invalid.status_code, invalid.json()["fields"]["departure_time"][0]["code"]) == (400, "in_the_past")
    assert client.put(f"/api/v1/sessions/{session_id}", {}, format="json").status_code == 405


def test_the_needs_of_an_ended_session_cannot_change(driver, station):
    client = client_for(driver)
    session_id = start(client).json()["id"]
    DriverSession.objects.filter(pk=session_id).update(state=DriverSession.State.FAILED)
    refused = client.patch(f"/api/v1/sessions/{session_id}", {"energy_needed_kwh": 10}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (409, "session_ended")
    assert DriverSession.objects.get().energy_wanted_wh is None


def car(**fields) -> CarNeeds:
    return CarNeeds(evse_number=1, energy_transfer=EvChargingNeeds.EnergyTransfer.AC_THREE_PHASE, **fields)


def test_the_driver_s_word_wins_field_by_field_and_the_car_fills_the_rest(driver, station):
    departure = timezone.now() + timedelta(hours=6)
    session_id = start(client_for(driver), energy_needed_kwh=30).json()["id"]
    tx_id = charger_starts(session_id)
    car_leaves = datetime(2026, 12, 5, 7, 0, tzinfo=UTC)
    assert record_car_needs(
        station_id=station.pk, needs=car(departure_at=car_leaves, energy_wh=45_000, min_current_a=6, max_current_a=16)
    )
    needs = charging_needs([tx_id])[tx_id]
    assert (needs.energy_wh, needs.energy_source) == (30_000, Source.DRIVER)
    assert (needs.departure_at, needs.departure_source) == (car_leaves, Source.CAR)
    assert (needs.min_current_a, needs.max_current_a, needs.energy_transfer) == (6, 16, "ac_three_phase")
    DriverSession.objects.filter(pk=session_id).update(departure_at=departure, energy_wanted_wh=None)
    needs = charging_needs([tx_id])[tx_id]
    assert (needs.departure_at, needs.departure_source) == (departure, Source.DRIVER)
    assert (needs.energy_wh, needs.energy_source) == (45_000, Source.CAR)


def test_a_transaction_nobody_told_of_is_left_out(driver, station):
    tx_id = charger_starts(start(client_for(driver)).json()["id"])
    assert charging_needs([tx_id, 999_999]) == {}


def test_the_car_s_report_without_a_running_transaction_is_not_kept(station):
    assert not record_car_needs(station_id=station.pk, needs=car(energy_wh=10_000))
    assert not EvChargingNeeds.objects.exists()


def test_the_driver_s_stream_is_nudged_when_the_needs_of_a_running_session_change(
    driver, station, monkeypatch, django_capture_on_commit_callbacks
):
    nudged: list[tuple[list[str], dict]] = []
    monkeypatch.setattr("sessions.live.publish", lambda groups, event: nudged.append((groups, event)))
    client = client_for(driver)
    session_id = start(client).json()["id"]
    tx_id = charger_starts(session_id)
    with django_capture_on_commit_callbacks(execute=True):
        client.patch(f"/api/v1/sessions/{session_id}", {"energy_needed_kwh": 8}, format="json")
    assert (
        [transaction_group(tx_id)],
        {"type": "charging_needs_changed", "transaction_id": tx_id, "station_id": station.pk},
    ) in nudged


def test_the_operator_sees_the_car_s_needs_on_the_transaction(driver, station, client, django_user_model):
    tx_id = charger_starts(start(client_for(driver)).json()["id"])
    record_car_needs(station_id=station.pk, needs=car(energy_wh=27_000, max_current_a=32))
    client.force_login(django_user_model.objects.create_superuser("op", "op@example.com", "op-password-123"))
    page = client.get(f"/admin/charging/transaction/{tx_id}/change/")
    assert page.status_code == 200
    assert b"EV charging needs" in page.content and b"27000" in page.content
