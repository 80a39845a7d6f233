"""Billing in the background: the running cost, the chain after a stop (seal → settle → invoice), monthly invoices.

Every task is idempotent, keyed by the transaction (or session): a retried
task, a chain run again, or a task redelivered after its worker died
(acks_late) finds what was done and does nothing twice.
"""

import logging
from datetime import timedelta

from celery import chain, shared_task
from celery.exceptions import Retry
from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from billing import services, sweeps
from billing.invoices import monthly, per_session
from billing.models import ChargeDetailRecord, Payment
from billing.payments import settlement
from billing.payments.errors import PaymentError, ProviderUnavailable
from billing.selectors import PaysBy, how_driver_pays
from sessions.models import DriverSession

logger = logging.getLogger(__name__)

# Redelivered when the worker dies mid-task: safe, as each task is idempotent.
AT_LEAST_ONCE = {"acks_late": True, "reject_on_worker_lost": True}
# What may succeed when tried again: the database busy or unreachable, the disk or the mail server
# failing (smtplib's errors are OSErrors). Anything else is a fault no retry mends.
TRANSIENT = (OperationalError, InterfaceError, OSError)
# Retries of a chain step, 5 s doubling to 10 min (about an hour in all); past them the sweep resumes.
STEP_RETRIES = 8
# A pricing asked for while one is queued for the same transaction is not queued again; the key
# outlives a queued task only if it is lost (then the next request queues one again).
PRICING_QUEUED_SECONDS = 30
PRICING_QUEUED_KEY = "billing:pricing-queued:"
# How many unfinished sessions one sweep resumes; a larger backlog is taken by the next runs.
RESUME_BATCH = 500


def bill_stopped_session(transaction_id: int) -> None:
    """One chain per stopped transaction: its record is sealed before its payment is settled, and the
    payment settled before the invoice shows what was taken. A chain that could not be sent, or that
    stopped, is started again by resume_unfinished_billing."""
    chain(
        seal_session.si(transaction_id), settle_session.si(transaction_id), invoice_session.si(transaction_id)
    ).delay()


@shared_task(ignore_result=True)
def resume_unfinished_billing() -> int:
    """Beat: the chain again for each session stopped BILLING_RESUME_AFTER ago whose billing did not finish.

    Safe beside a chain still in flight, and run twice: every step is idempotent by transaction.
    """
    stopped_before = timezone.now() - timedelta(seconds=settings.BILLING_RESUME_AFTER)
    unfinished = sweeps.unfinished_billing(stopped_before=stopped_before, limit=RESUME_BATCH)
    for transaction_id in unfinished:
        bill_stopped_session(transaction_id)
    if unfinished:
        logger.warning("resumed the billing of %d stopped sessions: %s", len(unfinished), unfinished)
    return len(unfinished)


def price_soon(transaction_id: int) -> None:
    """Queue one pricing of a running session, unless one is queued for it already (debounced)."""
    if cache.add(_pricing_queued(transaction_id), True, timeout=PRICING_QUEUED_SECONDS):
        price_running_session.delay(transaction_id)


def _pricing_queued(transaction_id: int) -> str:
    return f"{PRICING_QUEUED_KEY}{transaction_id}"


@shared_task(ignore_result=True)
def price_running_session(transaction_id: int) -> None:
    # Cleared before reading: readings stored from now on are not in this pricing, so they queue the next.
    cache.delete(_pricing_queued(transaction_id))
    services.price_running_session(transaction_id=transaction_id)


@shared_task(ignore_result=True)
def reprice_running_sessions() -> None:
    """Beat: a running cost moves with time and parking while the charger is quiet; price those gone stale."""
    priced_before = timezone.now() - timedelta(seconds=settings.BILLING_REPRICE_AFTER)
    for transaction_id in sweeps.stale_running_costs(priced_before=priced_before):
        price_soon(transaction_id)


@shared_task(bind=True, ignore_result=True, max_retries=STEP_RETRIES, **AT_LEAST_ONCE)
def seal_session(self, transaction_id: int) -> None:
    _step(self, transaction_id, lambda: services.seal_session(transaction_id=transaction_id))


@shared_task(bind=True, ignore_result=True, max_retries=10, **AT_LEAST_ONCE)
def settle_session(self, transaction_id: int) -> None:
    """Capture the finished session's cost from its hold (or charge the card), once; Stripe trouble is retried,
    as is a transient failure of our own.
    Drivers who pay by invoice are billed monthly instead; a session no driver started is nobody's to charge."""
    session = (
        DriverSession.objects.select_related("driver", "connector", "transaction")
        .filter(transaction_id=transaction_id)
        .first()
    )
    if session is None or how_driver_pays(driver_id=session.driver_id) == PaysBy.INVOICE:
        return
    _step(self, transaction_id, lambda: _settle(self, session))


@shared_task(bind=True, ignore_result=True, max_retries=10, **AT_LEAST_ONCE)
def release_hold(self, session_id: int) -> None:
    """A session that never started: the money held for it is given back."""
    if Payment.objects.filter(driver_session_id=session_id, status=Payment.Status.AUTHORISED).exists():
        _settle(self, DriverSession.objects.select_related("driver", "connector").get(pk=session_id))


def _settle(task, session: DriverSession) -> None:
    try:
        settlement.settle(session=session)
    except ProviderUnavailable as error:  # Stripe unreachable or failing: try again later
        raise task.retry(exc=error, countdown=min(2**task.request.retries * 5, 600))
    except PaymentError:
        pass  # refused or no card: kept on the Payment for the operator; what was taken is invoiced


@shared_task(bind=True, max_retries=STEP_RETRIES, **AT_LEAST_ONCE)
def invoice_session(self, transaction_id: int) -> str | None:
    """The chain's last step, once the record is sealed and the card payment settled; the invoice number."""
    cdr = ChargeDetailRecord.objects.filter(transaction_id=transaction_id, total_cost_incl_vat__gt=0).first()
    invoice = None if cdr is None else _step(self, transaction_id, lambda: per_session.bill_session(cdr_id=cdr.pk))
    return None if invoice is None else invoice.number


def _step(task, transaction_id: int, work):
    """Run a chain step: a transient failure is retried with backoff; any other is logged loudly and raised,
    as retrying it would only fail again (the chain stops there; the sweep tries it again later)."""
    try:
        return work()
    except Retry:  # the step asked for its own retry (settle, when Stripe is unreachable)
        raise
    except TRANSIENT as error:
        raise task.retry(exc=error, countdown=min(5 * 2**task.request.retries, 600))
    except Exception:
        logger.critical("%s failed for transaction %s, and no retry mends it", task.name, transaction_id, exc_info=True)
        raise


@shared_task
def invoice_monthly_accounts() -> list[str]:
    """Run early on the 1st: last month's invoices for every driver who pays by invoice."""
    return [invoice.number for invoice in monthly.bill_previous_month()]
