"""A stopped session's billing is finished however its chain failed: steps retry what may pass, a sweep resumes.

The chain after a stop (seal → settle → invoice) retries transient failures
with backoff; what it could not finish (the broker was down at the stop, its
retries ran out, a worker died) the beat sweep starts again, BILLING_RESUME_AFTER
after the stop. Idempotent by transaction: the sweep run twice, or beside a
chain still in flight, still ends with one CDR, one capture and one invoice.
"""

import logging

import pytest
from django.db import OperationalError
from kombu.exceptions import OperationalError as BrokerDown

from billing import services, tasks
from billing.invoices import per_session
from billing.models import ChargeDetailRecord, Invoice, Payment
from billing.payments import settlement
from tests.billing.localstripe_server import localstripe, stripe_api  # noqa: F401 (fixtures)
from tests.billing.test_billing_after_stop import (  # noqa: F401 (fixtures)
    WorkerKilled,
    assert_billed_once,
    recorder,
    running,
    stop,
)
from tests.billing.test_payments import driver, saved_card  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]


@pytest.fixture
def resume_at_once(settings):
    settings.BILLING_RESUME_AFTER = 0


@pytest.fixture(autouse=True)
def retried(eager_tasks):
    """A retry runs at once, as eager tasks do, instead of being raised (as the worker's would be queued)."""
    from csms.celery import app

    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = True


def failing_once(monkeypatch, owner, name: str, error: Exception) -> list:
    """`owner.name` raises `error` on its first call, then works; the list counts the calls."""
    real, calls = getattr(owner, name), []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise error
        return real(**kwargs)

    monkeypatch.setattr(owner, name, flaky)
    return calls


def test_a_seal_failing_on_a_busy_database_is_retried(
    running, recorder, stripe_api, django_capture_on_commit_callbacks, monkeypatch
):
    calls = failing_once(monkeypatch, services, "seal_session", OperationalError("database is locked"))
    stop(running, django_capture_on_commit_callbacks)
    assert len(calls) == 2
    assert_billed_once(running, recorder, stripe_api)


def test_an_invoice_failing_on_the_mail_server_is_retried(
    running, recorder, stripe_api, django_capture_on_commit_callbacks, monkeypatch
):
    calls = failing_once(monkeypatch, per_session, "bill_session", ConnectionRefusedError("SMTP down"))
    stop(running, django_capture_on_commit_callbacks)
    assert len(calls) == 2
    assert_billed_once(running, recorder, stripe_api)


def test_a_fault_no_retry_mends_is_logged_loudly_and_not_retried(
    running, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    calls = failing_once(monkeypatch, services, "seal_session", TypeError("a bug"))
    with caplog.at_level(logging.CRITICAL, logger="billing.tasks"):
        stop(running, django_capture_on_commit_callbacks)
    assert len(calls) == 1
    assert [r.levelno for r in caplog.records if r.name == "billing.tasks"] == [logging.CRITICAL]
    assert not ChargeDetailRecord.objects.exists()


def test_a_chain_the_broker_refused_at_the_stop_is_resumed_by_the_sweep(
    running, recorder, stripe_api, django_capture_on_commit_callbacks, monkeypatch, settings
):
    def broker_down(*tasks):
        raise BrokerDown("Error 111 connecting to redis")

    with monkeypatch.context() as down:
        down.setattr(tasks, "chain", broker_down)
        stop(running, django_capture_on_commit_callbacks)
    assert not ChargeDetailRecord.objects.exists()  # nothing was sealed at the stop

    settings.BILLING_RESUME_AFTER = 600
    assert tasks.resume_unfinished_billing() == 0  # too early: a chain may still be on its way
    settings.BILLING_RESUME_AFTER = 0
    assert tasks.resume_unfinished_billing() == 1
    assert_billed_once(running, recorder, stripe_api)
    assert tasks.resume_unfinished_billing() == 0  # finished: nothing left to resume


@pytest.mark.usefixtures("resume_at_once")
def test_a_chain_that_gave_up_is_resumed_and_the_sweep_run_twice_bills_once(
    running, recorder, stripe_api, django_capture_on_commit_callbacks, monkeypatch
):
    def killed(**kwargs):
        raise WorkerKilled

    with monkeypatch.context() as dying:
        dying.setattr(settlement, "settle", killed)
        stop(running, django_capture_on_commit_callbacks)
    assert Payment.objects.get(driver_session__transaction=running).status == "authorised"  # the hold is left

    tasks.resume_unfinished_billing()
    tasks.resume_unfinished_billing()
    assert_billed_once(running, recorder, stripe_api)


@pytest.mark.usefixtures("resume_at_once")
def test_an_invoice_left_out_is_resumed(running, recorder, stripe_api, django_capture_on_commit_callbacks, monkeypatch):
    with monkeypatch.context() as failing:
        failing.setattr(per_session, "bill_session", lambda **kwargs: (_ for _ in ()).throw(OSError("disk full")))
        stop(running, django_capture_on_commit_callbacks)  # the invoice step spends its retries
    assert recorder.captures == 1 and not Invoice.objects.exists()
    assert tasks.resume_unfinished_billing() == 1
    assert_billed_once(running, recorder, stripe_api)


@pytest.mark.usefixtures("resume_at_once")
def test_the_sweep_beside_a_chain_in_flight_bills_once(
    running, recorder, stripe_api, django_capture_on_commit_callbacks, monkeypatch
):
    """The sweep's chain runs to its end while the stop's chain is between seal and settle; then that one goes on."""
    real, swept = settlement.settle, []

    def settle_after_a_sweep(**kwargs):
        if not swept:
            swept.append(None)
            swept[0] = tasks.resume_unfinished_billing()
        return real(**kwargs)

    monkeypatch.setattr(settlement, "settle", settle_after_a_sweep)
    stop(running, django_capture_on_commit_callbacks)
    assert swept == [1]
    assert_billed_once(running, recorder, stripe_api)


@pytest.mark.usefixtures("resume_at_once")
def test_a_session_no_tariff_prices_is_sealed_once_and_not_swept_again(
    running, django_capture_on_commit_callbacks, monkeypatch
):
    from billing.models import TariffAssignment

    TariffAssignment.objects.all().delete()
    stop(running, django_capture_on_commit_callbacks)
    running.refresh_from_db()
    assert (running.cost_final, running.cost_incl_vat) == (True, None)
    assert Payment.objects.get(driver_session__transaction=running).status == "cancelled"
    assert tasks.resume_unfinished_billing() == 0


def test_a_settle_failing_on_a_busy_database_is_retried(
    running, recorder, stripe_api, django_capture_on_commit_callbacks, monkeypatch
):
    calls = failing_once(monkeypatch, settlement, "settle", OperationalError("database is locked"))
    stop(running, django_capture_on_commit_callbacks)
    assert len(calls) == 2
    assert_billed_once(running, recorder, stripe_api)
