"""Writing an issued invoice: its number, lines and VAT table, the CDRs it bills, the parties copied onto it.

The invoice total is the CDR totals' sum. The issuer's and the customer's
names and addresses (InvoiceIssuer, BillingAccount, both edited in the
admin) are copied onto the invoice when it is issued, as an issued invoice
never changes. A CDR is billed at most once (InvoicedRecord is one-to-one
with it).
"""

from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser

from billing.invoices.errors import MixedCurrencies
from billing.invoices.lines import record_lines
from billing.invoices.numbering import take_number
from billing.invoices.vat import vat_breakdown
from billing.models import BillingAccount, ChargeDetailRecord, Invoice, InvoiceCounter, InvoicedRecord, InvoiceLine


def issue(
    *,
    counter: InvoiceCounter,
    now: datetime,
    driver,
    kind: str,
    period: tuple[datetime, datetime],
    records: list[ChargeDetailRecord],
) -> Invoice:
    """Under the lock on `counter` the caller holds: the invoice for `records`, numbered, with its lines, and the CDRs marked billed."""
    currency = _one_currency(records)
    issuer = counter.issuer
    customer_name, customer_address = customer(driver)
    lines = [line for record in records for line in record_lines(record)]
    invoice = Invoice.objects.create(
        number=take_number(counter),
        issuer=issuer,
        driver=driver,
        kind=kind,
        period_start=period[0],
        period_end=period[1],
        currency=currency,
        total_excl_vat=sum((r.total_cost_excl_vat for r in records), Decimal(0)),
        total_incl_vat=sum((r.total_cost_incl_vat for r in records), Decimal(0)),
        vat_breakdown=vat_breakdown(lines, currency),
        issued_at=now,
        issuer_name=issuer.name,
        issuer_address=issuer.address,
        issuer_vat_id=issuer.vat_id,
        customer_name=customer_name,
        customer_address=customer_address,
    )
    InvoicedRecord.objects.bulk_create([InvoicedRecord(invoice=invoice, charge_detail_record=r) for r in records])
    for position, line in enumerate(lines, start=1):
        line.invoice, line.position = invoice, position
    InvoiceLine.objects.bulk_create(lines)
    return invoice


def customer(driver: AbstractBaseUser) -> tuple[str, str]:
    """The name and address invoices are addressed to: the billing account's, else the driver's own name (or e-mail)."""
    account = BillingAccount.objects.filter(driver=driver).first()
    name = (account.name if account else "") or driver.get_full_name() or driver.email or driver.get_username()
    return name, account.address if account else ""


def _one_currency(records: list[ChargeDetailRecord]) -> str:
    currencies = {r.currency for r in records}
    if len(currencies) != 1:
        raise MixedCurrencies(f"CDRs in {', '.join(sorted(currencies))} cannot share one invoice")
    return currencies.pop()
