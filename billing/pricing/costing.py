"""What each priced period costs, with OCPI 2.2.1's step-size rule.

step_size is applied once per session: once for ENERGY, and once for TIME
and PARKING_TIME together (mod_cdrs "step_size"). It is the step of the
component that priced the last period billed for that dimension, applied to
the session's total of that dimension, and the rounded-up extra is billed
in that last period at its price. When charging time is followed by billed
parking time, only the parking total is rounded; switching element or price
never rounds the part before the switch. A reservation is its own span and
rounds its own time.

Amounts here are exact (unrounded) Decimals; rounding to the currency
happens once, on the totals (see billing.pricing.rounding).
"""

from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, Decimal

from billing.pricing.periods import Period
from billing.pricing.restrictions import Applicable
from billing.pricing.tariff import Dimension, PriceComponent

_WH_PER_KWH = Decimal(1000)
_SECONDS_PER_HOUR = Decimal(3600)


@dataclass(frozen=True)
class CostLine:
    dimension: str  # ENERGY, TIME, PARKING_TIME, RESERVATION_TIME or FLAT
    volume: Decimal  # billed: Wh, seconds, or 1 for FLAT
    component: PriceComponent

    @property
    def excl_vat(self) -> Decimal:
        if self.component.type == Dimension.FLAT:
            return self.component.price
        unit = _WH_PER_KWH if self.dimension == Dimension.ENERGY else _SECONDS_PER_HOUR
        return self.volume * self.component.price / unit

    @property
    def incl_vat(self) -> Decimal:
        return self.component.with_vat(self.excl_vat)


def flat_line(fee: Applicable | None) -> list[CostLine]:
    return [] if fee is None else [CostLine(Dimension.FLAT, Decimal(1), fee.component)]


def energy_lines(periods: list[Period]) -> list[CostLine]:
    lines = [CostLine(Dimension.ENERGY, Decimal(p.energy_wh), p.energy.component) for p in periods if p.energy]
    return _stepped([line for line in lines if line.volume > 0])


def time_lines(periods: list[Period]) -> list[CostLine]:
    lines = [CostLine(p.time_dimension, p.seconds, p.time.component) for p in periods if p.time]
    return _stepped([line for line in lines if line.volume > 0])


def _stepped(lines: list[CostLine]) -> list[CostLine]:
    """Round the total of the last line's dimension up to its step; the extra goes to that last line."""
    if not lines:
        return lines
    last = lines[-1]
    total = sum((line.volume for line in lines if line.dimension == last.dimension), Decimal(0))
    extra = _round_up(total, last.component.step_size) - total
    return [*lines[:-1], replace(last, volume=last.volume + extra)]


def _round_up(amount: Decimal, step: int) -> Decimal:
    """Up to a whole number of steps; a step below 1 (OCPI's free-of-charge example has 0) counts as 1."""
    step = max(step, 1)
    return (amount / step).to_integral_value(ROUND_CEILING) * step
