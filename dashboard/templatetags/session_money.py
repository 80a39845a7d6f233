"""`{{ amount|money:currency }}`: a stored amount with its currency, in the currency's minor unit when that is exact."""

from decimal import Decimal

from django import template

from dashboard.selectors.sessions import amount_text

register = template.Library()


@register.filter
def money(amount: Decimal | None, currency: str) -> str:
    return "–" if amount is None else f"{amount_text(amount, currency)} {currency}"
