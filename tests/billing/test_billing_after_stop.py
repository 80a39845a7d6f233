"""Billing hangs on the sessions' lifecycle: a stop is sealed, settled and invoiced once, as one Celery chain.

Proven at the service and task level (eager tasks, localstripe): a replayed
stop, a retried task, and a worker that died in the middle of the chain all
end with one charge detail record, one capture on Stripe and one invoice.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import stripe

from billing import tasks
from billing.models import ChargeDetailRecord, Invoice, Payment
from billing.payments import client as payments_client
from billing.payments import holds, settlement
from sessions.models import DriverSession, IdTag, Transaction
from sessions.services.transactions import start_transaction, stop_transaction
from tests.billing.localstripe_server import amount_received, localstripe, stripe_api  # noqa: F401 (fixtures)
from tests.billing.test_payments import driver, saved_card  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]
START = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


class CallRecorder(stripe.RequestsClient):
    """An HTTP client that notes each POST Stripe is sent, to count captures."""

    def __init__(self):
        super().__init__()
        self.posts: list[str] = []

    def request(self, method, url, headers, post_data=None):
        if method == "post":
            self.posts.append(url)
        return super().request(method, url, headers, post_data)

    @property
    def captures(self) -> int:
        return sum(url.endswith("/capture") for url in self.posts)


@pytest.fixture
def recorder(stripe_api, localstripe, monkeypatch) -> CallRecorder:
    recorder = CallRecorder()
    client = stripe.StripeClient("sk_test_voltstack", base_addresses={"api": localstripe.url}, http_client=recorder)
    monkeypatch.setattr(payments_client, "stripe_client", lambda: client)
    return recorder


@pytest.fixture
def running(connectors, location, make_tariff, assign, driver, saved_card, recorder):
    """A driver's session charging on a connector priced 2.00 EUR a session + 20 % VAT, 50 EUR held on the card."""
    assign(make_tariff("FLAT", ("FLAT", "2.00", 1, "20")), location=location)
    saved_card()
    IdTag.objects.create(id_tag="CARD-1", owner=driver)
    tx = start_transaction(
        station_id=connectors[0].evse.station_id, evse_number=1, id_tag="CARD-1", meter_start_wh=0, started_at=START
    ).transaction
    holds.preauthorize(session=DriverSession.objects.get(transaction=tx))
    return tx


def stop(tx: Transaction, capture) -> None:
    """The charger's stop, committed: billing's subscriber runs the chain (eagerly, as a worker would)."""
    with capture(execute=True):
        stop_transaction(
            station_id=tx.station_id,
            transaction_id=tx.pk,
            meter_stop_wh=5_000,
            stopped_at=START + timedelta(minutes=30),
            reason="Local",
        )


def assert_billed_once(tx: Transaction, recorder: CallRecorder, stripe_api) -> None:
    assert ChargeDetailRecord.objects.filter(transaction=tx).count() == 1
    [payment] = Payment.objects.filter(driver_session__transaction=tx)
    assert (payment.status, payment.amount_captured, payment.amount_excess) == ("captured", Decimal("2.40"), 0)
    assert recorder.captures == 1 and amount_received(stripe_api, payment.stripe_payment_intent_id) == 240
    assert Invoice.objects.filter(charge_detail_records__transaction=tx).count() == 1
    tx.refresh_from_db()
    assert (tx.cost_currency, tx.cost_incl_vat, tx.cost_final) == ("EUR", Decimal("2.40"), True)


def test_a_stop_is_sealed_settled_and_invoiced(running, recorder, stripe_api, django_capture_on_commit_callbacks):
    stop(running, django_capture_on_commit_callbacks)
    assert_billed_once(running, recorder, stripe_api)


def test_a_replayed_stop_bills_nothing_twice(running, recorder, stripe_api, django_capture_on_commit_callbacks):
    stop(running, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks() as published:
        stop(running, django_capture_on_commit_callbacks)
    assert published == []  # nothing happened, so nothing is told
    assert_billed_once(running, recorder, stripe_api)


def test_retried_tasks_and_a_chain_run_again_bill_nothing_twice(
    running, recorder, stripe_api, django_capture_on_commit_callbacks
):
    stop(running, django_capture_on_commit_callbacks)
    for task in (tasks.seal_session, tasks.settle_session, tasks.invoice_session):
        task.apply(args=[running.pk]).get()
    tasks.bill_stopped_session(running.pk)
    assert_billed_once(running, recorder, stripe_api)


class WorkerKilled(Exception):
    """Stands for the worker dying between the chain's tasks."""


def test_a_worker_killed_mid_chain_then_the_chain_again_bills_once(
    running, recorder, stripe_api, django_capture_on_commit_callbacks, monkeypatch
):
    def killed(**kwargs):
        raise WorkerKilled

    with monkeypatch.context() as dying:
        dying.setattr(settlement, "settle", killed)
        stop(running, django_capture_on_commit_callbacks)
    assert ChargeDetailRecord.objects.filter(transaction=running).count() == 1  # the first task ran
    assert Payment.objects.get(driver_session__transaction=running).status == "authorised"
    assert recorder.captures == 0 and not Invoice.objects.exists()  # the chain stopped there

    tasks.bill_stopped_session(running.pk)  # redelivered (acks_late), or run again by an operator
    assert_billed_once(running, recorder, stripe_api)
    tasks.bill_stopped_session(running.pk)
    assert_billed_once(running, recorder, stripe_api)
