"""Transactions the charger never stops: ended by a new start, a reboot, silence or an operator,
from their last reading, billed, and told to operators. Plus the identity of a replayed start
and meter registers that are exact and never bill negative energy."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.urls import reverse

from billing.models import ChargeDetailRecord, PriceComponent, Tariff, TariffAssignment, TariffElement
from sessions import closing, tasks
from sessions.authorization import authorize
from sessions.driver_sessions import OPEN_STATES
from sessions.meter import Sample
from sessions.models import DriverSession, IdTag, Transaction
from sessions.services.meter_values import record_meter_values
from sessions.services.transactions import start_transaction, stop_transaction
from stations.models import ChargingStation, StationEvent
from stations.services.connections import provision_station
from tests.api_fixtures import new_driver
from tests.billing.localstripe_server import localstripe, stripe_api  # noqa: F401 (fixtures)

# Committed as the server commits, so billing's subscribers seal each ended transaction (eager tasks, localstripe).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_tasks", "stripe_api")]

T0 = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # what a charger without a clock reports


@pytest.fixture
def station(db):
    """A single-connector station charging 0.30 EUR per kWh, no VAT."""
    station = provision_station(charge_point_id="CP-END", password="a-long-station-password", evse_count=1)
    tariff = Tariff.objects.create(tariff_id="KWH")
    element = TariffElement.objects.create(tariff=tariff, position=0)
    PriceComponent.objects.create(element=element, type="ENERGY", price=Decimal("0.30"), step_size=1, vat=None)
    TariffAssignment.objects.create(tariff=tariff, evse=station.evses.get())
    return station


@pytest.fixture
def cards(db):
    dana = new_driver("dana@example.com", "a-fine-password-42")
    return [IdTag.objects.create(id_tag=tag, owner=dana) for tag in ("CARD-A", "CARD-B")]


def start(station, tag: str, meter_wh: int, at: datetime) -> Transaction:
    return start_transaction(
        station_id=station.pk, evse_number=1, id_tag=tag, meter_start_wh=meter_wh, started_at=at
    ).transaction


def reading(tx: Transaction, at: datetime, wh: int) -> None:
    record_meter_values(
        station_id=tx.station_id, evse_number=1, transaction_id=tx.pk, samples=[Sample(timestamp=at, value=str(wh))]
    )


def stop(tx: Transaction, meter_wh: int, at: datetime) -> None:
    stop_transaction(
        station_id=tx.station_id, transaction_id=tx.pk, meter_stop_wh=meter_wh, stopped_at=at, reason="Local"
    )


def deviations(station) -> list[str]:
    return list(
        StationEvent.objects.filter(station=station, kind="deviation").order_by("id").values_list("summary", flat=True)
    )


def cdr(tx: Transaction) -> ChargeDetailRecord:
    return ChargeDetailRecord.objects.get(transaction=tx)


# --- item 9: a new start on the EVSE ends the transaction it replaces ------------------------------


def test_a_new_start_ends_the_open_transaction_from_its_last_reading_and_bills_it(station, cards):
    first = start(station, "CARD-A", 1_000, T0)
    reading(first, T0 + timedelta(minutes=30), 4_000)
    second = start(station, "CARD-B", 4_000, T0 + timedelta(hours=2))

    first.refresh_from_db()
    assert (first.status, first.stop_reason, first.meter_stop_wh, first.stopped_at) == (
        "completed",
        "EndedByNewStart",
        4_000,
        T0 + timedelta(hours=2),
    )
    assert first.energy_wh == 3_000 and "CARD-B" in first.end_note
    assert (cdr(first).total_energy_wh, cdr(first).total_cost_excl_vat) == (3_000, Decimal("0.90"))
    assert DriverSession.objects.get(transaction=first).state == "completed"
    assert deviations(station) == [
        f"Transaction {first.pk} ended without a stop: a new transaction started on its EVSE"
    ]
    assert authorize(id_tag="CARD-A").status == "Accepted"  # no ConcurrentTx for the card any more
    assert Transaction.objects.get(pk=second.pk).status == "active"


def test_the_same_card_starting_again_after_a_lost_transaction_is_accepted(station, cards):
    lost = start(station, "CARD-A", 1_000, T0)
    again = start_transaction(
        station_id=station.pk, evse_number=1, id_tag="CARD-A", meter_start_wh=2_500, started_at=T0 + timedelta(hours=1)
    )
    assert again.id_tag_info.status == "Accepted"
    assert Transaction.objects.get(pk=lost.pk).status == "completed"
    assert list(DriverSession.objects.filter(state="active").values_list("transaction", flat=True)) == [
        again.transaction.pk
    ]


def test_a_queued_older_start_leaves_the_newer_open_transaction_alone(station, cards):
    newer = start(station, "CARD-A", 5_000, T0 + timedelta(hours=3))
    start(station, "CARD-B", 1_000, T0)  # delivered late, from the charger's offline queue
    assert Transaction.objects.get(pk=newer.pk).status == "active"


# --- item 11: a replay is the same request, not merely the same time -------------------------------


def test_two_sessions_of_a_clockless_charger_with_one_start_time_are_both_kept_and_billed(station, cards):
    first = start(station, "CARD-A", 10_000, EPOCH)
    stop(first, 13_000, EPOCH + timedelta(hours=1))
    second = start(station, "CARD-A", 13_000, EPOCH)
    stop(second, 20_000, EPOCH + timedelta(hours=1))

    assert second.pk != first.pk
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.status, first.energy_wh, second.status, second.energy_wh) == ("completed", 3_000, "completed", 7_000)
    assert (cdr(first).total_energy_wh, cdr(second).total_energy_wh) == (3_000, 7_000)


def test_the_same_start_request_again_is_a_replay(station, cards):
    first = start_transaction(station_id=station.pk, evse_number=1, id_tag="CARD-A", meter_start_wh=500, started_at=T0)
    again = start_transaction(station_id=station.pk, evse_number=1, id_tag="CARD-A", meter_start_wh=500, started_at=T0)
    assert (again.replayed, again.transaction.pk, again.id_tag_info) == (True, first.transaction.pk, first.id_tag_info)
    assert Transaction.objects.count() == 1 and deviations(station) == []


def test_a_second_start_at_the_same_time_ends_the_first_if_still_open(station, cards):
    first = start(station, "CARD-A", 10_000, EPOCH)
    reading(first, EPOCH + timedelta(minutes=20), 12_000)
    second = start(station, "CARD-B", 12_000, EPOCH)
    first.refresh_from_db()
    assert (first.status, first.meter_stop_wh, first.stopped_at) == ("completed", 12_000, EPOCH + timedelta(minutes=20))
    assert Transaction.objects.get(pk=second.pk).status == "active"


def test_the_database_refuses_a_second_copy_of_one_start_request(station):
    connector = station.evses.get().connectors.get()
    fields = {
        "station": station,
        "connector": connector,
        "id_tag_value": "CARD-A",
        "authorization_status": "Accepted",
        "meter_start_wh": 1,
        "started_at": T0,
    }
    Transaction.objects.create(**fields)
    Transaction.objects.create(**{**fields, "meter_start_wh": 2})  # another session, same time
    with pytest.raises(IntegrityError), transaction.atomic():
        Transaction.objects.create(**fields)


# --- item 16: exact registers, resets recorded, never negative energy ------------------------------


def test_a_meter_stop_below_the_start_is_a_recorded_reset_and_bills_no_negative_energy(station, cards):
    tx = start(station, "CARD-A", 50_000, T0)
    stop(tx, 200, T0 + timedelta(hours=1))
    tx.refresh_from_db()
    assert (tx.meter_start_wh, tx.meter_stop_wh, tx.meter_drop_wh, tx.energy_wh) == (50_000, 200, 49_800, 0)
    assert (cdr(tx).total_energy_wh, cdr(tx).total_cost_excl_vat) == (0, Decimal("0.00"))
    assert deviations(station) == [f"Meter reset in transaction {tx.pk}: the register went back 49800 Wh"]


def test_a_reset_mid_session_counts_what_was_metered_before_and_after(station, cards):
    tx = start(station, "CARD-A", 10_000, T0)
    reading(tx, T0 + timedelta(minutes=20), 11_000)
    reading(tx, T0 + timedelta(minutes=40), 200)  # the meter was replaced
    tx.refresh_from_db()
    assert tx.energy_wh == 1_000  # live: never negative
    stop(tx, 500, T0 + timedelta(hours=1))
    tx.refresh_from_db()
    assert (tx.energy_wh, cdr(tx).total_energy_wh, cdr(tx).total_cost_excl_vat) == (1_300, 1_300, Decimal("0.39"))


def test_large_registers_stay_exact(station, cards):
    big = 9_007_199_254_740_993  # 2**53 + 1: float cannot hold it
    tx = start(station, "CARD-A", big, T0)
    stop(tx, big + 1_000, T0 + timedelta(hours=1))
    tx.refresh_from_db()
    assert (tx.meter_start_wh, tx.energy_wh, cdr(tx).total_energy_wh) == (big, 1_000, 1_000)


# --- item 21: a crashed charger's transactions end ---------------------------------------------------


def boot(station, at: datetime) -> None:
    ChargingStation.objects.filter(pk=station.pk).update(last_boot_at=at)


def test_an_evse_reported_free_after_a_reboot_ends_the_transaction_from_its_last_reading(station, cards):
    tx = start(station, "CARD-A", 1_000, T0)
    reading(tx, T0 + timedelta(minutes=10), 2_500)
    closing.end_transactions_lost_in_reboot(station_id=station.pk, evse_number=1, status="Available")
    assert Transaction.objects.get(pk=tx.pk).status == "active"  # no reboot: the charger still has it

    boot(station, tx.created_at + timedelta(seconds=1))
    closing.end_transactions_lost_in_reboot(station_id=station.pk, evse_number=1, status="Available")
    tx.refresh_from_db()
    assert (tx.status, tx.stop_reason, tx.meter_stop_wh, tx.stopped_at) == (
        "completed",
        "EndedByReboot",
        2_500,
        T0 + timedelta(minutes=10),
    )
    assert cdr(tx).total_energy_wh == 1_500
    assert DriverSession.objects.get(transaction=tx).state == "completed"
    assert not DriverSession.objects.filter(
        connector__evse__station=station, state__in=OPEN_STATES
    ).exists()  # app starts pass
    assert authorize(id_tag="CARD-A").status == "Accepted"


def test_a_transaction_started_after_the_reboot_or_a_busy_status_keeps_it_open(station, cards):
    boot(station, T0)
    tx = start(station, "CARD-A", 1_000, T0)  # created after the boot: e.g. queued offline, its stop follows
    for status in ("Available", "Charging"):
        closing.end_transactions_lost_in_reboot(station_id=station.pk, evse_number=1, status=status)
    assert Transaction.objects.get(pk=tx.pk).status == "active"


@override_settings(OCPP_TRANSACTION_STALE_AFTER=3600)
def test_silent_transactions_end_from_their_last_reading_measured_on_our_clock(station, cards):
    silent = start(station, "CARD-A", 1_000, T0)
    reading(silent, T0 + timedelta(minutes=5), 1_800)
    heard = start_transaction(
        station_id=station.pk, evse_number=1, id_tag="CARD-B", meter_start_wh=0, started_at=EPOCH
    ).transaction
    now = Transaction.objects.get(pk=silent.pk).updated_at + timedelta(hours=1, seconds=1)
    Transaction.objects.filter(pk=heard.pk).update(
        updated_at=now - timedelta(minutes=1)
    )  # clockless, but heard of lately

    assert closing.end_stale_transactions(now=now) == 1
    silent.refresh_from_db()
    assert (silent.status, silent.stop_reason, silent.meter_stop_wh, silent.stopped_at) == (
        "completed",
        "EndedStale",
        1_800,
        T0 + timedelta(minutes=5),
    )
    assert silent.end_note == "No reading or message for 3600 s" and cdr(silent).total_energy_wh == 800
    assert Transaction.objects.get(pk=heard.pk).status == "active"


def test_the_stale_sweep_is_scheduled():
    entry = next(
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "sessions.tasks.end_stale_transactions"
    )
    assert entry["schedule"] <= 3600 and tasks.end_stale_transactions.name == entry["task"]
    assert settings.OCPP_TRANSACTION_STALE_AFTER == 24 * 3600


def test_a_stop_arriving_after_the_end_changes_nothing_and_is_noted(station, cards):
    tx = start(station, "CARD-A", 1_000, T0)
    assert closing.force_close(transaction_id=tx.pk, reason="charger replaced", operator="olga")
    stop(tx, 9_000, T0 + timedelta(hours=2))
    tx.refresh_from_db()
    assert (tx.meter_stop_wh, tx.stop_reason, tx.end_note) == (1_000, "ForceClosed", "olga: charger replaced")
    assert (
        deviations(station)[-1] == f"Stop for transaction {tx.pk} came after it was ended without a stop (ForceClosed)"
    )
    assert ChargeDetailRecord.objects.filter(transaction=tx).count() == 1
    assert not closing.force_close(transaction_id=tx.pk, reason="again", operator="olga")


# --- item 21c: operators force-close in the admin, with a reason and the permission -------------------


def staff(django_user_model, username: str, *permissions: str):
    user = django_user_model.objects.create_user(username, f"{username}@example.com", "op-password-123", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="charging", codename__in=permissions))
    return user


def force_close_post(client, tx: Transaction, **extra):
    return client.post(
        reverse("admin:charging_transaction_changelist"),
        {"action": "force_close", "_selected_action": [tx.pk], **extra},
    )


def test_an_operator_force_closes_a_transaction_with_a_reason_kept(client, django_user_model, station, cards):
    tx = start(station, "CARD-A", 1_000, T0)
    reading(tx, T0 + timedelta(minutes=45), 3_000)
    client.force_login(staff(django_user_model, "olga", "view_transaction", "force_close_transaction"))

    asked = force_close_post(client, tx)
    assert asked.status_code == 200 and "Reason" in asked.content.decode()
    assert force_close_post(client, tx, apply="yes", reason="").status_code == 200  # a reason is required
    assert Transaction.objects.get(pk=tx.pk).status == "active"

    done = force_close_post(client, tx, apply="yes", reason="Charger replaced, session stuck")
    assert done.status_code == 302
    tx.refresh_from_db()
    assert (tx.status, tx.stop_reason, tx.meter_stop_wh, tx.end_note) == (
        "completed",
        "ForceClosed",
        3_000,
        "olga: Charger replaced, session stuck",
    )
    assert cdr(tx).total_energy_wh == 2_000 and DriverSession.objects.get(transaction=tx).state == "completed"
    assert deviations(station) == [f"Transaction {tx.pk} ended without a stop: an operator force-closed it"]


def test_force_close_needs_its_permission(client, django_user_model, station, cards):
    tx = start(station, "CARD-A", 1_000, T0)
    client.force_login(staff(django_user_model, "vic", "view_transaction", "change_transaction"))
    page = client.get(reverse("admin:charging_transaction_changelist")).content.decode()
    assert 'value="force_close"' not in page
    force_close_post(client, tx, apply="yes", reason="trying")
    assert Transaction.objects.get(pk=tx.pk).status == "active"
