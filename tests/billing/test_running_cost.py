"""The running cost is priced once per batch of readings, stored on the transaction, and only read by watchers."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from billing import services as billing_services
from billing import tasks
from csms.live import DASHBOARD_GROUP, driver_session_group, station_group, station_sessions_group, transaction_group
from sessions.consumers import SessionStreamConsumer
from sessions.meter import Sample
from sessions.models import DriverSession, IdTag, Transaction
from sessions.services.meter_values import record_meter_values
from sessions.services.transactions import start_transaction, stop_transaction
from stations.services.status import StatusReport, record_status
from tests.billing.test_payments import driver  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]
START = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
READINGS, WATCHERS = 6, 5


@pytest.fixture
def charging(connectors, location, make_tariff, assign, driver, django_capture_on_commit_callbacks):
    """A card session on a connector priced 0.30 EUR/kWh + 1.00 EUR a session, 20 % VAT."""
    assign(make_tariff("KWH", ("FLAT", "1.00", 1, "20"), ("ENERGY", "0.30", 1, "20")), location=location)
    IdTag.objects.create(id_tag="CARD-1", owner=driver)
    with django_capture_on_commit_callbacks(execute=True):
        tx = start_transaction(
            station_id=connectors[0].evse.station_id, evse_number=1, id_tag="CARD-1", meter_start_wh=0, started_at=START
        ).transaction
    return tx


def watch(session_id: int, driver) -> dict:
    """What the session's socket sends: its state as read on a nudge."""
    consumer = SessionStreamConsumer()
    consumer.scope = {"user": driver}
    consumer.session_id = session_id
    state, _ = SessionStreamConsumer.__dict__["_read_state"].func(consumer)  # the sync read, in this thread
    return state


def test_readings_are_priced_once_each_and_watchers_only_read_the_stored_cost(
    charging, driver, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    session = DriverSession.objects.get(transaction=charging)
    pricing = mock.patch.object(billing_services, "session_cost", wraps=billing_services.session_cost)
    with pricing as priced:
        for n in range(1, READINGS + 1):
            with django_capture_on_commit_callbacks(execute=True):
                record_meter_values(
                    station_id=charging.station_id,
                    evse_number=1,
                    transaction_id=charging.pk,
                    samples=[Sample(timestamp=START + timedelta(minutes=n), value=str(n * 1_000), unit="Wh")],
                )
            for _ in range(WATCHERS):
                with django_assert_max_num_queries(1):  # one read per watcher per nudge, no pricing
                    state = watch(session.pk, driver)
                assert state["energy_kwh"] == float(n)
    assert priced.call_count == READINGS  # per reading, whatever the number of watchers
    charging.refresh_from_db()
    assert (charging.cost_currency, charging.cost_incl_vat, charging.cost_final) == ("EUR", Decimal("3.3600"), False)
    assert state["cost"] == {"currency": "EUR", "excl_vat": "2.80", "incl_vat": "3.36"}  # 1.00 + 6 kWh × 0.30


def test_a_late_pricing_never_moves_the_cost_back(charging):
    from sessions.costs import record_cost

    later, earlier = START + timedelta(minutes=2), START + timedelta(minutes=1)
    assert record_cost(
        transaction_id=charging.pk, currency="EUR", excl_vat=Decimal(2), incl_vat=Decimal(3), priced_at=later
    )
    assert not record_cost(
        transaction_id=charging.pk, currency="EUR", excl_vat=Decimal(1), incl_vat=Decimal(1), priced_at=earlier
    )
    assert record_cost(
        transaction_id=charging.pk,
        currency="EUR",
        excl_vat=Decimal(5),
        incl_vat=Decimal(6),
        priced_at=earlier,
        final=True,
    )
    assert not record_cost(
        transaction_id=charging.pk, currency="EUR", excl_vat=Decimal(9), incl_vat=Decimal(9), priced_at=later
    )
    assert Transaction.objects.get(pk=charging.pk).cost_incl_vat == Decimal(6)


def test_live_nudges_go_only_to_groups_someone_listens_to(charging, driver, django_capture_on_commit_callbacks):
    """Sockets join a driver session's group, its transaction's, a watched station's, a station page's and
    the dashboard's; nothing else is sent, and nothing per reading to a driver watching availability."""
    session = DriverSession.objects.get(transaction=charging)
    with (
        mock.patch("sessions.live.publish") as sessions_sent,
        mock.patch("stations.live.publish") as stations_sent,
        django_capture_on_commit_callbacks(execute=True),
    ):
        record_meter_values(
            station_id=charging.station_id,
            evse_number=1,
            transaction_id=charging.pk,
            samples=[Sample(timestamp=START + timedelta(minutes=1), value="1000", unit="Wh")],
        )
        record_status(
            station_id=charging.station_id,
            evse_number=1,
            connector_number=1,
            report=StatusReport(status="Charging"),
            timestamp=START + timedelta(minutes=1),
        )
        stop_transaction(
            station_id=charging.station_id,
            transaction_id=charging.pk,
            meter_stop_wh=2_000,
            stopped_at=START + timedelta(minutes=2),
        )
    sent = [(tuple(groups), event["type"]) for (groups, event), _ in sessions_sent.call_args_list]
    assert set(sent) == {  # the readings are told by the cost's nudge
        ((transaction_group(charging.pk), station_sessions_group(charging.station_id)), "cost_changed"),
        ((driver_session_group(session.pk),), "session_changed"),
        ((station_sessions_group(charging.station_id), DASHBOARD_GROUP), "transaction_stopped"),
    }
    assert [call.args[0] for call in stations_sent.call_args_list] == [
        [station_group(charging.station_id), DASHBOARD_GROUP]
    ]


def read(transaction_id: int, n: int, capture) -> None:
    with capture(execute=True):
        record_meter_values(
            station_id=Transaction.objects.get(pk=transaction_id).station_id,
            evse_number=1,
            transaction_id=transaction_id,
            samples=[Sample(timestamp=START + timedelta(minutes=n), value=str(n * 1_000), unit="Wh")],
        )


def test_one_reading_is_one_nudge_carrying_its_energy_and_its_cost(
    charging, driver, django_capture_on_commit_callbacks
):
    session = DriverSession.objects.get(transaction=charging)
    with mock.patch("sessions.live.publish") as sent:
        read(charging.pk, 1, django_capture_on_commit_callbacks)
    [((groups, event), _)] = sent.call_args_list
    assert groups == [transaction_group(charging.pk), station_sessions_group(charging.station_id)]
    state = watch(session.pk, driver)  # what each watcher reads on that one nudge
    assert state["energy_kwh"] == 1.0
    assert state["cost"] == {"currency": "EUR", "excl_vat": "1.30", "incl_vat": "1.56"}  # 1.00 + 1 kWh × 0.30


def test_readings_no_tariff_prices_are_still_nudged_once(connectors, driver, django_capture_on_commit_callbacks):
    IdTag.objects.create(id_tag="CARD-1", owner=driver)
    with django_capture_on_commit_callbacks(execute=True):
        tx = start_transaction(
            station_id=connectors[0].evse.station_id, evse_number=1, id_tag="CARD-1", meter_start_wh=0, started_at=START
        ).transaction
    with mock.patch("sessions.live.publish") as sent:
        read(tx.pk, 1, django_capture_on_commit_callbacks)
    [((groups, event), _)] = sent.call_args_list
    assert groups == [transaction_group(tx.pk), station_sessions_group(tx.station_id)]
    state = watch(DriverSession.objects.get(transaction=tx).pk, driver)
    assert (state["energy_kwh"], state["cost"]) == (1.0, None)


@pytest.fixture
def parking(connectors, location, make_tariff, assign, driver, django_capture_on_commit_callbacks):
    """A card session priced 0.30 EUR/kWh and 6.00 EUR an hour parked (per minute), 20 % VAT."""
    assign(make_tariff("PARK", ("ENERGY", "0.30", 1, "20"), ("PARKING_TIME", "6.00", 60, "20")), location=location)
    IdTag.objects.create(id_tag="CARD-1", owner=driver)
    with django_capture_on_commit_callbacks(execute=True):
        return start_transaction(
            station_id=connectors[0].evse.station_id, evse_number=1, id_tag="CARD-1", meter_start_wh=0, started_at=START
        ).transaction


def test_a_status_change_of_a_running_session_prices_it_again(parking, django_capture_on_commit_callbacks):
    pricing = mock.patch.object(billing_services, "session_cost", wraps=billing_services.session_cost)
    with pricing as priced, django_capture_on_commit_callbacks(execute=True):
        record_status(
            station_id=parking.station_id,
            evse_number=1,
            connector_number=1,
            report=StatusReport(status="SuspendedEV"),
            timestamp=timezone.now(),
        )
    assert priced.call_count == 1
    parking.refresh_from_db()
    assert parking.cost_priced_at > timezone.now() - timedelta(seconds=5)


def test_a_quiet_session_is_priced_again_once_its_cost_is_stale(parking, settings):
    settings.BILLING_REPRICE_AFTER = 10
    pricing = mock.patch.object(billing_services, "session_cost", wraps=billing_services.session_cost)
    with pricing as priced:
        tasks.reprice_running_sessions()
        assert priced.call_count == 1  # never priced yet
        tasks.reprice_running_sessions()
        assert priced.call_count == 1  # priced moments ago
        Transaction.objects.filter(pk=parking.pk).update(cost_priced_at=timezone.now() - timedelta(seconds=11))
        tasks.reprice_running_sessions()
        assert priced.call_count == 2
    parking.refresh_from_db()
    assert parking.cost_priced_at > timezone.now() - timedelta(seconds=5)


def test_a_pricing_asked_for_while_one_is_queued_is_not_queued_again(charging, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.price_running_session, "delay", queued.append)
    for _ in range(3):
        tasks.price_soon(charging.pk)
    assert queued == [charging.pk]
    tasks.price_running_session(charging.pk)  # the worker takes it: readings from now on queue the next
    tasks.price_soon(charging.pk)
    assert queued == [charging.pk, charging.pk]
    tasks.price_running_session(charging.pk)
