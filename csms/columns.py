"""Fitting reported text into our columns."""

import re

from django.db.models import Model

# What stands in for a character no database of ours can hold, one for one, so that a
# string keeps its length (and so still fits the column its schema's maxLength sized).
NUL_MARK = "\u2400"  # ␀ SYMBOL FOR NULL: PostgreSQL text cannot hold NUL
REPLACEMENT = "\ufffd"  # a lone surrogate (a valid JSON escape) is not valid UTF-8
_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` as every database we run on can hold it, visibly marked where it could not.

    Chargers send NUL and lone surrogates (both valid JSON escapes); one such
    string in a write fails the statement, and in the message log the whole
    batch of every station's frames with it.
    """
    if "\x00" in text:
        text = text.replace("\x00", NUL_MARK)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = _SURROGATE.sub(REPLACEMENT, text)
    return text


def storable_json(value):
    """A decoded JSON value whose every string (keys too) is `storable`: JSON columns
    (jsonb) refuse the same characters text columns do."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, list):
        return [storable_json(item) for item in value]
    if isinstance(value, dict):
        return {storable(key): storable_json(item) for key, item in value.items()}
    return value


def fit(model: type[Model], field: str, value: str) -> str:
    """`value` storable and cut to the column's max_length.

    Lenient stations send longer strings than OCPP allows (a 60-character
    firmware version); the deviation is recorded and the value kept cut,
    rather than the whole message failing on PostgreSQL.
    """
    return storable(value)[: model._meta.get_field(field).max_length]
