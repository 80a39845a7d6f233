"""Three sample sessions an operator can read a tariff by, priced with the engine.

Dates are the next Wednesday after `today` in the location's time zone, so a
preview shows a weekday and stays stable for a day.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from billing.pricing import Cdr, MeterReading, SessionTimeline, StateChange, Tariff, price_session

_WEDNESDAY = 2


@dataclass(frozen=True)
class Sample:
    label: str
    start: time
    charging: timedelta
    parking: timedelta
    energy_wh: int
    power_w: int
    current_a: Decimal  # summed over phases


SAMPLES = (
    Sample(
        "30 min, 11 kWh AC (22 kW), weekday 10:00",
        time(10),
        timedelta(minutes=30),
        timedelta(0),
        11_000,
        22_000,
        Decimal(96),
    ),
    Sample(
        "1 h, 50 kWh DC (50 kW), weekday 20:00",
        time(20),
        timedelta(hours=1),
        timedelta(0),
        50_000,
        50_000,
        Decimal(125),
    ),
    Sample(
        "overnight 8 h from 22:00: 20 kWh in 2 h, then parked 6 h",
        time(22),
        timedelta(hours=2),
        timedelta(hours=6),
        20_000,
        10_000,
        Decimal(45),
    ),
)


def preview(tariff: Tariff, *, time_zone: str, today: date) -> list[tuple[Sample, Cdr]]:
    day = today + timedelta(days=(_WEDNESDAY - today.weekday()) % 7 or 7)
    return [(sample, price_session(tariff, _timeline(sample, day, time_zone))) for sample in SAMPLES]


def _timeline(sample: Sample, day: date, time_zone: str) -> SessionTimeline:
    start = datetime.combine(day, sample.start, tzinfo=ZoneInfo(time_zone)).astimezone(UTC)
    charged = start + sample.charging
    readings = (
        MeterReading(start, 0, sample.power_w, sample.current_a),
        MeterReading(charged, sample.energy_wh, sample.power_w, sample.current_a),
    )
    changes = (StateChange(charged, False),) if sample.parking else ()
    return SessionTimeline(
        start=start, end=charged + sample.parking, time_zone=time_zone, readings=readings, state_changes=changes
    )
