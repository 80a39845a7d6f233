"""Meter samples as plain values, and their normalisation to our units.

Energy is kept in Wh and power in W whatever the meter reports (kWh, kW,
kvarh...). Other measurands keep the unit they came with.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

ENERGY_REGISTER = "Energy.Active.Import.Register"
POWER_IMPORT = "Power.Active.Import"
STATE_OF_CHARGE = "SoC"

# unit as reported → (unit we store, factor)
_SCALED_UNITS = {
    "kWh": ("Wh", Decimal(1000)),
    "kW": ("W", Decimal(1000)),
    "kvarh": ("varh", Decimal(1000)),
    "kvar": ("var", Decimal(1000)),
    "kVA": ("VA", Decimal(1000)),
}
# What a reading can be and still be kept: MeterValue.value holds 16 digits before the
# point and 4 after; the live power and state of charge are integer columns.
PLACES = Decimal("0.0001")
STORABLE_LIMIT = Decimal(10) ** 16
INTEGER_LIMIT = Decimal(2**31)
_INTEGER_MEASURANDS = frozenset({POWER_IMPORT, STATE_OF_CHARGE})
# The unit a measurand has when the meter leaves it out (OCPP defaults).
_DEFAULT_UNITS = {
    "Energy": "Wh",
    "Power": "W",
    "Current": "A",
    "Voltage": "V",
    "SoC": "Percent",
    "Temperature": "Celsius",
    "Frequency": "Hz",
}


class InvalidSample(ValueError):
    """A sampled value that is not a number, or not one a meter can report."""


@dataclass(frozen=True)
class Sample:
    timestamp: datetime
    value: str
    measurand: str = ENERGY_REGISTER
    unit: str = ""
    phase: str = ""
    location: str = ""
    context: str = ""


@dataclass(frozen=True)
class NormalisedSample:
    sample: Sample
    value: Decimal
    unit: str


def default_unit(measurand: str) -> str:
    return _DEFAULT_UNITS.get(measurand.split(".")[0], "")


def normalise(sample: Sample) -> NormalisedSample:
    value = _number(sample)
    unit = sample.unit or default_unit(sample.measurand)
    if unit in _SCALED_UNITS:
        unit, factor = _SCALED_UNITS[unit]
        value *= factor
    value = value.quantize(Decimal(1) if unit in ("Wh", "varh") else PLACES)
    _check_storable(sample, value, unit)
    return NormalisedSample(sample=sample, value=value, unit=unit)


def _number(sample: Sample) -> Decimal:
    try:
        value = Decimal(str(sample.value).strip())
    except InvalidOperation as exc:
        raise InvalidSample(f"{sample.measurand} value {sample.value!r} is not a number") from exc
    if not value.is_finite():
        raise InvalidSample(f"{sample.measurand} value {sample.value!r} is not a number")
    if value.adjusted() >= 20:  # before any arithmetic: 1E+100000000 overflows it
        raise InvalidSample(
            f"{sample.measurand} value {sample.value!r} is beyond what a reading can be (under {float(STORABLE_LIMIT):.4g})"
        )
    return value


def _check_storable(sample: Sample, value: Decimal, unit: str) -> None:
    """A reading beyond what can be kept (10^16 Wh is a third of the world's yearly
    electricity) is refused for what it is, rather than failing the write."""
    limit = INTEGER_LIMIT if sample.measurand in _INTEGER_MEASURANDS else STORABLE_LIMIT
    if abs(value) >= limit:
        raise InvalidSample(
            f"{sample.measurand} value {sample.value!r} ({value:.3e} {unit}) is beyond what a reading can be (under {float(limit):.4g})"
        )


def energy_wh(value: str | int | float, unit: str = "Wh") -> int:
    """An energy register reading in whole Wh (meterStart/meterStop and friends)."""
    return int(normalise(Sample(timestamp=None, value=str(value), measurand=ENERGY_REGISTER, unit=unit)).value)
