"""A tariff as the engine sees it: frozen values shaped like OCPI 2.2.1's Tariff.

Money is Decimal, never float; VAT is a percentage (None means "no VAT
applies", which OCPI distinguishes from 0 %). Restrictions keep OCPI's units
(kWh, A, kW, seconds) because that is how operators write them.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum


class Dimension(StrEnum):
    """What a price component prices (OCPI TariffDimensionType)."""

    ENERGY = "ENERGY"
    FLAT = "FLAT"
    TIME = "TIME"
    PARKING_TIME = "PARKING_TIME"


class DayOfWeek(StrEnum):
    """In `date.weekday()` order, so `list(DayOfWeek)[d.weekday()]` names a day."""

    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


class ReservationRestriction(StrEnum):
    RESERVATION = "RESERVATION"
    RESERVATION_EXPIRES = "RESERVATION_EXPIRES"


@dataclass(frozen=True)
class Price:
    """An amount excluding and including VAT (OCPI Price); incl_vat may be unknown in limits."""

    excl_vat: Decimal
    incl_vat: Decimal | None = None


@dataclass(frozen=True)
class PriceComponent:
    type: Dimension
    price: Decimal
    step_size: int = 1
    vat: Decimal | None = None

    def with_vat(self, amount: Decimal) -> Decimal:
        """`amount` (excl. VAT, priced by this component) including this component's VAT."""
        if self.vat is None:
            return amount
        return amount * (1 + self.vat / 100)


@dataclass(frozen=True)
class Restrictions:
    """When an element applies; every set field must match (a logical AND).

    Times and dates are local to the location's time zone. `end_time` before
    `start_time` wraps past midnight; an `end_time` of 00:00 means the end of
    the day. `end_date`, `max_*` are exclusive, `start_date`, `min_*` inclusive.
    """

    start_time: time | None = None
    end_time: time | None = None
    start_date: date | None = None
    end_date: date | None = None
    min_kwh: Decimal | None = None
    max_kwh: Decimal | None = None
    min_current: Decimal | None = None
    max_current: Decimal | None = None
    min_power: Decimal | None = None
    max_power: Decimal | None = None
    min_duration: int | None = None
    max_duration: int | None = None
    day_of_week: frozenset[DayOfWeek] = frozenset()
    reservation: ReservationRestriction | None = None


@dataclass(frozen=True)
class TariffElement:
    price_components: tuple[PriceComponent, ...]
    restrictions: Restrictions = field(default_factory=Restrictions)

    def component(self, dimension: Dimension) -> PriceComponent | None:
        """This element's component for `dimension`; OCPI lets one be active per dimension."""
        return next((c for c in self.price_components if c.type == dimension), None)


@dataclass(frozen=True)
class DisplayText:
    language: str
    text: str


@dataclass(frozen=True)
class Tariff:
    id: str
    currency: str
    elements: tuple[TariffElement, ...]
    min_price: Price | None = None
    max_price: Price | None = None
    type: str | None = None
    alt_text: tuple[DisplayText, ...] = ()
    alt_url: str = ""
    start_date_time: datetime | None = None
    end_date_time: datetime | None = None
    last_updated: datetime | None = None
