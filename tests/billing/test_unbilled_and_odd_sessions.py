"""A session the CSMS refused is never billed (item 25); a stop dated before its start is (item 12)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest

from billing.invoices import monthly
from billing.models import BillingAccount, ChargeDetailRecord, Payment
from billing.payments import holds, settlement
from billing.selectors import session_cost
from billing.services import record_charge_detail_record
from sessions.meter import Sample
from sessions.models import DriverSession, IdTag, Transaction
from sessions.services.meter_values import record_meter_values
from sessions.services.transaction_events import TransactionStep, record_transaction_step
from sessions.services.transactions import start_transaction, stop_transaction
from stations.models import StationEvent
from tests.billing.localstripe_server import amount_received, localstripe, stripe_api  # noqa: F401 (fixtures)
from tests.billing.test_admin import operator_client  # noqa: F401 (fixture)
from tests.billing.test_payments import driver, intents, saved_card  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
WITH_START_FEE = (("FLAT", "1.00", 1, "19"), ("ENERGY", "0.35", 1, "19"), ("PARKING_TIME", "6.00", 60, "19"))


@pytest.fixture
def priced(connectors, location, make_tariff, assign):
    assign(make_tariff("DEMO", *WITH_START_FEE), location=location)
    return connectors[0]


def refused_start(station, id_tag: str, *, start: datetime = START) -> Transaction:
    """A 1.6 start the CSMS answers with a refusal; the charger stops it 58 ms later with 0 Wh, as OCPP has it."""
    started = start_transaction(
        station_id=station.pk, evse_number=1, id_tag=id_tag, meter_start_wh=5_000, started_at=start
    )
    stop_transaction(
        station_id=station.pk,
        transaction_id=started.transaction.pk,
        meter_stop_wh=5_000,
        stopped_at=start + timedelta(milliseconds=58),
        reason="DeAuthorized",
    )
    return Transaction.objects.get(pk=started.transaction.pk)


class TestRefusedStarts:
    @pytest.mark.parametrize("status", ["Blocked", "Expired", "Invalid", "ConcurrentTx"])
    def test_no_charge_detail_record_and_no_cost(self, priced, station, driver, status):
        tag = IdTag.objects.create(id_tag="CARD-1", owner=driver, status="Accepted")
        if status in ("Blocked", "Expired", "Invalid"):
            IdTag.objects.filter(pk=tag.pk).update(status=status)
        else:
            start_transaction(
                station_id=station.pk,
                evse_number=2,
                id_tag="CARD-1",
                meter_start_wh=0,
                started_at=START - timedelta(hours=1),
            )
        transaction = refused_start(station, "CARD-1")
        assert transaction.authorization_status == status
        assert record_charge_detail_record(transaction_id=transaction.pk) is None
        assert session_cost(transaction=transaction) is None
        assert not ChargeDetailRecord.objects.filter(transaction=transaction).exists()

    def test_a_blocked_card_puts_nothing_on_the_monthly_invoice(self, priced, station, driver):
        BillingAccount.objects.create(driver=driver, pays_by_invoice=True)
        IdTag.objects.create(id_tag="BLOCKED-CARD", owner=driver, status="Blocked")
        refused_start(station, "BLOCKED-CARD")
        assert monthly.invoice_month(driver=driver, year=2026, month=3) is None

    def test_a_hold_is_released_and_nothing_captured(self, priced, station, driver, stripe_api, saved_card):
        saved_card()
        tag = IdTag.objects.create(id_tag="APP-1", owner=driver, token_type="APP_USER", status="Expired")
        session = DriverSession.objects.create(
            driver=driver,
            id_tag=tag,
            station=station,
            connector=priced,
            transaction=refused_start(station, "APP-1"),
            state="completed",
        )
        holds.preauthorize(session=session)
        payment = settlement.settle(session=session)
        assert (payment.status, payment.amount_captured, payment.amount_excess) == ("cancelled", 0, 0)
        assert amount_received(stripe_api, payment.stripe_payment_intent_id) == 0
        assert not ChargeDetailRecord.objects.exists()

    def test_a_card_session_without_a_hold_is_not_charged(self, priced, station, driver, stripe_api, saved_card):
        saved_card()
        tag = IdTag.objects.create(id_tag="CARD-2", owner=driver, status="Invalid")
        session = DriverSession.objects.create(
            driver=driver, id_tag=tag, station=station, connector=priced, transaction=refused_start(station, "CARD-2")
        )
        assert settlement.settle(session=session) is None
        assert intents(stripe_api) == [] and not Payment.objects.exists()

    def test_a_201_token_named_later_decides_at_the_stop(
        self, priced, station, driver, stripe_api, eager_tasks, django_capture_on_commit_callbacks
    ):
        IdTag.objects.create(id_tag="GOOD", owner=driver)
        IdTag.objects.create(id_tag="BAD", owner=driver, status="Blocked")
        for uid, token in (("TX-GOOD", "GOOD"), ("TX-BAD", "BAD")):
            for seq_no, (kind, seconds, id_tag) in enumerate(
                (("started", 0, None), ("updated", 5, token), ("ended", 600, None))
            ):
                with django_capture_on_commit_callbacks(execute=True):  # billing seals once the stop commits
                    record_transaction_step(
                        station_id=station.pk,
                        step=TransactionStep(
                            uid=uid,
                            seq_no=seq_no,
                            kind=kind,
                            trigger="Authorized",
                            timestamp=START + timedelta(seconds=seconds),
                            evse_number=1 if uid == "TX-GOOD" else 2,
                            id_tag=id_tag,
                        ),
                    )
        good, bad = Transaction.objects.get(uid="TX-GOOD"), Transaction.objects.get(uid="TX-BAD")
        assert (good.authorization_status, bad.authorization_status) == ("Accepted", "Blocked")
        assert ChargeDetailRecord.objects.get(transaction=good).total_fixed_cost_excl_vat == Decimal("1.00")
        assert not ChargeDetailRecord.objects.filter(transaction=bad).exists()


class TestStopBeforeStart:
    def test_priced_over_our_own_clock_and_recorded(
        self, priced, station, driver, stripe_api, eager_tasks, django_capture_on_commit_callbacks
    ):
        IdTag.objects.create(id_tag="CARD-3", owner=driver)
        started = start_transaction(
            station_id=station.pk, evse_number=1, id_tag="CARD-3", meter_start_wh=100_000, started_at=START
        )
        tx = started.transaction
        # We received the start at 10:00 and the stop 30 minutes later; the charger's clock had been reset meanwhile.
        Transaction.objects.filter(pk=tx.pk).update(created_at=START)
        received_stop = START + timedelta(minutes=30)
        with (
            mock.patch("django.utils.timezone.now", return_value=received_stop),
            django_capture_on_commit_callbacks(execute=True),  # billing seals once the stop commits
        ):
            stop_transaction(
                station_id=station.pk,
                transaction_id=tx.pk,
                meter_stop_wh=112_000,
                stopped_at=datetime(2000, 1, 1, tzinfo=UTC),
                reason="Local",
            )
        record = ChargeDetailRecord.objects.get(transaction_id=tx.pk)
        assert (record.start_date_time, record.end_date_time) == (START, received_stop)
        assert record.total_energy_wh == 12_000 and record.total_time == timedelta(minutes=30)
        assert (record.total_cost_excl_vat, record.total_cost_incl_vat) == (
            Decimal("5.20"),
            Decimal("6.19"),
        )  # 1.00 + 12 kWh
        [deviation] = StationEvent.objects.filter(station=station, kind="deviation")
        assert "stopped before it started" in deviation.summary
        assert deviation.details["stopped_at"] == "2000-01-01T00:00:00+00:00"
        assert deviation.details["billed_until"] == received_stop.isoformat()

    def test_billed_at_least_until_its_own_last_reading(
        self, priced, station, driver, stripe_api, eager_tasks, django_capture_on_commit_callbacks
    ):
        IdTag.objects.create(id_tag="CARD-4", owner=driver)
        tx = start_transaction(
            station_id=station.pk, evse_number=1, id_tag="CARD-4", meter_start_wh=0, started_at=START
        ).transaction
        record_meter_values(
            station_id=station.pk,
            evse_number=1,
            transaction_id=tx.pk,
            samples=[
                Sample(timestamp=START + timedelta(minutes=45), value="9000", unit="Wh"),
            ],
        )
        with django_capture_on_commit_callbacks(execute=True):  # billing seals once the stop commits
            stop_transaction(
                station_id=station.pk, transaction_id=tx.pk, meter_stop_wh=10_000, stopped_at=START - timedelta(days=1)
            )
        record = ChargeDetailRecord.objects.get(transaction_id=tx.pk)
        assert record.end_date_time == START + timedelta(minutes=45)
        assert record.total_energy_wh == 10_000 and record.total_cost_excl_vat == Decimal("4.50")


def test_operators_see_refused_starts_in_the_transaction_list(operator_client, priced, station, driver):
    from django.urls import reverse

    IdTag.objects.create(id_tag="BLOCKED-CARD", owner=driver, status="Blocked")
    IdTag.objects.create(id_tag="GOOD-CARD", owner=driver)
    refused = refused_start(station, "BLOCKED-CARD")
    start_transaction(station_id=station.pk, evse_number=2, id_tag="GOOD-CARD", meter_start_wh=0, started_at=START)
    changelist = reverse("admin:charging_transaction_changelist")
    page = operator_client.get(changelist).content.decode()
    assert "Refused: Blocked (not billed)" in page
    only_refused = operator_client.get(changelist, {"refused": "yes"}).context["cl"].result_list
    assert [tx.pk for tx in only_refused] == [refused.pk]
