"""OCPI DateTime: UTC with "Z", at most 25 characters, so whole seconds (microseconds would make 27)."""

from datetime import UTC, datetime

# What an object shows as last_updated when none of its times is known.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ocpi_datetime(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def latest(*values: datetime | None) -> datetime:
    """The newest of these that is known; EPOCH when none is."""
    return max((v for v in values if v is not None), default=EPOCH)
