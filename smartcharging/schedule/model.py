"""What the planner takes and gives: frozen dataclasses, and the arithmetic on them every part shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

EPSILON = 1e-6  # kW or kWh below which a value is taken as zero, and the slack of the plan's check

Path = Literal["milp", "lp", "fallback"]


@dataclass(frozen=True)
class Horizon:
    """What is planned: `slots` slots of `slot_minutes` each, slot 0 starting now."""

    slots: int = 96
    slot_minutes: int = 15

    @property
    def hours_per_slot(self) -> float:
        return self.slot_minutes / 60


DAY = Horizon()  # the default: 24 h in 15-minute slots


@dataclass(frozen=True)
class Site:
    """Per slot, the kW the controlled chargers may draw together (the grid limit less the known
    uncontrolled load) and the price of a kWh (time-of-use or day-ahead; None: no price, cost 0).
    `base_kw`, the uncontrolled load itself where known, is only counted into the peak: with it the
    planner fills the site's valleys instead of spreading each car flat over its stay."""

    limit_kw: tuple[float, ...]
    price_per_kwh: tuple[float, ...] | None = None
    base_kw: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Car:
    """A session to plan. `available_from` is the slot it arrives in (0 if already plugged in);
    `departure` the first slot it is gone (None: it stays past the horizon); `energy_kwh` what it needs
    (None: as much as it can take); it draws nothing or between `min_kw` and `max_kw`."""

    id: str
    max_kw: float
    min_kw: float = 0.0
    available_from: int = 0
    departure: int | None = None
    energy_kwh: float | None = None
    priority: float = 1.0


@dataclass(frozen=True)
class CarPlan:
    """One car's part of the plan."""

    car_id: str
    kw: tuple[float, ...]  # per slot; kw[0] is what to send now
    delivered_kwh: float
    shortfall_kwh: float  # need less delivered; 0 for a car with no stated need


@dataclass(frozen=True)
class Plan:
    """The site's plan, and how it came about: `path` is "milp", "lp" (the LP relaxation, rounded) or
    "fallback" (earliest departure first), `reason` why, in words for the operator's log."""

    cars: tuple[CarPlan, ...]
    site_kw: tuple[float, ...]  # per slot, the cars' draw plus the site's base load where given
    peak_kw: float  # the largest of site_kw
    cost: float  # the cars' energy at the slots' prices
    path: Path
    reason: str
    solve_seconds: float


def departure_slot(car: Car, horizon: Horizon) -> int:
    return horizon.slots if car.departure is None else min(car.departure, horizon.slots)


def need_kwh(car: Car, horizon: Horizon) -> float:
    """The kWh to plan for: the stated need, or for a car without one all it could take while there."""
    slots = max(departure_slot(car, horizon) - max(car.available_from, 0), 0)
    most = car.max_kw * slots * horizon.hours_per_slot
    return most if car.energy_kwh is None else max(min(car.energy_kwh, most), 0.0)


def base_load(site: Site, horizon: Horizon) -> np.ndarray:
    return np.zeros(horizon.slots) if site.base_kw is None else np.asarray(site.base_kw, dtype=float)


def check(site: Site, horizon: Horizon) -> None:
    """A site's profiles must cover the horizon slot for slot: a caller's mistake, not the solver's."""
    if len(site.limit_kw) != horizon.slots:
        raise ValueError(f"limit_kw has {len(site.limit_kw)} slots, the horizon {horizon.slots}")
    if site.price_per_kwh is not None and len(site.price_per_kwh) != horizon.slots:
        raise ValueError(f"price_per_kwh has {len(site.price_per_kwh)} slots, the horizon {horizon.slots}")
    if site.base_kw is not None and len(site.base_kw) != horizon.slots:
        raise ValueError(f"base_kw has {len(site.base_kw)} slots, the horizon {horizon.slots}")
