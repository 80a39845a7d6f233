"""The energy meter of one simulated connector, and the EV plugged into it.

The model is deliberately simple but physically consistent, so that a CSMS
sees believable numbers: the energy register only grows, power tapers off
above 80 % state of charge, current follows from power and voltage, and a
charging-profile limit caps the power.  `speedup` compresses time so tests
see kWh move within a fraction of a second.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ocpp.v16.datatypes import MeterValue, SampledValue
from ocpp.v16.enums import Location, Measurand, Phase, ReadingContext, UnitOfMeasure

if TYPE_CHECKING:
    from simulator.model import ChargerOptions  # which imports this module

DEFAULT_MEASURANDS: tuple[str, ...] = (
    Measurand.energy_active_import_register,
    Measurand.power_active_import,
    Measurand.soc,
    Measurand.voltage,
    Measurand.current_import,
)
SUPPORTED_MEASURANDS = frozenset(DEFAULT_MEASURANDS)

# Above this state of charge the EV draws less and less power, like real batteries.
TAPER_FROM_SOC = 80.0
# Share of the maximum power still drawn at 100 % before the EV stops.
TAPER_FLOOR = 0.1


def ocpp_time(moment: datetime) -> str:
    """An OCPP timestamp: UTC, millisecond precision, Z suffix."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def utc_now() -> str:
    return ocpp_time(datetime.now(UTC))


@dataclass
class Meter:
    """Integrates power over (scaled) wall-clock time into a monotonic Wh register."""

    max_power_w: float
    voltage_v: float
    phases: int
    battery_wh: float
    speedup: float = 1.0
    limit_w: Callable[[], float | None] = lambda: None
    register_wh: float = 0.0
    soc_percent: float | None = None  # None while no EV is plugged in
    charging: bool = False
    _clock: float = field(default_factory=time.monotonic, repr=False)

    @classmethod
    def for_charger(cls, options: ChargerOptions, limit_w: Callable[[], float | None]) -> Meter:
        """The meter of one connector/EVSE of a simulated charger with these ChargerOptions."""
        return cls(
            max_power_w=options.power_w,
            voltage_v=options.voltage_v,
            phases=options.phases,
            battery_wh=options.battery_wh,
            speedup=options.speedup,
            limit_w=limit_w,
        )

    @property
    def meter_wh(self) -> int:
        """The register as OCPP integers expect it; flooring keeps it monotonic."""
        return math.floor(self.register_wh)

    @property
    def power_w(self) -> float:
        """What the EV draws right now."""
        if not self.charging or self.soc_percent is None or self.soc_percent >= 100.0:
            return 0.0
        power = self.max_power_w
        if self.soc_percent > TAPER_FROM_SOC:
            share = (self.soc_percent - TAPER_FROM_SOC) / (100.0 - TAPER_FROM_SOC)
            power *= 1.0 - (1.0 - TAPER_FLOOR) * share
        limit = self.limit_w()
        return max(0.0, power if limit is None else min(power, limit))

    def plug_in(self, soc_percent: float) -> None:
        self.advance()
        self.soc_percent = soc_percent
        self.charging = True

    def unplug(self) -> None:
        self.advance()
        self.charging = False
        self.soc_percent = None

    def advance(self) -> None:
        """Account for the energy delivered since the last call."""
        now = time.monotonic()
        hours = (now - self._clock) * self.speedup / 3600.0
        self._clock = now
        energy_wh = self.power_w * hours
        self.register_wh += energy_wh
        if self.soc_percent is not None:
            self.soc_percent = min(100.0, self.soc_percent + 100.0 * energy_wh / self.battery_wh)

    def sample(self, context: ReadingContext, measurands: Iterable[str]) -> MeterValue:
        """One MeterValue with the requested measurands (SoC only while an EV is plugged in)."""
        self.advance()
        readings = self._readings()
        sampled = [_sampled_value(name, *readings[name], context) for name in measurands if name in readings]
        return MeterValue(timestamp=utc_now(), sampled_value=sampled)

    def _readings(self) -> dict[str, tuple[str, UnitOfMeasure, Phase | None, Location]]:
        power = self.power_w
        voltage = self.voltage_v + random.uniform(-1.5, 1.5)
        current = power / (voltage * self.phases)
        readings = {
            Measurand.energy_active_import_register: (str(self.meter_wh), UnitOfMeasure.wh, None, Location.outlet),
            Measurand.power_active_import: (f"{power:.1f}", UnitOfMeasure.w, None, Location.outlet),
            Measurand.voltage: (f"{voltage:.1f}", UnitOfMeasure.v, Phase.l1, Location.outlet),
            Measurand.current_import: (f"{current:.2f}", UnitOfMeasure.a, Phase.l1, Location.outlet),
        }
        if self.soc_percent is not None:
            readings[Measurand.soc] = (f"{self.soc_percent:.1f}", UnitOfMeasure.percent, None, Location.ev)
        return readings


def _sampled_value(
    name: str, value: str, unit: UnitOfMeasure, phase: Phase | None, location: Location, context: ReadingContext
) -> SampledValue:
    return SampledValue(
        value=value, context=context, measurand=Measurand(name), phase=phase, location=location, unit=unit
    )
