"""OCPI 2.2.1 ChargingProfile (mod_charging_profiles.asciidoc) ↔ the command port's ChargingProfile.

An eMSP's profile becomes a Tx profile of the session's transaction: absolute when it has a
start_date_time, else relative to the start of charging; its periods and min_charging_rate as they are,
in W or A. A charger's composite schedule (1.6 and 2.0.1 answer it under different names) becomes the
ActiveChargingProfile the partner reads.
"""

from datetime import UTC, datetime
from typing import Any

from csms.ocpp.commands import ChargingProfile, SchedulePeriod
from roaming.envelope import ocpi_timestamp
from roaming.mapping.commands import invalid
from roaming.mapping.tokens import parse_datetime

RATE_UNITS = ("W", "A")
# Our charging profile for a partner's session: one per transaction, above the driver's own power limit
# (sessions.remote_control, stack level 1), with ids of their own so neither replaces the other.
STACK_LEVEL = 2
_PROFILE_ID_BASE = 2**30


def profile_id(transaction_id: int) -> int:
    return _PROFILE_ID_BASE + transaction_id % _PROFILE_ID_BASE


def _number(data: dict[str, Any], name: str, *, required: bool = True) -> float | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise invalid(f"{name} must be a number of at least 0")
    return float(value)


def _int(data: dict[str, Any], name: str, *, required: bool = True) -> int | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise invalid(f"{name} must be an integer of at least 0")
    return value


def _periods(data: dict[str, Any]) -> list[SchedulePeriod]:
    periods = data.get("charging_profile_period")
    if not isinstance(periods, list) or not periods or not all(isinstance(p, dict) for p in periods):
        raise invalid("charging_profile_period must be a list of at least one ChargingProfilePeriod")
    read = [SchedulePeriod(start_s=_int(p, "start_period") or 0, limit=_number(p, "limit") or 0.0) for p in periods]
    starts = [period.start_s for period in read]
    if starts[0] != 0 or starts != sorted(set(starts)):
        raise invalid("charging_profile_period must start at 0 and in increasing start_period")
    return read


def port_profile(data: Any, *, transaction_id: int, transaction_uid: str | None) -> ChargingProfile:
    """A partner's ChargingProfile as the Tx profile of the transaction; a field out of shape is 2001."""
    if not isinstance(data, dict):
        raise invalid("charging_profile must be a ChargingProfile object")
    unit = data.get("charging_rate_unit")
    if unit not in RATE_UNITS:
        raise invalid("charging_rate_unit must be W or A")
    start = data.get("start_date_time")
    starts_at = None if start is None else ocpi_timestamp(parse_datetime(start, "start_date_time"))
    return ChargingProfile(
        profile_id=profile_id(transaction_id),
        stack_level=STACK_LEVEL,
        purpose="Tx",
        rate_unit=unit,
        periods=_periods(data),
        kind="Absolute" if starts_at else "Relative",
        starts_at=starts_at,
        duration_s=_int(data, "duration", required=False),
        min_rate=_number(data, "min_charging_rate", required=False),
        transaction_id=transaction_id,
        transaction_uid=transaction_uid,
    )


def active_charging_profile(answer_data: dict[str, Any], *, asked_at: datetime) -> dict[str, Any] | None:
    """A composite schedule (1.6 `charging_schedule`, 2.0.1 `schedule`) as an OCPI ActiveChargingProfile."""
    schedule = answer_data.get("charging_schedule") or answer_data.get("schedule")
    if not isinstance(schedule, dict):
        return None
    start = answer_data.get("schedule_start") or schedule.get("start_schedule") or schedule.get("schedule_start")
    started = parse_datetime(start, "schedule_start") if start else asked_at.astimezone(UTC)
    profile: dict[str, Any] = {
        "charging_rate_unit": schedule.get("charging_rate_unit", "W"),
        "charging_profile_period": [
            {"start_period": int(p["start_period"]), "limit": round(float(p["limit"]), 1)}
            for p in schedule.get("charging_schedule_period", [])
        ],
    }
    if schedule.get("duration") is not None:
        profile["duration"] = int(schedule["duration"])
    if schedule.get("min_charging_rate") is not None:
        profile["min_charging_rate"] = float(schedule["min_charging_rate"])
    return {"start_date_time": ocpi_timestamp(started), "charging_profile": profile}
