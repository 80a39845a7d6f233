"""Parking is billed only for time inside the session when the EV is connected and not charging (issue 9, item 24).

The sequences are those compliant chargers send: OCPP 1.6 reports Preparing
just before StartTransaction and Finishing just after StopTransaction;
OCPP 2.0.1 starts its transaction in EVConnected and says Charging a moment
later. Those moments are not parking; a genuine idle after charging is, to
the step. Priced with the demo tariff (csms/management/commands/seed_demo.py:
0.35 EUR/kWh, parking 6.00 EUR/h in 60 s steps, 19 % VAT) and with the OCPI
spec's complex tariff (tariff_4_complex: parking 5.00 EUR/h in 300 s steps on
workdays 09:00-18:00, 10 % VAT).
"""

from datetime import timedelta
from decimal import Decimal

import pytest

from billing import pricing
from billing.selectors import session_timeline
from billing.services import record_charge_detail_record
from sessions.meter import Sample
from sessions.models import IdTag, Transaction
from sessions.services.transaction_events import TransactionStep, record_transaction_step
from tests.billing.ocpi_examples import example
from tests.billing.stored_sessions import START, sample, status, stored_transaction

pytestmark = pytest.mark.django_db
MS = 1 / 60_000  # one millisecond, in minutes
DEMO = (("ENERGY", "0.35", 1, "19"), ("PARKING_TIME", "6.00", 60, "19"))


@pytest.fixture
def demo_priced(connectors, location, make_tariff, assign):
    assign(make_tariff("DEMO-AC", *DEMO), location=location)
    return connectors[0]


def charging_16(connector, *, idle_minutes: float = 0, finishing_before_stop: float | None = None) -> Transaction:
    """A 60-minute 1.6 session charging 10 kWh, as a compliant charger reports it, idle for the last `idle_minutes`."""
    transaction = stored_transaction(connector, minutes=60, meter_stop_wh=1_010_000)
    status(connector, -30 * MS, "Preparing")
    status(connector, 45 * MS, "Charging")
    charged_until = 60 - idle_minutes
    sample(transaction, charged_until, "Energy.Active.Import.Register", "1010000")
    if idle_minutes:
        status(connector, charged_until, "SuspendedEV")
    if finishing_before_stop is not None:
        status(connector, 60 - finishing_before_stop, "Finishing")
    else:
        status(connector, 60 + 40 * MS, "Finishing")
    status(connector, 61, "Available")
    return transaction


def charging_201(station, *, idle_minutes: float = 0) -> Transaction:
    """The same session over 2.0.1, through the steps the station numbers, chargingState included."""
    IdTag.objects.create(id_tag="CARD-201")
    register = lambda minutes, wh: (
        Sample(
            timestamp=START + timedelta(minutes=minutes),
            value=str(wh),
            measurand="Energy.Active.Import.Register",
            unit="Wh",
        ),
    )
    steps = [
        ("started", 0, "CablePluggedIn", "EVConnected", register(0, 1_000_000)),
        ("updated", 50 * MS, "ChargingStateChanged", "Charging", ()),
        (
            "updated",
            60 - idle_minutes,
            "MeterValuePeriodic",
            "SuspendedEV" if idle_minutes else "",
            register(60 - idle_minutes, 1_010_000),
        ),
        ("ended", 60, "StopAuthorized", "EVConnected", register(60, 1_010_000)),
    ]
    for seq_no, (kind, minutes, trigger, state, samples) in enumerate(steps):
        record_transaction_step(
            station_id=station.pk,
            step=TransactionStep(
                uid="TX-201",
                seq_no=seq_no,
                kind=kind,
                trigger=trigger,
                timestamp=START + timedelta(minutes=minutes),
                evse_number=1,
                id_tag="CARD-201" if kind == "started" else None,
                samples=samples,
                charging_state=state,
            ),
        )
    return Transaction.objects.get(uid="TX-201")


def complex_cdr(transaction: Transaction) -> pricing.Cdr:
    """The stored session priced with the OCPI spec's complex tariff (at 16 A, so TIME is 1.00 EUR/h)."""
    return pricing.price_session(
        example("tariff_4_complex"), session_timeline(transaction=transaction, connector=transaction.connector)
    )


def money(price) -> tuple[str, str]:
    return str(price.excl_vat), str(price.incl_vat)


class TestOcpp16:
    def test_preparing_before_the_start_and_finishing_after_the_stop_are_not_parking(self, demo_priced):
        record = record_charge_detail_record(transaction_id=charging_16(demo_priced).pk)
        assert record.total_parking_time == timedelta(0)
        assert (record.total_parking_cost_excl_vat, record.total_parking_cost_incl_vat) == (
            Decimal("0.00"),
            Decimal("0.00"),
        )
        assert (record.total_cost_excl_vat, record.total_cost_incl_vat) == (
            Decimal("3.50"),
            Decimal("4.17"),
        )  # 10 kWh only

    def test_a_genuine_20_minute_idle_bills_20_minutes(self, demo_priced):
        record = record_charge_detail_record(transaction_id=charging_16(demo_priced, idle_minutes=20).pk)
        assert record.total_parking_time == timedelta(minutes=20)
        assert (record.total_parking_cost_excl_vat, record.total_parking_cost_incl_vat) == (
            Decimal("2.00"),
            Decimal("2.38"),
        )
        assert (record.total_cost_excl_vat, record.total_cost_incl_vat) == (Decimal("5.50"), Decimal("6.55"))

    def test_finishing_before_the_stop_is_parking(self, demo_priced):
        record = record_charge_detail_record(transaction_id=charging_16(demo_priced, finishing_before_stop=5).pk)
        assert record.total_parking_time == timedelta(minutes=5)
        assert record.total_parking_cost_excl_vat == Decimal("0.50")

    def test_a_status_from_an_earlier_session_is_not_in_force(self, demo_priced):
        status(demo_priced, -120, "SuspendedEV")  # the session before, then Available, then ours
        status(demo_priced, -100, "Available")
        record = record_charge_detail_record(transaction_id=charging_16(demo_priced).pk)
        assert record.total_parking_time == timedelta(0)

    def test_the_complex_tariff(self, connectors):
        assert money(complex_cdr(charging_16(connectors[0])).total_parking_cost) == ("0.00", "0.00")
        idle = complex_cdr(charging_16(connectors[1], idle_minutes=20))
        assert idle.total_parking_time_s == 20 * 60
        assert money(idle.total_parking_cost) == ("1.67", "1.83")  # 20 minutes at 5.00 EUR/h, 10 % VAT


class TestOcpp201:
    def test_ev_connected_at_the_start_is_not_parking(self, demo_priced, station):
        transaction = charging_201(station)
        assert list(transaction.events.values_list("charging_state", flat=True)) == [
            "EVConnected",
            "Charging",
            "",
            "EVConnected",
        ]
        record = record_charge_detail_record(transaction_id=transaction.pk)
        assert record.total_parking_time == timedelta(0) and record.total_energy_wh == 10_000
        assert (record.total_cost_excl_vat, record.total_cost_incl_vat) == (Decimal("3.50"), Decimal("4.17"))

    def test_a_genuine_20_minute_idle_bills_20_minutes(self, demo_priced, station):
        record = record_charge_detail_record(transaction_id=charging_201(station, idle_minutes=20).pk)
        assert record.total_parking_time == timedelta(minutes=20)
        assert (record.total_parking_cost_excl_vat, record.total_parking_cost_incl_vat) == (
            Decimal("2.00"),
            Decimal("2.38"),
        )
        assert (record.total_cost_excl_vat, record.total_cost_incl_vat) == (Decimal("5.50"), Decimal("6.55"))

    def test_the_complex_tariff(self, station):
        assert money(complex_cdr(charging_201(station)).total_parking_cost) == ("0.00", "0.00")

    def test_the_complex_tariff_idle(self, station):
        idle = complex_cdr(charging_201(station, idle_minutes=20))
        assert idle.total_parking_time_s == 20 * 60 and money(idle.total_parking_cost) == ("1.67", "1.83")
