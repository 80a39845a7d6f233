"""Hypothesis strategies for payloads that conform to an OCPP JSON schema, biased to the edges.

The shipped schemas use a small subset of JSON Schema (types, enum, required,
maxLength, minimum, min/maxItems, $ref, date-time); every value drawn here
passes them, so whatever the central system does with it must not be an
InternalError. Strings favour what a database may refuse (NUL, lone
surrogates, the longest allowed) and numbers what a column may not hold.
"""

from datetime import UTC, datetime

from hypothesis import strategies as st

ODD_CHARACTERS = st.sampled_from(["\x00", "\ud800", "\udfff", "\U0001f50c", "é", "a", "\\", '"', "\u2028"])
EDGE_INTEGERS = [0, 1, -1, 2**15, 2**31 - 1, 2**31, 2**53, 2**63 - 1, 2**63, 10**20]
EDGE_NUMBERS = [0.0, -0.0, 1e-7, 0.1, 123456789012.3456, 9999999999999999.0, 1e16, -1e16, 1e30, 1e308, -1e308, 5e-324]
DATE_TIMES = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC))


def payloads(schema: dict) -> st.SearchStrategy:
    return _strategy(schema, schema)


def _strategy(schema: dict, root: dict) -> st.SearchStrategy:
    if "$ref" in schema:
        return _strategy(root["definitions"][schema["$ref"].rsplit("/", 1)[1]], root)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind is None:  # any JSON value (2.0.1 DataTransfer.data)
        return st.recursive(
            _scalars(),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_strings(20), inner, max_size=3),
            max_leaves=5,
        )
    return {
        "object": _object,
        "array": _array,
        "string": _string,
        "integer": _integer,
        "number": _number,
        "boolean": lambda s, r: st.booleans(),
    }[kind](schema, root)


def _object(schema: dict, root: dict) -> st.SearchStrategy:
    properties = {
        name: _strategy(sub, root) for name, sub in schema.get("properties", {}).items() if name != "customData"
    }
    required = set(schema.get("required", []))
    return st.fixed_dictionaries(
        {name: s for name, s in properties.items() if name in required},
        optional={name: s for name, s in properties.items() if name not in required},
    )


def _array(schema: dict, root: dict) -> st.SearchStrategy:
    low = schema.get("minItems", 0)
    return st.lists(
        _strategy(schema["items"], root), min_size=low, max_size=max(low, min(schema.get("maxItems", 3), 3))
    )


def _string(schema: dict, root: dict) -> st.SearchStrategy:
    if schema.get("format") == "date-time":
        return DATE_TIMES.map(lambda moment: moment.isoformat().replace("+00:00", "Z"))
    return _strings(schema.get("maxLength", 100))


def _strings(longest: int) -> st.SearchStrategy:
    return st.one_of(
        st.text(max_size=longest),
        st.text(ODD_CHARACTERS, max_size=longest),
        st.text(ODD_CHARACTERS, min_size=longest, max_size=longest),
    )


def _integer(schema: dict, root: dict) -> st.SearchStrategy:
    low = schema.get("minimum")
    edges = [n for n in EDGE_INTEGERS if low is None or n >= low]
    return st.integers(min_value=low) | st.sampled_from(edges)


def _number(schema: dict, root: dict) -> st.SearchStrategy:
    low = schema.get("minimum")
    edges = [n for n in EDGE_NUMBERS if low is None or n >= low]
    floats = st.floats(min_value=low, allow_nan=False, allow_infinity=False)
    return floats | st.sampled_from(edges) | st.integers(min_value=None if low is None else int(low))


def _scalars() -> st.SearchStrategy:
    return st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | _strings(50)
