"""What a re-plan decides: a limit per EVSE with why, and the planned load of every circuit's phases."""

from dataclasses import dataclass
from enum import Enum


class Status(Enum):
    CHARGING = "charging"  # given at least its minimum
    WAITING = "waiting"  # a car wants power but its minimum does not fit: limit 0, `reason` says where
    IDLE = "idle"  # no car, or a car that wants nothing: limit 0
    UNCONTROLLED = "uncontrolled"  # not controllable: assumed at its maximum, no limit to send


@dataclass(frozen=True)
class EvseAllocation:
    """`limit_a` (AC, the same on every wired phase) or `limit_kw` (DC) is what to send; `power_kw` is the
    planned draw at the grid for both. `reason` is for the driver and the operator."""

    evse_id: str
    status: Status
    limit_a: float | None
    limit_kw: float | None
    power_kw: float
    reason: str


@dataclass(frozen=True)
class CircuitLoad:
    """The planned draw on a circuit's phases, uncontrolled loads included. `overloaded` is True when what
    the plan cannot control (loads, uncontrollable EVSEs) is over a limit by itself."""

    circuit_id: str
    load_a: tuple[float, float, float]
    power_kw: float
    limit_a: tuple[float, float, float] | None
    limit_kw: float | None
    overloaded: bool


@dataclass(frozen=True)
class Allocation:
    evses: tuple[EvseAllocation, ...]  # by EVSE id
    circuits: tuple[CircuitLoad, ...]  # by circuit id

    def evse(self, evse_id: str) -> EvseAllocation:
        return next(e for e in self.evses if e.evse_id == evse_id)

    def circuit(self, circuit_id: str) -> CircuitLoad:
        return next(c for c in self.circuits if c.circuit_id == circuit_id)
