"""Fitting reported text into our columns."""
from django.db.models import Model


def fit(model: type[Model], field: str, value: str) -> str:
    """`value` cut to the column's max_length.

    Lenient stations send longer strings than OCPP allows (a 60-character
    firmware version); the deviation is recorded and the value kept cut,
    rather than the whole message failing on PostgreSQL.
    """
    return value[: model._meta.get_field(field).max_length]
