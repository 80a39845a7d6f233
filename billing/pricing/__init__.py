"""The OCPI 2.2.1 pricing engine: pure functions over plain frozen values.

Nothing here imports Django: a tariff and a session timeline go in, a
CDR-like result comes out. Callers build the inputs (billing.tariffs from the
models, billing.pricing.ocpi from OCPI JSON, billing.selectors from a stored
transaction) and call `price_session`.
"""

from billing.pricing.engine import price_session
from billing.pricing.ocpi import tariff_from_ocpi, tariff_to_ocpi
from billing.pricing.result import Cdr, CdrDimension, ChargingPeriod
from billing.pricing.tariff import (
    DayOfWeek,
    Dimension,
    DisplayText,
    Price,
    PriceComponent,
    ReservationRestriction,
    Restrictions,
    Tariff,
    TariffElement,
)
from billing.pricing.timeline import MeterReading, ReservationSpan, SessionTimeline, StateChange

__all__ = [
    "Cdr",
    "CdrDimension",
    "ChargingPeriod",
    "DayOfWeek",
    "Dimension",
    "DisplayText",
    "MeterReading",
    "Price",
    "PriceComponent",
    "ReservationRestriction",
    "ReservationSpan",
    "Restrictions",
    "SessionTimeline",
    "StateChange",
    "Tariff",
    "TariffElement",
    "price_session",
    "tariff_from_ocpi",
    "tariff_to_ocpi",
]
