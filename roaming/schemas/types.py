"""OCPI 2.2.1's common types (types.asciidoc) as JSON Schema pieces the module shapes are built from.

Written from the spec text, so a test can check an object we produce
against what a partner's strict parser expects: lengths, patterns, enums.
"""

from typing import Any

Schema = dict[str, Any]

_PRINTABLE_ASCII = r"^[\x20-\x7E]*$"
_NO_CONTROL_CHARACTERS = r"^[^\x00-\x1F\x7F]*$"
# RFC 3339 in UTC as OCPI narrows it: "Z" or no designator, never an offset (+00:00 is not UTC to OCPI).
_DATE_TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z?$"


def cistring(max_length: int) -> Schema:
    """Case-insensitive string: printable ASCII only."""
    return {"type": "string", "maxLength": max_length, "pattern": _PRINTABLE_ASCII}


def string(max_length: int | None = None, *, pattern: str | None = None) -> Schema:
    """Case-sensitive string: printable UTF-8, no control characters (no tabs, no line breaks)."""
    schema: Schema = {"type": "string", "pattern": pattern or _NO_CONTROL_CHARACTERS}
    if max_length is not None:
        schema["maxLength"] = max_length
    return schema


def enum(*values: str) -> Schema:
    return {"type": "string", "enum": list(values)}


def obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    """A class: exactly these fields, the required ones present; nothing else (a typo fails)."""
    return {
        "type": "object",
        "properties": {**required, **(optional or {})},
        "required": list(required),
        "additionalProperties": False,
    }


def many(item: Schema, *, at_least: int = 0) -> Schema:
    """Cardinality `*` (at_least=0) or `+` (at_least=1)."""
    return {"type": "array", "items": item, "minItems": at_least}


DATE_TIME: Schema = {"type": "string", "maxLength": 25, "pattern": _DATE_TIME}
NUMBER: Schema = {"type": "number"}
INT: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
URL: Schema = string(255)

DISPLAY_TEXT = obj({"language": string(2), "text": string(512)})
PRICE = obj({"excl_vat": NUMBER}, {"incl_vat": NUMBER})
