"""Invoices: numbered once, built from sealed charge detail records, rendered to PDF and e-mailed.

A card-paying driver gets one invoice per session (`invoice_session`); a
fleet or corporate driver whose BillingAccount says `pays_by_invoice` gets
one per month (`invoice_month`) for every session that ended in it. A CDR is
billed at most once (InvoicedRecord is one-to-one with it).

Numbers are gap-free per issuer and year (PREFIX-YEAR-000001): the counter
row is locked (select_for_update) in the same database transaction that
creates the invoice, so concurrent creations wait for each other, and a
rollback gives the number back. The "already invoiced?" checks run under
that lock too, which is what makes both services idempotent under races.

Lines: one per CDR dimension that costs something, named after the app's
session (the DriverSession id the API shows), the station and the local
start time; energy in kWh, time in minutes. The invoice total is the CDR
total. The engine rounds every dimension total on its own and the total
once, so the rounded dimension totals may miss the total by a cent: the
total is shared out over the lines by the largest-remainder method (each
line within a cent of its dimension total; net and VAT each add up to the
CDR's by construction), so no rounding line is ever shown. Only the tariff's
minimum or maximum price, which the engine applies to the total, is its own
named line. The VAT breakdown's VAT per rate is the sum of its lines'
(incl. - excl.) amounts, so it adds up too.

A monthly invoice bills what ended in the month and is not billed yet. An
operator may close an account's period early (`close_period`): that invoice
ends now, and the month's invoice continues from there, so nothing is
billed twice or left out (InvoicedRecord).

The issuer's and the customer's names and addresses (InvoiceIssuer,
BillingAccount, both edited in the admin) are copied onto the invoice when
it is issued, as an issued invoice never changes.

Settings: INVOICE_STORAGE_DIR (see billing.models.invoice_storage) and
DEFAULT_FROM_EMAIL, the sender of invoice e-mails.
"""

import logging
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from itertools import groupby
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction as db_transaction
from django.utils import timezone

from billing import pricing
from billing.invoices import pdf as invoice_pdf
from billing.models import (
    BillingAccount,
    ChargeDetailRecord,
    Invoice,
    InvoiceCounter,
    InvoicedRecord,
    InvoiceIssuer,
    InvoiceLine,
)
from billing.pricing.rounding import round_money
from billing.selectors import PaysBy, how_driver_pays, invoice_payers

log = logging.getLogger(__name__)
_Dim = InvoiceLine.Dimension
_MINUTES = Decimal("0.01")
_PERCENT = Decimal("0.01")


class InvoiceError(Exception):
    """Base of the reasons an invoice cannot be issued; the caller logs it and goes on with the next."""


class PaysByCard(InvoiceError):
    """A driver paying by card has each session invoiced on its own: there is no period to close."""


class NoDriver(InvoiceError):
    """The session's id tag belongs to no user (roaming or anonymous): there is no one to address."""


class AmbiguousVat(InvoiceError):
    """One billed dimension was priced at several VAT rates; the CDR totals cannot say how much at each."""


class MixedCurrencies(InvoiceError):
    """A monthly invoice has one currency; CDRs priced in several cannot share it."""


def default_issuer() -> InvoiceIssuer:
    """The issuer new invoices name; the first call creates it with defaults for the operator to edit.

    At most one is the default (a unique constraint), so two first calls at once still make one
    issuer, and one number sequence.
    """
    return InvoiceIssuer.objects.get_or_create(is_default=True)[0]


def invoice_session(*, cdr: ChargeDetailRecord) -> Invoice:
    """The invoice billing this one CDR; idempotent: if the CDR is billed already, its invoice."""
    existing = _invoice_of(cdr)
    if existing is not None:
        return existing
    driver = _driver(cdr)
    with db_transaction.atomic():
        counter, now = _locked_counter(default_issuer())
        existing = _invoice_of(cdr)
        if existing is not None:
            return existing
        return _create(
            counter,
            now,
            driver=driver,
            kind=Invoice.Kind.SESSION,
            period=(cdr.start_date_time, cdr.end_date_time),
            records=[cdr],
        )


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
        counter, now = _locked_counter(issuer)
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
        counter, issued_at = _locked_counter(issuer)
        return _bill_period(counter, issued_at, driver=driver, month_start=month_start, until=moment)


def _bill_period(
    counter: InvoiceCounter, now: datetime, *, driver, month_start: datetime, until: datetime
) -> Invoice | None:
    """Under the counter's lock: the CDRs of the month that ended before `until` and are not billed yet."""
    records = list(_unbilled(driver, (month_start, until)))
    if not records:
        return None
    period = (_continued_from(driver, month_start, until), until)
    return _create(counter, now, driver=driver, kind=Invoice.Kind.MONTHLY, period=period, records=records)


def render_pdf(invoice: Invoice) -> Invoice:
    """Store the invoice's PDF once: an issued invoice never changes, so neither does its document."""
    if not invoice.pdf:
        invoice.pdf.save(f"{invoice.number}.pdf", ContentFile(invoice_pdf.render(invoice)), save=False)
        invoice.save(update_fields=["pdf"])
    return invoice


def email_invoice(invoice: Invoice) -> None:
    """Send the PDF to the driver; every call sends (the admin's "send again"), emailed_at keeps the last."""
    address = invoice.driver.email
    if not address:
        raise InvoiceError(f"driver {invoice.driver} has no e-mail address")
    render_pdf(invoice)
    with invoice.pdf.open("rb") as pdf:
        content = pdf.read()
    message = EmailMessage(
        subject=f"Invoice {invoice.number} from {invoice.issuer.name}",
        body=f"Please find attached invoice {invoice.number}: {invoice_pdf.money(invoice.total_incl_vat, invoice.currency)} incl. VAT.",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
    )
    message.attach(f"{invoice.number}.pdf", content, "application/pdf")
    message.send()
    invoice.emailed_at = timezone.now()
    invoice.save(update_fields=["emailed_at"])


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


def deliver(invoice: Invoice) -> Invoice:
    """Render, and e-mail unless it went out already (a retried task must not send twice) or there is no address."""
    render_pdf(invoice)
    if invoice.emailed_at is None and invoice.driver.email:
        email_invoice(invoice)
    return invoice


def _invoice_of(cdr: ChargeDetailRecord) -> Invoice | None:
    return Invoice.objects.filter(invoiced_records__charge_detail_record=cdr).first()


def _period_invoice(driver: AbstractBaseUser, end: datetime) -> Invoice | None:
    return Invoice.objects.filter(driver=driver, kind=Invoice.Kind.MONTHLY, period_end=end).first()


def _continued_from(driver: AbstractBaseUser, month_start: datetime, until: datetime) -> datetime:
    """Where the period begins: the end of an invoice closed early in the month, else the month's start."""
    ends = Invoice.objects.filter(
        driver=driver, kind=Invoice.Kind.MONTHLY, period_end__gt=month_start, period_end__lt=until
    ).values_list("period_end", flat=True)
    return max(ends, default=month_start)


def _driver(cdr: ChargeDetailRecord) -> AbstractBaseUser:
    tag = cdr.transaction.id_tag
    if tag is None or tag.owner is None:
        raise NoDriver(f"the session of {cdr} has no driver to invoice")
    return tag.owner


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


def _locked_counter(issuer: InvoiceIssuer) -> tuple[InvoiceCounter, datetime]:
    """This year's counter, locked until the surrounding transaction ends; the moment is the invoice date."""
    now = timezone.now()
    year = now.astimezone(ZoneInfo(issuer.time_zone)).year
    InvoiceCounter.objects.get_or_create(issuer=issuer, year=year)
    return InvoiceCounter.objects.select_for_update().select_related("issuer").get(issuer=issuer, year=year), now


def _take_number(counter: InvoiceCounter) -> str:
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"{counter.issuer.invoice_prefix}-{counter.year}-{counter.last_number:06d}"


def _create(
    counter: InvoiceCounter,
    now: datetime,
    *,
    driver,
    kind: str,
    period: tuple[datetime, datetime],
    records: list[ChargeDetailRecord],
) -> Invoice:
    currency = _one_currency(records)
    issuer = counter.issuer
    customer_name, customer_address = customer(driver)
    lines = [line for record in records for line in record_lines(record)]
    invoice = Invoice.objects.create(
        number=_take_number(counter),
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


def record_lines(cdr: ChargeDetailRecord) -> list[InvoiceLine]:
    """Unsaved lines for one CDR, each named after its session: one per dimension that costs something.

    Their amounts add up to the CDR's total, net and gross (see the module's docstring).
    """
    tariff = pricing.tariff_from_ocpi(cdr.tariff_snapshot)
    label = session_label(cdr)
    charging = cdr.total_time - cdr.total_parking_time
    parts = [
        (_Dim.ENERGY, "Energy", Decimal(cdr.total_energy_wh) / 1000, "kWh", "energy"),
        (_Dim.TIME, "Charging time", _minutes(charging), "min", "time"),
        (_Dim.PARKING_TIME, "Parking time", _minutes(cdr.total_parking_time), "min", "parking"),
        (_Dim.FLAT, "Session fee", None, "", "fixed"),
        (_Dim.RESERVATION, "Reservation", None, "", "reservation"),
    ]
    lines = [
        InvoiceLine(
            charge_detail_record=cdr,
            description=f"{label}: {description}",
            dimension=dimension,
            quantity=quantity,
            unit=unit,
            amount_excl_vat=getattr(cdr, f"total_{field}_cost_excl_vat"),
            vat_rate=_vat_rate(tariff, dimension),
            amount_incl_vat=getattr(cdr, f"total_{field}_cost_incl_vat"),
        )
        for dimension, description, quantity, unit, field in parts
        if getattr(cdr, f"total_{field}_cost_excl_vat") or getattr(cdr, f"total_{field}_cost_incl_vat")
    ]
    limit = _price_limit(cdr, tariff, lines)
    if limit is None and lines:
        return _shared_out(cdr, lines)
    return lines + _adjustment(cdr, tariff, lines, f"{label}: {limit or 'Price adjustment'}")


def _shared_out(cdr: ChargeDetailRecord, lines: list[InvoiceLine]) -> list[InvoiceLine]:
    """Give each line its share of the CDR total (largest remainder), net and VAT each on its own.

    VAT is shared only among lines that carry VAT, so a line without VAT stays without.
    """
    quantum = _minor_unit(cdr.currency)
    net = _largest_remainder(cdr.total_cost_excl_vat, [l.amount_excl_vat for l in lines], quantum)
    vat_weights = [l.amount_incl_vat - l.amount_excl_vat if l.vat_rate else Decimal(0) for l in lines]
    vat = _largest_remainder(cdr.total_cost_incl_vat - cdr.total_cost_excl_vat, vat_weights, quantum)
    for line, line_net, line_vat in zip(lines, net, vat):
        line.amount_excl_vat, line.amount_incl_vat = line_net, line_net + line_vat
    return lines


def _largest_remainder(total: Decimal, weights: list[Decimal], quantum: Decimal) -> list[Decimal]:
    """`total` split in proportion to `weights`, in whole minor units that add up to it exactly.

    Each part is first rounded down; the units left go one each to the parts
    that lost most by it (the earlier line on a tie). Without weights, the
    first part takes it all.
    """
    units = int((total / quantum).to_integral_value())
    weight = sum(weights, Decimal(0))
    if not weight:
        return [total if i == 0 else Decimal(0) for i in range(len(weights))]
    exact = [units * w / weight for w in weights]
    shares = [int(e.to_integral_value(ROUND_FLOOR)) for e in exact]
    by_loss = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_loss[: units - sum(shares)]:
        shares[i] += 1
    return [share * quantum for share in shares]


def _minor_unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(round_money(Decimal(0), currency).as_tuple().exponent)


def _adjustment(
    cdr: ChargeDetailRecord, tariff: pricing.Tariff, lines: list[InvoiceLine], description: str
) -> list[InvoiceLine]:
    """What takes the lines to the CDR total when the tariff's minimum or maximum price set it.

    Booked at the VAT rate of the largest line (the tariff's only rate when there are none).
    """
    excl = cdr.total_cost_excl_vat - sum((l.amount_excl_vat for l in lines), Decimal(0))
    incl = cdr.total_cost_incl_vat - sum((l.amount_incl_vat for l in lines), Decimal(0))
    if not excl and not incl:
        return []
    rate = max(lines, key=lambda l: l.amount_excl_vat).vat_rate if lines else _vat_rate(tariff, None)
    return [
        InvoiceLine(
            charge_detail_record=cdr,
            description=description,
            dimension=_Dim.ADJUSTMENT,
            amount_excl_vat=excl,
            vat_rate=rate,
            amount_incl_vat=incl,
        )
    ]


def _price_limit(cdr: ChargeDetailRecord, tariff: pricing.Tariff, lines: list[InvoiceLine]) -> str | None:
    """ "Minimum/Maximum price of the tariff" when that limit set the CDR's total, else None."""

    def is_total(limit: pricing.Price | None) -> bool:
        prices = (
            []
            if limit is None
            else [(limit.excl_vat, cdr.total_cost_excl_vat), (limit.incl_vat, cdr.total_cost_incl_vat)]
        )
        return any(price is not None and round_money(price, cdr.currency) == total for price, total in prices)

    excl = cdr.total_cost_excl_vat - sum((l.amount_excl_vat for l in lines), Decimal(0))
    incl = cdr.total_cost_incl_vat - sum((l.amount_incl_vat for l in lines), Decimal(0))
    if (excl > 0 or incl > 0) and is_total(tariff.min_price):
        return "Minimum price of the tariff"
    if (excl < 0 or incl < 0) and is_total(tariff.max_price):
        return "Maximum price of the tariff"
    return None


def _vat_rate(tariff: pricing.Tariff, dimension: str | None) -> Decimal | None:
    """The VAT rate of the components that price `dimension` (None: any of the session's), from the CDR's snapshot.

    RESERVATION is priced by the reservation elements, every other dimension
    by the others. None means no VAT applies (not the same as 0 %).
    """
    reservation = dimension == _Dim.RESERVATION
    rates = {
        component.vat
        for element in tariff.elements
        if (element.restrictions.reservation is not None) == reservation
        for component in element.price_components
        if reservation or dimension is None or component.type == dimension
    }
    if len(rates) != 1:
        raise AmbiguousVat(
            f"tariff {tariff.id} prices {dimension or 'its sessions'} at VAT rates {sorted(map(str, rates))}"
        )
    rate = rates.pop()
    return None if rate is None else rate.quantize(_PERCENT)


def vat_breakdown(lines: list[InvoiceLine], currency: str) -> list[dict]:
    """Per VAT rate (highest first, "no VAT" last): the base and the VAT, as the lines state them."""
    rows = []
    for rate, group in groupby(sorted(lines, key=_highest_rate_first), key=lambda l: l.vat_rate):
        group = list(group)
        base = sum((l.amount_excl_vat for l in group), Decimal(0))
        gross = sum((l.amount_incl_vat for l in group), Decimal(0))
        rows.append(
            {
                "rate": None if rate is None else str(rate),
                "base": str(round_money(base, currency)),
                "vat": str(round_money(gross - base, currency)),
            }
        )
    return rows


def _highest_rate_first(line: InvoiceLine) -> tuple[bool, Decimal]:
    return line.vat_rate is None, -(line.vat_rate or 0)


def _minutes(duration: timedelta) -> Decimal:
    """Minutes to the hundredth, exact to the microsecond (no float); a time that was billed never reads 0 min."""
    minutes = Decimal(duration // timedelta(microseconds=1)) / 60_000_000
    shown = minutes.quantize(_MINUTES, rounding=ROUND_HALF_UP)
    return _MINUTES if minutes > 0 and not shown else shown


def session_label(cdr: ChargeDetailRecord) -> str:
    """The session as the driver's app names it: its number, the station and the local start time."""
    transaction = cdr.transaction
    station = transaction.station
    zone = ZoneInfo(station.location.time_zone if station.location else "UTC")
    number = getattr(transaction, "driver_session", None)  # select_related by the callers: no query per line
    number = number.pk if number else None
    name = f"Session {number}" if number else "Session"
    return f"{name} at {station.charge_point_id}, {transaction.started_at.astimezone(zone):%Y-%m-%d %H:%M}"
