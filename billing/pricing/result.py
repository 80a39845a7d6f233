"""The priced session, shaped like an OCPI 2.2.1 CDR (its cost and volume fields).

Volumes keep exact units underneath (Wh, seconds); the OCPI-named properties
give kWh and hours. Money is already rounded to the currency (see rounding).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from billing.pricing.tariff import Price

_HOUR = Decimal(3600)
_VOLUME_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class CdrDimension:
    type: str  # ENERGY (kWh), TIME / PARKING_TIME / RESERVATION_TIME (h), MIN_/MAX_POWER (kW), MIN_/MAX_CURRENT (A)
    volume: Decimal


@dataclass(frozen=True)
class ChargingPeriod:
    start_date_time: datetime
    dimensions: tuple[CdrDimension, ...]
    tariff_id: str | None

    def volume(self, dimension: str) -> Decimal | None:
        return next((d.volume for d in self.dimensions if d.type == dimension), None)


@dataclass(frozen=True)
class Cdr:
    tariff_id: str
    currency: str
    start_date_time: datetime
    end_date_time: datetime
    charging_periods: tuple[ChargingPeriod, ...]
    total_cost: Price
    total_fixed_cost: Price
    total_energy_wh: int
    total_energy_cost: Price
    total_time_s: Decimal
    total_time_cost: Price
    total_parking_time_s: Decimal
    total_parking_cost: Price
    total_reservation_cost: Price

    @property
    def total_energy(self) -> Decimal:
        """kWh, as OCPI gives it."""
        return Decimal(self.total_energy_wh) / 1000

    @property
    def total_time(self) -> Decimal:
        """Hours, charging and parking, as OCPI gives it."""
        return self.total_time_s / _HOUR

    @property
    def total_parking_time(self) -> Decimal:
        return self.total_parking_time_s / _HOUR

    def to_json(self) -> dict[str, Any]:
        """The OCPI CDR fields as JSON-safe values: money and volumes as decimal strings."""
        prices = (
            "total_cost",
            "total_fixed_cost",
            "total_energy_cost",
            "total_time_cost",
            "total_parking_cost",
            "total_reservation_cost",
        )
        return {
            "currency": self.currency,
            "tariff_id": self.tariff_id,
            "start_date_time": _iso(self.start_date_time),
            "end_date_time": _iso(self.end_date_time),
            **{name: _price_json(getattr(self, name)) for name in prices},
            "total_energy": _volume(self.total_energy),
            "total_time": _volume(self.total_time),
            "total_parking_time": _volume(self.total_parking_time),
            "charging_periods": [_period_json(p) for p in self.charging_periods],
        }


def _period_json(period: ChargingPeriod) -> dict[str, Any]:
    return {
        "start_date_time": _iso(period.start_date_time),
        "dimensions": [{"type": d.type, "volume": _volume(d.volume)} for d in period.dimensions],
        "tariff_id": period.tariff_id,
    }


def _price_json(price: Price) -> dict[str, str]:
    return {"excl_vat": str(price.excl_vat), "incl_vat": str(price.incl_vat)}


def _volume(value: Decimal) -> str:
    """Volumes to the millionth (hours: 3.6 ms); exact values stay in the Wh and second fields."""
    return format(value.quantize(_VOLUME_PLACES).normalize(), "f")


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
