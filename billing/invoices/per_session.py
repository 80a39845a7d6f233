"""Session invoices: a card-paying driver gets one invoice per session, once its CDR is sealed."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction as db_transaction

from billing.invoices.delivery import deliver
from billing.invoices.errors import NoDriver
from billing.invoices.issuing import issue
from billing.invoices.numbering import default_issuer, locked_counter
from billing.models import ChargeDetailRecord, Invoice
from billing.selectors import PaysBy, how_driver_pays


def invoice_session(*, cdr: ChargeDetailRecord) -> Invoice:
    """The invoice billing this one CDR; idempotent: if the CDR is billed already, its invoice."""
    existing = _invoice_of(cdr)
    if existing is not None:
        return existing
    driver = _driver(cdr)
    with db_transaction.atomic():
        counter, now = locked_counter(default_issuer())
        existing = _invoice_of(cdr)
        if existing is not None:
            return existing
        return issue(
            counter=counter,
            now=now,
            driver=driver,
            kind=Invoice.Kind.SESSION,
            period=(cdr.start_date_time, cdr.end_date_time),
            records=[cdr],
        )


def bill_session(*, cdr_id: int) -> Invoice | None:
    """What the session flow runs once a CDR is sealed: invoice, render, e-mail once.

    Drivers billed monthly and sessions without a known driver get no session invoice.
    """
    cdr = ChargeDetailRecord.objects.select_related(
        "transaction__id_tag__owner", "transaction__station__location", "transaction__driver_session"
    ).get(pk=cdr_id)
    owner = cdr.transaction.id_tag.owner if cdr.transaction.id_tag else None
    if owner is None or how_driver_pays(driver_id=owner.pk) == PaysBy.INVOICE:
        return None
    return deliver(invoice_session(cdr=cdr))


def _invoice_of(cdr: ChargeDetailRecord) -> Invoice | None:
    return Invoice.objects.filter(invoiced_records__charge_detail_record=cdr).first()


def _driver(cdr: ChargeDetailRecord) -> AbstractBaseUser:
    tag = cdr.transaction.id_tag
    if tag is None or tag.owner is None:
        raise NoDriver(f"the session of {cdr} has no driver to invoice")
    return tag.owner
