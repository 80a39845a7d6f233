"""The one place money is rounded.

Every cost is computed exactly and summed unrounded; only the totals of the
result are rounded, each on its own, to the currency's minor unit with
ROUND_HALF_UP (2 decimals unless ISO 4217 says otherwise). Why here and only
here: rounding per period or per component lets the rounding errors add up
(a session of many short periods would drift by cents), and it is what
OCPI's worked examples do: € 2.875 + € 3.30 + € 4.125 is billed € 10.30,
not the € 10.31 the rounded parts would add up to. So sub-totals may differ
from the total by a cent; the total is the exact sum, rounded once.
"""

from decimal import ROUND_HALF_UP, Decimal

from billing.pricing.tariff import Price

# ISO 4217 currencies whose minor unit is not 1/100.
_MINOR_UNIT_DIGITS = {"BHD": 3, "CLP": 0, "ISK": 0, "JPY": 0, "KRW": 0, "KWD": 3, "OMR": 3, "TND": 3, "VND": 0}


def round_money(amount: Decimal, currency: str) -> Decimal:
    digits = _MINOR_UNIT_DIGITS.get(currency.upper(), 2)
    return amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def round_price(price: Price, currency: str) -> Price:
    incl_vat = None if price.incl_vat is None else round_money(price.incl_vat, currency)
    return Price(excl_vat=round_money(price.excl_vat, currency), incl_vat=incl_vat)
