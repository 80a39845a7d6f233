"""Billing in the background: settling a session's card payment, then its invoice; monthly invoices."""

import stripe
from celery import shared_task

from billing import invoices, payments
from sessions.models import DriverSession


@shared_task(bind=True, ignore_result=True, max_retries=10)
def settle_session(self, session_id: int) -> None:
    """Capture the finished session's cost from its hold, once, then invoice it; Stripe trouble is retried."""
    session = DriverSession.objects.select_related("driver", "connector", "transaction").get(pk=session_id)
    try:
        payments.settle(session=session)
    except payments.PaymentError:
        pass  # refused or no card: kept on the Payment for the operator; what was taken is invoiced
    except stripe.StripeError as error:  # Stripe unreachable or failing: try again later
        raise self.retry(exc=error, countdown=min(2**self.request.retries * 5, 600))
    cdr = getattr(session.transaction, "charge_detail_record", None) if session.transaction else None
    if cdr is not None and cdr.total_cost_incl_vat > 0:
        invoice_session.delay(cdr.pk)


@shared_task
def invoice_session(cdr_id: int) -> str | None:
    """Run once a session's CDR is sealed (and its card payment settled); returns the invoice number."""
    invoice = invoices.bill_session(cdr_id=cdr_id)
    return None if invoice is None else invoice.number


@shared_task
def invoice_monthly_accounts() -> list[str]:
    """Run early on the 1st: last month's invoices for every driver who pays by invoice."""
    return [invoice.number for invoice in invoices.bill_previous_month()]
