"""Meter values are upserts keyed by (transaction, timestamp, measurand, phase, location): a replayed
MeterValues adds nothing, and what a replay or a late queue carries never rolls the live reading back."""

from datetime import UTC, datetime, timedelta

import pytest

from sessions.meter import Sample
from sessions.models import MeterValue, Transaction
from stations.models import StationEvent
from tests.sessions.chargers import Charger16, energy
from tests.stations.conftest import create_site

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def minutes(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


@pytest.fixture
def transaction_id(charger16, card) -> int:
    return charger16.session(id_tag="CARD-A", meter_start=1_000, at=T0)


def test_a_replayed_meter_values_adds_nothing(charger16, transaction_id):
    readings = (energy(minutes(5), 1_400), energy(minutes(10), 1_900))
    charger16.meter_values(transaction_id, *readings)
    charger16.meter_values(transaction_id, *readings)  # the answer was lost: sent again

    assert MeterValue.objects.filter(transaction_id=transaction_id).count() == 2
    tx = Transaction.objects.get()
    assert (tx.last_meter_wh, tx.last_reading_at, tx.energy_wh) == (1_900, minutes(10), 900)


def test_the_same_reading_in_another_unit_is_the_same_row(charger16, transaction_id):
    """A replay is keyed by what was sampled, not how it was written: 1.4 kWh is the 1400 Wh reading."""
    charger16.meter_values(transaction_id, energy(minutes(5), 1_400))
    charger16.meter_values(transaction_id, Sample(timestamp=minutes(5), value="1.4", unit="kWh"))

    assert list(MeterValue.objects.values_list("value", "unit")) == [(1_400, "Wh")]


def test_each_measurand_phase_and_location_of_one_moment_is_its_own_row(charger16, transaction_id):
    at = minutes(5)
    sampled = [
        energy(at, 1_400),
        energy(at, 1_400, location="Outlet"),
        Sample(timestamp=at, value="7.4", measurand="Power.Active.Import", unit="kW"),
        *(Sample(timestamp=at, value="16", measurand="Current.Import", unit="A", phase=p) for p in ("L1", "L2", "L3")),
        Sample(timestamp=at, value="55", measurand="SoC"),
    ]
    charger16.meter_values(transaction_id, *sampled)
    charger16.meter_values(transaction_id, *sampled)

    assert MeterValue.objects.filter(transaction_id=transaction_id).count() == 7
    tx = Transaction.objects.get()
    assert (tx.last_meter_wh, tx.last_power_w, tx.last_soc_percent) == (1_400, 7_400, 55)


def test_per_phase_registers_are_kept_but_are_not_the_reading(charger16, transaction_id):
    charger16.meter_values(
        transaction_id, *(energy(minutes(5), 400 + n, phase=phase) for n, phase in enumerate(("L1", "L2", "L3")))
    )
    assert MeterValue.objects.count() == 3
    assert Transaction.objects.get().last_meter_wh == 1_000  # still the meter start


def test_late_queued_readings_are_kept_and_leave_the_newer_reading_alone(charger16, transaction_id):
    """Back online, the charger sends the current reading first and its queue after it."""
    charger16.meter_values(transaction_id, energy(minutes(30), 3_000))
    charger16.meter_values(transaction_id, energy(minutes(10), 1_700), energy(minutes(20), 2_300))

    assert list(MeterValue.objects.values_list("value", flat=True)) == [1_700, 2_300, 3_000]
    tx = Transaction.objects.get()
    assert (tx.last_meter_wh, tx.last_reading_at, tx.energy_wh) == (3_000, minutes(30), 2_000)


def test_readings_of_a_transaction_the_station_does_not_have_are_kept_once_as_station_values(charger16, station):
    reading = energy(minutes(5), 1_400)
    charger16.meter_values(777, reading)
    charger16.meter_values(777, reading)

    assert list(MeterValue.objects.values_list("transaction_id", "evse_number", "value")) == [(None, 1, 1_400)]
    assert (
        list(StationEvent.objects.filter(station=station, kind="deviation").values_list("summary", flat=True))
        == ["Meter values for unknown transaction 777"] * 2
    )


def test_readings_of_another_station_s_transaction_stay_with_the_station_that_sent_them(charger16, transaction_id):
    other = Charger16(create_site("CP-OTHER", 52.5, 13.4, online=False).pk)
    other.meter_values(transaction_id, energy(minutes(5), 99_000))

    assert Transaction.objects.get(pk=transaction_id).last_meter_wh == 1_000
    assert list(MeterValue.objects.values_list("station_id", "transaction_id")) == [(other.station_id, None)]


def test_station_meter_values_without_a_transaction_are_upserts_too(station201):
    """2.0.1 MeterValues name no transaction: the EVSE's own meter (0: the station's main meter)."""
    for _ in range(2):
        station201.meter_values(0, energy(minutes(5), 120_000))
        station201.meter_values(2, energy(minutes(5), 3_000))

    assert sorted(MeterValue.objects.values_list("evse_number", "value")) == [(0, 120_000), (2, 3_000)]
