"""An invoice as a one-document PDF (fpdf2): issuer, number and dates, the driver, lines, VAT per rate, totals.

Only fpdf2's built-in Helvetica is used, so nothing depends on fonts installed
on the machine; it covers Latin-1, and any other character prints as "?".
Amounts print with the currency code (EUR), never a symbol outside Latin-1.
"""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from billing.models import Invoice
from billing.pricing.rounding import round_money

_LINE = 5  # mm per text line
_LINE_COLUMNS = (90, 28, 18, 27, 27)  # description, quantity, VAT, net, gross: 190 mm, the page inside its margins


def money(amount: Decimal, currency: str) -> str:
    """An amount as an invoice prints it: the currency's minor unit, then the code."""
    return f"{round_money(amount, currency)} {currency}"


def render(invoice: Invoice) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_margins(10, 12)
    pdf.add_page()
    zone = ZoneInfo(invoice.issuer.time_zone)
    _header(pdf, invoice, zone)
    _lines(pdf, invoice)
    _vat_and_totals(pdf, invoice)
    return bytes(pdf.output())


def _text(value: str) -> str:
    """What the built-in font can print: Latin-1, anything else as "?"."""
    return value.encode("latin-1", "replace").decode("latin-1")


def _write(pdf: FPDF, value: str, *, size: int = 10, bold: bool = False, align: str = "L") -> None:
    pdf.set_font("Helvetica", "B" if bold else "", size)
    pdf.cell(0, _LINE if size <= 10 else _LINE + 3, _text(value), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _header(pdf: FPDF, invoice: Invoice, zone: ZoneInfo) -> None:
    """The parties as copied onto the invoice when it was issued (invoices from before that read today's issuer)."""
    issuer = invoice.issuer
    _write(pdf, invoice.issuer_name or issuer.name, size=14, bold=True)
    for line in filter(None, (invoice.issuer_address or issuer.address).splitlines()):
        _write(pdf, line)
    vat_id = invoice.issuer_vat_id or issuer.vat_id
    if vat_id:
        _write(pdf, f"VAT id: {vat_id}")
    pdf.ln(6)
    _write(pdf, f"Invoice {invoice.number}", size=16, bold=True)
    _write(pdf, f"Date: {_date(invoice.issued_at, zone)}")
    _write(pdf, f"Service period: {_period(invoice, zone)}")
    pdf.ln(3)
    _write(pdf, "Billed to:", bold=True)
    for line in filter(None, [invoice.customer_name or invoice.driver.email, *invoice.customer_address.splitlines()]):
        _write(pdf, line)
    pdf.ln(4)


def _period(invoice: Invoice, zone: ZoneInfo) -> str:
    """A month ends at the first moment of the next: the day before is the last one billed. A period an
    operator closed early, and the rest of its month, show the moment it was closed."""
    start, end = invoice.period_start.astimezone(zone), invoice.period_end.astimezone(zone)
    if invoice.kind != Invoice.Kind.MONTHLY:
        return f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} ({zone.key})"
    first = f"{start:%Y-%m-%d}" if _midnight(start) else f"{start:%Y-%m-%d %H:%M}"
    last = f"{end.date() - timedelta(days=1):%Y-%m-%d}" if _midnight(end) else f"{end:%Y-%m-%d %H:%M}"
    return f"{first} to {last}" if _midnight(start) and _midnight(end) else f"{first} to {last} ({zone.key})"


def _midnight(moment: datetime) -> bool:
    return (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0)


def _date(moment: datetime, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%Y-%m-%d}"


def _lines(pdf: FPDF, invoice: Invoice) -> None:
    pdf.set_font("Helvetica", "", 9)
    rows = [
        (
            line.description,
            _quantity(line.quantity, line.unit),
            _rate(line.vat_rate),
            money(line.amount_excl_vat, invoice.currency),
            money(line.amount_incl_vat, invoice.currency),
        )
        for line in invoice.lines.all()
    ]
    _table(pdf, ("Description", "Quantity", "VAT", "Net", "Gross"), rows, _LINE_COLUMNS)
    pdf.ln(4)


def _vat_and_totals(pdf: FPDF, invoice: Invoice) -> None:
    pdf.set_font("Helvetica", "", 9)
    currency = invoice.currency
    rows = [
        (
            _rate(None if r["rate"] is None else Decimal(r["rate"])),
            money(Decimal(r["base"]), currency),
            money(Decimal(r["vat"]), currency),
        )
        for r in invoice.vat_breakdown
    ]
    _table(pdf, ("VAT rate", "Net", "VAT"), rows, (40, 40, 40))
    pdf.ln(4)
    vat = invoice.total_incl_vat - invoice.total_excl_vat
    _write(pdf, f"Total excl. VAT: {money(invoice.total_excl_vat, currency)}", align="R")
    _write(pdf, f"VAT: {money(vat, currency)}", align="R")
    _write(pdf, f"Total incl. VAT: {money(invoice.total_incl_vat, currency)}", bold=True, align="R")


def _table(pdf: FPDF, headings: tuple[str, ...], rows: list[tuple[str, ...]], widths: tuple[int, ...]) -> None:
    align = ("LEFT",) + ("RIGHT",) * (len(headings) - 1)
    with pdf.table(col_widths=widths, width=sum(widths), align="LEFT", text_align=align, line_height=_LINE) as table:
        for row in [headings, *rows]:
            cells = table.row()
            for value in row:
                cells.cell(_text(value))


def _quantity(quantity: Decimal | None, unit: str) -> str:
    return "" if quantity is None else f"{quantity.normalize():f} {unit}"


def _rate(rate: Decimal | None) -> str:
    return "no VAT" if rate is None else f"{rate.normalize():f} %"
