"""Does a tariff element apply at a moment of the session? (OCPI TariffRestrictions)

Restrictions are checked per slice of the session, never for the session as
a whole. A restriction on a value we do not know (no current reported, say)
does not match: the element is skipped and the next one for that dimension
is tried. When no element matches, the dimension costs nothing at that
moment, which is what OCPI prescribes.
"""

from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal

from billing.pricing.tariff import (
    DayOfWeek,
    Dimension,
    PriceComponent,
    ReservationRestriction,
    Restrictions,
    TariffElement,
)

_DAYS = list(DayOfWeek)
_MIDNIGHT = time(0)


@dataclass(frozen=True)
class Moment:
    """What restrictions look at, taken inside a slice where none of it crosses a boundary."""

    local: datetime  # naive wall-clock time at the location
    elapsed_s: Decimal  # since the session (or reservation) began
    energy_wh: Decimal  # consumed so far
    power_w: Decimal | None
    current_a: Decimal | None
    reservation: ReservationRestriction | None  # None: the charging session itself


@dataclass(frozen=True)
class Applicable:
    """The component that prices a dimension in a slice, and the element it comes from."""

    element_index: int
    component: PriceComponent


def applicable(elements: tuple[TariffElement, ...], dimension: Dimension, moment: Moment) -> Applicable | None:
    """The first element that has a component for `dimension` and whose restrictions all match."""
    for index, element in enumerate(elements):
        component = element.component(dimension)
        if component is not None and matches(element.restrictions, moment):
            return Applicable(element_index=index, component=component)
    return None


def matches(r: Restrictions, m: Moment) -> bool:
    return (
        _phase_matches(r.reservation, m.reservation)
        and _time_of_day_matches(r.start_time, r.end_time, m.local.time())
        and (r.start_date is None or m.local.date() >= r.start_date)
        and (r.end_date is None or m.local.date() < r.end_date)
        and (not r.day_of_week or _DAYS[m.local.weekday()] in r.day_of_week)
        and _within(m.energy_wh, _kilo(r.min_kwh), _kilo(r.max_kwh))
        and _within(m.current_a, r.min_current, r.max_current)
        and _within(m.power_w, _kilo(r.min_power), _kilo(r.max_power))
        and _within(m.elapsed_s, r.min_duration, r.max_duration)
    )


def _phase_matches(wanted: ReservationRestriction | None, phase: ReservationRestriction | None) -> bool:
    """Reservation elements price reservations only; an expired reservation also takes RESERVATION elements."""
    if wanted is None or phase is None:
        return wanted == phase
    return wanted == phase or wanted == ReservationRestriction.RESERVATION


def _time_of_day_matches(start: time | None, end: time | None, now: time) -> bool:
    if start is None:
        return end is None or end == _MIDNIGHT or now < end
    if end is None:
        return now >= start
    if start < end:
        return start <= now < end
    if start > end:  # wraps past midnight
        return now >= start or now < end
    return True


def _within(value: Decimal | None, low: Decimal | int | None, high: Decimal | int | None) -> bool:
    """low inclusive, high exclusive; a bound on an unknown value never matches."""
    if low is None and high is None:
        return True
    if value is None:
        return False
    return (low is None or value >= low) and (high is None or value < high)


def _kilo(value: Decimal | None) -> Decimal | None:
    """kWh to Wh, kW to W: restrictions speak kilo-units, the meter does not."""
    return None if value is None else value * 1000
