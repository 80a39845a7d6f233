"""Monthly invoices: a month's sessions for drivers whose BillingAccount says `pays_by_invoice`, or a period closed early.

A monthly invoice bills what ended in the month (the issuer's time zone) and
is not billed yet. An operator may close an account's period early
(`close_period`): that invoice ends now, and the month's invoice continues
from there, so nothing is billed twice or left out (InvoicedRecord).
"""

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction as db_transaction
from django.utils import timezone

from billing.invoices.delivery import deliver
from billing.invoices.errors import InvoiceError, PaysByCard
from billing.invoices.issuing import issue
from billing.invoices.numbering import default_issuer, locked_counter
from billing.models import ChargeDetailRecord, Invoice, InvoiceCounter, InvoiceIssuer
from billing.selectors import PaysBy, how_driver_pays, invoice_payers

log = logging.getLogger(__name__)


def invoice_month(*, driver: AbstractBaseUser, year: int, month: int) -> Invoice | None:
    """The driver's invoice for the sessions that ended in that month (issuer's time zone); idempotent.

    None when nothing is left to bill. Only CDRs not billed yet are collected,
    so a session already invoiced on its own, or by a period an operator
    closed early, is not billed again; the invoice's period starts where such
    an early one ended.
    """
    issuer = default_issuer()
    month_start, month_end = _month(issuer, year, month)
    existing = _period_invoice(driver, month_end)
    if existing is not None:
        return existing
    with db_transaction.atomic():
        counter, now = locked_counter(issuer)
        existing = _period_invoice(driver, month_end)
        if existing is not None:
            return existing
        return _bill_period(counter, now, driver=driver, month_start=month_start, until=month_end)


def close_period(*, driver: AbstractBaseUser, now: datetime | None = None) -> Invoice | None:
    """Invoice now what the driver's current month has not been invoiced for yet (an operator closing the period early).

    The month's own invoice later continues from this one's end. None when
    nothing is left to bill.
    """
    if how_driver_pays(driver_id=driver.pk) == PaysBy.CARD:
        raise PaysByCard("pays by card, each session is invoiced on its own.")
    issuer = default_issuer()
    moment = now or timezone.now()
    local = moment.astimezone(ZoneInfo(issuer.time_zone))
    month_start, _ = _month(issuer, local.year, local.month)
    with db_transaction.atomic():
        counter, issued_at = locked_counter(issuer)
        return _bill_period(counter, issued_at, driver=driver, month_start=month_start, until=moment)


def _bill_period(
    counter: InvoiceCounter, now: datetime, *, driver, month_start: datetime, until: datetime
) -> Invoice | None:
    """Under the counter's lock: the CDRs of the month that ended before `until` and are not billed yet."""
    records = list(_unbilled(driver, (month_start, until)))
    if not records:
        return None
    period = (_continued_from(driver, month_start, until), until)
    return issue(counter=counter, now=now, driver=driver, kind=Invoice.Kind.MONTHLY, period=period, records=records)


def bill_previous_month(*, now: datetime | None = None) -> list[Invoice]:
    """Invoice last month (issuer's time zone) to every driver who pays by invoice; one failure does not stop the rest."""
    local = (now or timezone.now()).astimezone(ZoneInfo(default_issuer().time_zone))
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    invoices = []
    for account in invoice_payers():
        try:
            invoice = invoice_month(driver=account.driver, year=year, month=month)
        except InvoiceError:
            log.exception("no monthly invoice for %s, %d-%02d", account.driver, year, month)
            continue
        if invoice is not None:
            invoices.append(deliver(invoice))
    return invoices


def _period_invoice(driver: AbstractBaseUser, end: datetime) -> Invoice | None:
    return Invoice.objects.filter(driver=driver, kind=Invoice.Kind.MONTHLY, period_end=end).first()


def _continued_from(driver: AbstractBaseUser, month_start: datetime, until: datetime) -> datetime:
    """Where the period begins: the end of an invoice closed early in the month, else the month's start."""
    ends = Invoice.objects.filter(
        driver=driver, kind=Invoice.Kind.MONTHLY, period_end__gt=month_start, period_end__lt=until
    ).values_list("period_end", flat=True)
    return max(ends, default=month_start)


def _month(issuer: InvoiceIssuer, year: int, month: int) -> tuple[datetime, datetime]:
    """[first moment of the month, first moment of the next) in the issuer's time zone."""
    zone = ZoneInfo(issuer.time_zone)
    end = (year + 1, 1) if month == 12 else (year, month + 1)
    return datetime(year, month, 1, tzinfo=zone), datetime(*end, 1, tzinfo=zone)


def _unbilled(driver: AbstractBaseUser, period: tuple[datetime, datetime]):
    return (
        ChargeDetailRecord.objects.filter(
            transaction__id_tag__owner=driver,
            end_date_time__gte=period[0],
            end_date_time__lt=period[1],
            invoiced_record__isnull=True,
        )
        .select_related("transaction__station__location", "transaction__driver_session")
        .order_by("end_date_time", "pk")
    )
