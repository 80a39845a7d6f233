"""What happened in a session, as the engine needs it: plain frozen values.

All timestamps are timezone-aware (UTC by convention); the location's IANA
time zone is given separately because tariff restrictions speak local time.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal


@dataclass(frozen=True)
class MeterReading:
    """One sample: the energy register (Wh) and, when the meter sent them, power (W) and current (A).

    current_a is the sum over all phases, as OCPI's current restrictions mean it.
    """

    timestamp: datetime
    energy_wh: int | None = None
    power_w: int | None = None
    current_a: Decimal | None = None


@dataclass(frozen=True)
class StateChange:
    """From `timestamp` on the EV is charging (True) or only parked (False)."""

    timestamp: datetime
    charging: bool


@dataclass(frozen=True)
class ReservationSpan:
    """A reservation from when it was made until charging began or it expired."""

    start: datetime
    end: datetime
    expired: bool = False


@dataclass(frozen=True)
class SessionTimeline:
    """A session from start to end; charging until a state change says otherwise.

    For a reservation that expired without a session, pass the reservation
    with expired=True and start == end == its end: only reservation costs apply.
    """

    start: datetime
    end: datetime
    time_zone: str
    readings: tuple[MeterReading, ...] = ()
    state_changes: tuple[StateChange, ...] = ()
    reservation: ReservationSpan | None = None

    def __post_init__(self) -> None:
        moments = [
            self.start,
            self.end,
            *(r.timestamp for r in self.readings),
            *(s.timestamp for s in self.state_changes),
        ]
        if self.reservation:
            moments += [self.reservation.start, self.reservation.end]
        if any(m.tzinfo is None for m in moments):
            raise ValueError("session timestamps must be timezone-aware")
        if self.end < self.start:
            raise ValueError("a session cannot end before it starts")

    def charging_at(self, moment: datetime) -> bool:
        state = True
        for change in sorted(self.state_changes, key=lambda c: c.timestamp):
            if change.timestamp > moment:
                break
            state = change.charging
        return state


def duration_seconds(delta: timedelta) -> Decimal:
    """A duration as exact Decimal seconds (to the microsecond), the unit time is billed in."""
    return Decimal(delta // timedelta(microseconds=1)) / 1_000_000
