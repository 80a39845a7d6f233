"""The charging schedule inside a profile: the same fields in OCPP 1.6 and 2.0.1."""

from csms.ocpp.commands import ChargingProfile


def charging_schedule(profile: ChargingProfile) -> dict:
    """A neutral profile's schedule as an OCPP ChargingSchedule, snake_case."""
    schedule = {
        "charging_rate_unit": profile.rate_unit,
        "charging_schedule_period": [
            {"start_period": p.start_s, "limit": p.limit, **({"number_phases": p.phases} if p.phases else {})}
            for p in profile.periods
        ],
        "duration": profile.duration_s,
        "start_schedule": profile.starts_at,
        "min_charging_rate": profile.min_rate,
    }
    return {key: value for key, value in schedule.items() if value is not None}
