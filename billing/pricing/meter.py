"""Energy consumed over a session, from energy-register readings.

Consumed energy is a piecewise-linear function of time through the readings
(flat before the first and after the last). A reading lower than the one
before it is a meter reset or replacement: that interval counts 0 Wh and
counting goes on from the new value, so a session never shows negative
energy and we never bill energy we cannot attribute.

Power and current are step values: an interval between two energy readings
takes what its closing reading reports (else its opening one); power falls
back to the interval's average power from the energy it used. Outside the
readings the nearest reading's values hold. A sample of power or current
without an energy reading at the same moment is not used.
"""

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import TypeVar

from billing.pricing.timeline import MeterReading, duration_seconds

_T = TypeVar("_T")


@dataclass(frozen=True)
class Levels:
    power_w: Decimal | None
    current_a: Decimal | None


@dataclass(frozen=True)
class EnergyCurve:
    times: tuple[datetime, ...]
    consumed_wh: tuple[int, ...]
    levels: tuple[Levels, ...]  # levels[i] holds between times[i-1] and times[i]

    def at(self, moment: datetime) -> Decimal:
        """Energy consumed since the first reading, interpolated between readings."""
        if not self.times:
            return Decimal(0)
        i = bisect_right(self.times, moment)
        if i == 0:
            return Decimal(0)
        if i == len(self.times):
            return Decimal(self.consumed_wh[-1])
        t0, t1 = self.times[i - 1], self.times[i]
        e0, e1 = self.consumed_wh[i - 1], self.consumed_wh[i]
        return e0 + (e1 - e0) * duration_seconds(moment - t0) / duration_seconds(t1 - t0)

    def rounded_at(self, moment: datetime) -> int:
        """`at` in whole Wh, the unit energy is kept and billed in."""
        return int(self.at(moment).to_integral_value())

    def levels_at(self, moment: datetime) -> Levels:
        if not self.levels:
            return Levels(None, None)
        return self.levels[bisect_right(self.times, moment)]

    def crossing(self, threshold_wh: Decimal) -> datetime | None:
        """The first moment (to the microsecond, rounded up) consumed energy reaches `threshold_wh`."""
        for i in range(1, len(self.times)):
            low, high = self.consumed_wh[i - 1], self.consumed_wh[i]
            if low < threshold_wh <= high:
                span_us = (self.times[i] - self.times[i - 1]) // timedelta(microseconds=1)
                offset_us = (span_us * (threshold_wh - low) / (high - low)).to_integral_value(ROUND_CEILING)
                return self.times[i - 1] + timedelta(microseconds=int(offset_us))
        return None


def energy_curve(readings: tuple[MeterReading, ...]) -> EnergyCurve:
    samples = _merged(readings)
    with_energy = [s for s in samples if s.energy_wh is not None]
    if not with_energy:
        return EnergyCurve(times=(), consumed_wh=(), levels=())
    consumed = _consumed([s.energy_wh for s in with_energy if s.energy_wh is not None])
    levels = tuple(_levels(with_energy, consumed, i) for i in range(len(with_energy) + 1))
    return EnergyCurve(times=tuple(s.timestamp for s in with_energy), consumed_wh=consumed, levels=levels)


def _merged(readings: tuple[MeterReading, ...]) -> list[MeterReading]:
    """One reading per timestamp, each field the last value given for it at that moment."""
    merged: dict[datetime, MeterReading] = {}
    for r in sorted(readings, key=lambda r: r.timestamp):
        before = merged.get(r.timestamp, MeterReading(timestamp=r.timestamp))
        merged[r.timestamp] = MeterReading(
            timestamp=r.timestamp,
            energy_wh=_first_set(r.energy_wh, before.energy_wh),
            power_w=_first_set(r.power_w, before.power_w),
            current_a=_first_set(r.current_a, before.current_a),
        )
    return [merged[t] for t in sorted(merged)]


def _first_set(*values: _T | None) -> _T | None:
    return next((v for v in values if v is not None), None)


def _consumed(energies_wh: list[int]) -> tuple[int, ...]:
    total, values = 0, [0]
    for previous, current in zip(energies_wh, energies_wh[1:]):
        total += max(0, current - previous)
        values.append(total)
    return tuple(values)


def _levels(samples: list[MeterReading], consumed: tuple[int, ...], i: int) -> Levels:
    closing = samples[min(i, len(samples) - 1)]
    opening = samples[max(i - 1, 0)]
    power: int | Decimal | None = _first_set(closing.power_w, opening.power_w)
    current = _first_set(closing.current_a, opening.current_a)
    if power is None and 0 < i < len(samples):
        seconds = duration_seconds(closing.timestamp - opening.timestamp)
        power = (consumed[i] - consumed[i - 1]) * Decimal(3600) / seconds if seconds else None
    return Levels(
        power_w=None if power is None else Decimal(power),
        current_a=None if current is None else Decimal(current),
    )
