"""VAT on invoices: the rate a CDR's tariff charged per dimension, and the table per rate an invoice prints.

The table's VAT per rate is the sum of its lines' (incl. - excl.) amounts, so
it adds up to the invoice's VAT.
"""

from decimal import Decimal
from itertools import groupby

from billing import pricing
from billing.invoices.errors import AmbiguousVat
from billing.models import InvoiceLine
from billing.pricing.rounding import round_money

_Dim = InvoiceLine.Dimension
_PERCENT = Decimal("0.01")


def vat_rate(tariff: pricing.Tariff, dimension: str | None) -> Decimal | None:
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
