"""Money as every billing model stores it: Decimal amounts excl. or incl. VAT, and ISO 4217 currency codes."""

import re

from django.core.exceptions import ValidationError
from django.db import models


def validate_currency(value: str) -> None:
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise ValidationError("An ISO 4217 code: three capital letters, e.g. EUR.")


def money_field(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=12, decimal_places=4, **kwargs)
