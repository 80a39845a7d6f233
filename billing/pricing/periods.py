"""Slices grouped into charging periods, each with the components that price it.

OCPI asks for a new charging period whenever another price component becomes
active; consecutive slices priced by the same components (and in the same
charging/parking state) are one period.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from billing.pricing.restrictions import Applicable, applicable
from billing.pricing.slicing import Slice
from billing.pricing.tariff import Dimension, Tariff
from billing.pricing.timeline import duration_seconds


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    time_dimension: str  # the CDR dimension its duration is: TIME, PARKING_TIME or RESERVATION_TIME
    energy_wh: int
    energy: Applicable | None  # what prices its energy
    time: Applicable | None  # what prices its duration
    power_w: tuple[Decimal, Decimal] | None  # (min, max) seen
    current_a: tuple[Decimal, Decimal] | None

    @property
    def seconds(self) -> Decimal:
        return duration_seconds(self.end - self.start)


def periods(tariff: Tariff, slices: list[Slice]) -> list[Period]:
    grouped: list[Period] = []
    for piece in slices:
        period = _period(tariff, piece)
        if grouped and _same_pricing(grouped[-1], period):
            grouped[-1] = _joined(grouped[-1], period)
        else:
            grouped.append(period)
    return grouped


def first_flat(tariff: Tariff, slices: list[Slice]) -> Applicable | None:
    """The FLAT fee of the span: charged once, from the first slice that has one."""
    return next((a for s in slices if (a := applicable(tariff.elements, Dimension.FLAT, s.moment))), None)


def _period(tariff: Tariff, piece: Slice) -> Period:
    if piece.moment.reservation is not None:
        kind, time_dimension = "RESERVATION_TIME", Dimension.TIME
    elif piece.charging:
        kind, time_dimension = "TIME", Dimension.TIME
    else:
        kind, time_dimension = "PARKING_TIME", Dimension.PARKING_TIME
    power, current = piece.moment.power_w, piece.moment.current_a
    return Period(
        start=piece.start,
        end=piece.end,
        time_dimension=kind,
        energy_wh=piece.energy_wh,
        energy=applicable(tariff.elements, Dimension.ENERGY, piece.moment),
        time=applicable(tariff.elements, time_dimension, piece.moment),
        power_w=None if power is None else (power, power),
        current_a=None if current is None else (current, current),
    )


def _same_pricing(a: Period, b: Period) -> bool:
    return (a.time_dimension, a.energy, a.time) == (b.time_dimension, b.energy, b.time)


def _joined(a: Period, b: Period) -> Period:
    return Period(
        start=a.start,
        end=b.end,
        time_dimension=a.time_dimension,
        energy_wh=a.energy_wh + b.energy_wh,
        energy=a.energy,
        time=a.time,
        power_w=_range(a.power_w, b.power_w),
        current_a=_range(a.current_a, b.current_a),
    )


def _range(a: tuple | None, b: tuple | None) -> tuple | None:
    if a is None or b is None:
        return a or b
    return (min(a[0], b[0]), max(a[1], b[1]))
