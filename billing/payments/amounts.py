"""Money as Stripe counts it: the only place Decimal becomes an integer amount and back."""

from decimal import ROUND_HALF_UP, Decimal

# Stripe counts these currencies in whole units; every other one we price in has cents.
# https://docs.stripe.com/currencies#zero-decimal
ZERO_DECIMAL_CURRENCIES = frozenset(
    ["BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"]
)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Cents, or whole yen. CDR totals keep four decimals; half a cent and up rounds up, as on an invoice."""
    exponent = _exponent(currency)
    whole = amount.quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_UP)
    return int(whole.scaleb(exponent))


def from_minor_units(amount: int, currency: str) -> Decimal:
    """Stripe's integer amount as Decimal money, the inverse of `to_minor_units`."""
    return Decimal(amount).scaleb(-_exponent(currency))


def _exponent(currency: str) -> int:
    return 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2
