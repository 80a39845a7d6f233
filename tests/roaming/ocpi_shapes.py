"""assert_ocpi: an object we produce checked against an OCPI 2.2.1 shape from roaming.schemas."""

from typing import Any

from jsonschema import Draft202012Validator


def ocpi_errors(shape: dict[str, Any], obj: Any) -> list[str]:
    """Every way `obj` breaks `shape`, each as "path: message" (empty when it fits)."""
    Draft202012Validator.check_schema(shape)
    errors = sorted(Draft202012Validator(shape).iter_errors(obj), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors]


def assert_ocpi(shape: dict[str, Any], obj: Any) -> None:
    errors = ocpi_errors(shape, obj)
    assert not errors, "not an OCPI 2.2.1 object:\n" + "\n".join(errors)
