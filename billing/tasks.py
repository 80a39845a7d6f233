"""Billing in the background: the running cost, the chain after a stop (seal → settle → invoice), monthly invoices.

Every task is idempotent, keyed by the transaction (or session): a retried
task, a chain run again, or a task redelivered after its worker died
(acks_late) finds what was done and does nothing twice.
"""

from celery import chain, shared_task

from billing import services
from billing.invoices import monthly, per_session
from billing.models import ChargeDetailRecord, Payment
from billing.payments import settlement
from billing.payments.errors import PaymentError, ProviderUnavailable
from billing.selectors import PaysBy, how_driver_pays
from sessions.models import DriverSession

# Redelivered when the worker dies mid-task: safe, as each task is idempotent.
AT_LEAST_ONCE = {"acks_late": True, "reject_on_worker_lost": True}


def bill_stopped_session(transaction_id: int) -> None:
    """One chain per stopped transaction: its record is sealed before its payment is settled, and the
    payment settled before the invoice shows what was taken."""
    chain(
        seal_session.si(transaction_id), settle_session.si(transaction_id), invoice_session.si(transaction_id)
    ).delay()


@shared_task(ignore_result=True)
def price_running_session(transaction_id: int) -> None:
    services.price_running_session(transaction_id=transaction_id)


@shared_task(ignore_result=True, **AT_LEAST_ONCE)
def seal_session(transaction_id: int) -> None:
    services.seal_session(transaction_id=transaction_id)


@shared_task(bind=True, ignore_result=True, max_retries=10, **AT_LEAST_ONCE)
def settle_session(self, transaction_id: int) -> None:
    """Capture the finished session's cost from its hold (or charge the card), once; Stripe trouble is retried.
    Drivers who pay by invoice are billed monthly instead; a session no driver started is nobody's to charge."""
    session = (
        DriverSession.objects.select_related("driver", "connector", "transaction")
        .filter(transaction_id=transaction_id)
        .first()
    )
    if session is None or how_driver_pays(driver_id=session.driver_id) == PaysBy.INVOICE:
        return
    _settle(self, session)


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


@shared_task(**AT_LEAST_ONCE)
def invoice_session(transaction_id: int) -> str | None:
    """The chain's last step, once the record is sealed and the card payment settled; the invoice number."""
    cdr = ChargeDetailRecord.objects.filter(transaction_id=transaction_id, total_cost_incl_vat__gt=0).first()
    invoice = None if cdr is None else per_session.bill_session(cdr_id=cdr.pk)
    return None if invoice is None else invoice.number


@shared_task
def invoice_monthly_accounts() -> list[str]:
    """Run early on the 1st: last month's invoices for every driver who pays by invoice."""
    return [invoice.number for invoice in monthly.bill_previous_month()]
