"""Session timelines for tests: charge for a while, then park, as a driver would."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from billing.pricing import MeterReading, ReservationSpan, SessionTimeline, StateChange

BERLIN = "Europe/Berlin"


def local(text: str, zone: str = BERLIN) -> datetime:
    """That local wall-clock time (e.g. "2024-03-04 09:30") in UTC, so adding minutes adds real time."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def session(
    start: datetime,
    *,
    charging_minutes: float,
    kwh: str | int = 0,
    parking_minutes: float = 0,
    current_a: str | None = None,
    power_w: int | None = None,
    zone: str = BERLIN,
    reserved_minutes_before: float | None = None,
) -> SessionTimeline:
    """Charge `kwh` evenly for `charging_minutes`, then stay parked `parking_minutes`."""
    charged_until = start + timedelta(minutes=charging_minutes)
    end = charged_until + timedelta(minutes=parking_minutes)
    current = None if current_a is None else Decimal(current_a)
    readings = (
        MeterReading(start, 0, power_w, current),
        MeterReading(charged_until, int(Decimal(kwh) * 1000), power_w, current),
    )
    changes = (StateChange(charged_until, False),) if parking_minutes else ()
    reservation = None
    if reserved_minutes_before is not None:
        reservation = ReservationSpan(start - timedelta(minutes=reserved_minutes_before), start)
    return SessionTimeline(
        start=start, end=end, time_zone=zone, readings=readings, state_changes=changes, reservation=reservation
    )


def expired_reservation(start: datetime, *, minutes: float, zone: str = BERLIN) -> SessionTimeline:
    """A reservation that ran out after `minutes` without the driver ever charging."""
    end = start + timedelta(minutes=minutes)
    return SessionTimeline(start=end, end=end, time_zone=zone, reservation=ReservationSpan(start, end, expired=True))


def readings_session(
    start: datetime, steps: list[tuple[float, int, int | None]], *, zone: str = BERLIN
) -> SessionTimeline:
    """A charging session through readings: each step is (minutes later, register Wh, power W)."""
    readings = [MeterReading(start, 0)]
    moment = start
    for minutes, energy_wh, power_w in steps:
        moment += timedelta(minutes=minutes)
        readings.append(MeterReading(moment, energy_wh, power_w))
    return SessionTimeline(start=start, end=moment, time_zone=zone, readings=tuple(readings))
