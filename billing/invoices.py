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

Money: each line is a CDR dimension total exactly as the CDR states it
(already rounded once by the pricing engine), and the invoice total is the
CDR total. The engine rounds every total on its own, and applies the
tariff's min/max price to the total only, so the lines may not add up to
the total; the difference is shown as an ADJUSTMENT line (labelled as the
tariff's minimum/maximum price or a rounding difference). Lines therefore
always add up to the CDR totals to the cent, and so does the VAT breakdown,
whose VAT per rate is the sum of its lines' (incl. - excl.) amounts.

Settings: INVOICE_STORAGE_DIR (see billing.models.invoice_storage) and
DEFAULT_FROM_EMAIL, the sender of invoice e-mails.
"""
import logging
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction as db_transaction
from django.utils import timezone

from billing import invoice_pdf, pricing
from billing.models import BillingAccount, ChargeDetailRecord, Invoice, InvoiceCounter, InvoicedRecord, InvoiceIssuer, InvoiceLine
from billing.pricing.rounding import round_money

log = logging.getLogger(__name__)
_Dim = InvoiceLine.Dimension
_HOURS = Decimal("0.0001")
_PERCENT = Decimal("0.01")


class InvoiceError(Exception):
    """Base of the reasons an invoice cannot be issued; the caller logs it and goes on with the next."""


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
        return _create(counter, now, driver=driver, kind=Invoice.Kind.SESSION, period=(cdr.start_date_time, cdr.end_date_time), records=[cdr])


def invoice_month(*, driver: AbstractBaseUser, year: int, month: int) -> Invoice | None:
    """The driver's invoice for the sessions that ended in that month (issuer's time zone); idempotent.

    None when nothing is left to bill. Only CDRs not billed yet are collected,
    so a session already invoiced on its own is not billed again.
    """
    issuer = default_issuer()
    period = _month(issuer, year, month)
    existing = _monthly_invoice(driver, period[0])
    if existing is not None:
        return existing
    with db_transaction.atomic():
        counter, now = _locked_counter(issuer)
        existing = _monthly_invoice(driver, period[0])
        if existing is not None:
            return existing
        records = list(_unbilled(driver, period))
        if not records:
            return None
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
    cdr = ChargeDetailRecord.objects.select_related("transaction__id_tag__owner").get(pk=cdr_id)
    owner = cdr.transaction.id_tag.owner if cdr.transaction.id_tag else None
    if owner is None or BillingAccount.objects.filter(driver=owner, pays_by_invoice=True).exists():
        return None
    return _deliver(invoice_session(cdr=cdr))


def bill_previous_month(*, now: datetime | None = None) -> list[Invoice]:
    """Invoice last month (issuer's time zone) to every driver who pays by invoice; one failure does not stop the rest."""
    local = (now or timezone.now()).astimezone(ZoneInfo(default_issuer().time_zone))
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    invoices = []
    for account in BillingAccount.objects.filter(pays_by_invoice=True).select_related("driver"):
        try:
            invoice = invoice_month(driver=account.driver, year=year, month=month)
        except InvoiceError:
            log.exception("no monthly invoice for %s, %d-%02d", account.driver, year, month)
            continue
        if invoice is not None:
            invoices.append(_deliver(invoice))
    return invoices


def _deliver(invoice: Invoice) -> Invoice:
    """Render, and e-mail unless it went out already (a retried task must not send twice) or there is no address."""
    render_pdf(invoice)
    if invoice.emailed_at is None and invoice.driver.email:
        email_invoice(invoice)
    return invoice


def _invoice_of(cdr: ChargeDetailRecord) -> Invoice | None:
    return Invoice.objects.filter(invoiced_records__charge_detail_record=cdr).first()


def _monthly_invoice(driver: AbstractBaseUser, start: datetime) -> Invoice | None:
    return Invoice.objects.filter(driver=driver, kind=Invoice.Kind.MONTHLY, period_start=start).first()


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
        .select_related("transaction__station")
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


def _create(counter: InvoiceCounter, now: datetime, *, driver, kind: str, period: tuple[datetime, datetime], records: list[ChargeDetailRecord]) -> Invoice:
    currency = _one_currency(records)
    zone = ZoneInfo(counter.issuer.time_zone)
    labelled = kind == Invoice.Kind.MONTHLY
    lines = [line for record in records for line in record_lines(record, label=_session_label(record, zone) if labelled else "")]
    invoice = Invoice.objects.create(
        number=_take_number(counter),
        issuer=counter.issuer,
        driver=driver,
        kind=kind,
        period_start=period[0],
        period_end=period[1],
        currency=currency,
        total_excl_vat=sum((r.total_cost_excl_vat for r in records), Decimal(0)),
        total_incl_vat=sum((r.total_cost_incl_vat for r in records), Decimal(0)),
        vat_breakdown=vat_breakdown(lines, currency),
        issued_at=now,
    )
    InvoicedRecord.objects.bulk_create([InvoicedRecord(invoice=invoice, charge_detail_record=r) for r in records])
    for position, line in enumerate(lines, start=1):
        line.invoice, line.position = invoice, position
    InvoiceLine.objects.bulk_create(lines)
    return invoice


def _one_currency(records: list[ChargeDetailRecord]) -> str:
    currencies = {r.currency for r in records}
    if len(currencies) != 1:
        raise MixedCurrencies(f"CDRs in {', '.join(sorted(currencies))} cannot share one invoice")
    return currencies.pop()


def record_lines(cdr: ChargeDetailRecord, *, label: str = "") -> list[InvoiceLine]:
    """Unsaved lines for one CDR: one per dimension that cost something, then the adjustment to its total.

    `label` (the session) prefixes each description, for invoices that bill many.
    """
    tariff = pricing.tariff_from_ocpi(cdr.tariff_snapshot)
    charging = cdr.total_time - cdr.total_parking_time
    parts = [
        (_Dim.ENERGY, "Energy", Decimal(cdr.total_energy_wh) / 1000, "kWh", "energy"),
        (_Dim.TIME, "Charging time", _hours(charging), "h", "time"),
        (_Dim.PARKING_TIME, "Parking time", _hours(cdr.total_parking_time), "h", "parking"),
        (_Dim.FLAT, "Session fee", None, "", "fixed"),
        (_Dim.RESERVATION, "Reservation", None, "", "reservation"),
    ]
    prefix = f"{label}: " if label else ""
    lines = [
        InvoiceLine(
            charge_detail_record=cdr,
            description=prefix + description,
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
    return lines + _adjustment(cdr, tariff, lines, prefix)


def _adjustment(cdr: ChargeDetailRecord, tariff: pricing.Tariff, lines: list[InvoiceLine], prefix: str) -> list[InvoiceLine]:
    """What takes the lines to the CDR total: its min/max price, or the engine rounding the total on its own.

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
            description=prefix + _adjustment_label(cdr, tariff, excl, incl),
            dimension=_Dim.ADJUSTMENT,
            amount_excl_vat=excl,
            vat_rate=rate,
            amount_incl_vat=incl,
        )
    ]


def _adjustment_label(cdr: ChargeDetailRecord, tariff: pricing.Tariff, excl: Decimal, incl: Decimal) -> str:
    def is_total(limit: pricing.Price | None) -> bool:
        prices = [] if limit is None else [(limit.excl_vat, cdr.total_cost_excl_vat), (limit.incl_vat, cdr.total_cost_incl_vat)]
        return any(price is not None and round_money(price, cdr.currency) == total for price, total in prices)

    if (excl > 0 or incl > 0) and is_total(tariff.min_price):
        return "Minimum price of the tariff"
    if (excl < 0 or incl < 0) and is_total(tariff.max_price):
        return "Maximum price of the tariff"
    return "Rounding difference"


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
        raise AmbiguousVat(f"tariff {tariff.id} prices {dimension or 'its sessions'} at VAT rates {sorted(map(str, rates))}")
    rate = rates.pop()
    return None if rate is None else rate.quantize(_PERCENT)


def vat_breakdown(lines: list[InvoiceLine], currency: str) -> list[dict]:
    """Per VAT rate (highest first, "no VAT" last): the base and the VAT, as the lines state them."""
    rows = []
    for rate, group in groupby(sorted(lines, key=_highest_rate_first), key=lambda l: l.vat_rate):
        group = list(group)
        base = sum((l.amount_excl_vat for l in group), Decimal(0))
        gross = sum((l.amount_incl_vat for l in group), Decimal(0))
        rows.append({"rate": None if rate is None else str(rate), "base": str(round_money(base, currency)), "vat": str(round_money(gross - base, currency))})
    return rows


def _highest_rate_first(line: InvoiceLine) -> tuple[bool, Decimal]:
    return line.vat_rate is None, -(line.vat_rate or 0)


def _hours(duration: timedelta) -> Decimal:
    """Exact to the microsecond (no float), shown to 1/10000 h."""
    return (Decimal(duration // timedelta(microseconds=1)) / 3_600_000_000).quantize(_HOURS, rounding=ROUND_HALF_UP)


def _session_label(cdr: ChargeDetailRecord, zone: ZoneInfo) -> str:
    ended = cdr.end_date_time.astimezone(zone)
    return f"Session {cdr.transaction_id} at {cdr.transaction.station.charge_point_id}, {ended:%Y-%m-%d}"
