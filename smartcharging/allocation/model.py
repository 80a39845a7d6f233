"""What a re-plan is given: the site's fuse tree, its EVSEs and its uncontrolled loads, as frozen values.

Currents are in A per phase, powers in kW. Site phases are named L1, L2, L3 and mean the same conductor on
every circuit of a site (the fuse tree does not rotate phases; an EVSE may).
"""

from dataclasses import dataclass, field
from enum import Enum

PHASES = ("L1", "L2", "L3")
AC_MIN_CURRENT_A = 6.0  # IEC 61851-1: below 6 A a car pauses; a lower limit is no charging current


class Kind(Enum):
    AC = "AC"
    DC = "DC"


@dataclass(frozen=True)
class Circuit:
    """A fuse or breaker: the site's grid connection (no parent), a feeder, a station's supply.

    `limit_a` is per site phase (L1, L2, L3); `limit_kw` caps the sum over the phases. Either may be None.
    """

    id: str
    parent: str | None = None
    limit_a: tuple[float, float, float] | None = None
    limit_kw: float | None = None


@dataclass(frozen=True)
class Evse:
    """One EVSE and the session on it.

    AC: `phases` wired (1 or 3), `rotation` the site phases its own L1, L2, L3 are on (a single-phase EVSE
    wired to L2 has rotation ("L2", "L3", "L1") and uses only the first), `min_a`/`max_a` per phase.
    DC: `min_kw`/`max_kw` at the grid, drawn evenly over the three phases (see AllocationSettings.voltage_v).

    `controllable` False (no smart charging, a rejected profile, offline): it is taken at its maximum.
    `wants_power` False (no car, or a car that is full): it is given nothing.
    `under_drawing` is the caller's observation that it has drawn less than its last limit for the
    observation window; `measured_a` (AC, per EVSE phase) or `measured_kw` (DC) says how much it draws.
    """

    id: str
    circuit: str
    kind: Kind = Kind.AC
    phases: int = 3
    rotation: tuple[str, str, str] = ("L1", "L2", "L3")
    min_a: float = AC_MIN_CURRENT_A
    max_a: float = 32.0
    min_kw: float = 0.0
    max_kw: float = 0.0
    controllable: bool = True
    wants_power: bool = True
    priority: int = 0
    under_drawing: bool = False
    measured_a: tuple[float, float, float] | None = None
    measured_kw: float | None = None

    def site_phases(self) -> tuple[str, ...]:
        """The site phases it draws on: one or three for AC, all three for DC."""
        if self.kind is Kind.DC:
            return PHASES
        return self.rotation[: self.phases]


@dataclass(frozen=True)
class Load:
    """An uncontrolled load on a circuit (the building, a heat pump): its maximum or its measured draw
    per site phase, whichever the caller trusts; it is taken off every circuit above it."""

    id: str
    circuit: str
    draw_a: tuple[float, float, float]


@dataclass(frozen=True)
class AllocationSettings:
    """`voltage_v`: nominal phase-to-neutral voltage, for kW limits and DC EVSEs (P = 3 × V × I).
    `buffer_a`: headroom per phase above an under-drawing EVSE's measured draw, so a car that ramps up
    is not held back before the next observation. `step_a`/`step_kw`: limits are rounded down to these
    steps (OCPP 1.6 takes one decimal), never below the EVSE's minimum; 0 keeps them exact."""

    voltage_v: float = 230.0
    buffer_a: float = 2.0
    step_a: float = 0.1
    step_kw: float = 0.1


@dataclass(frozen=True)
class Site:
    circuits: tuple[Circuit, ...]
    evses: tuple[Evse, ...] = ()
    loads: tuple[Load, ...] = ()
    settings: AllocationSettings = field(default_factory=AllocationSettings)


class InvalidSite(ValueError):
    """The site cannot be planned as given: a broken tree, an unknown circuit, an impossible EVSE."""


def validate(site: Site) -> None:
    """Refuse what would make the plan meaningless rather than quietly unsafe."""
    parents = {c.id: c.parent for c in site.circuits}
    if len(parents) != len(site.circuits):
        raise InvalidSite("circuit ids are not unique")
    for circuit in site.circuits:
        _check_ancestry(circuit.id, parents)
    if len({e.id for e in site.evses}) != len(site.evses):
        raise InvalidSite("EVSE ids are not unique")
    if len({load.id for load in site.loads}) != len(site.loads):
        raise InvalidSite("load ids are not unique")
    hung: list[tuple[str, str]] = [(e.id, e.circuit) for e in site.evses] + [(x.id, x.circuit) for x in site.loads]
    for item, circuit_id in hung:
        if circuit_id not in parents:
            raise InvalidSite(f"{item} hangs on unknown circuit {circuit_id!r}")
    for evse in site.evses:
        _check_evse(evse)


def _check_ancestry(circuit_id: str, parents: dict[str, str | None]) -> None:
    seen = {circuit_id}
    parent = parents[circuit_id]
    while parent is not None:
        if parent not in parents:
            raise InvalidSite(f"circuit {circuit_id!r} has unknown parent {parent!r}")
        if parent in seen:
            raise InvalidSite(f"circuit {circuit_id!r} is in a loop")
        seen.add(parent)
        parent = parents[parent]


def _check_evse(evse: Evse) -> None:
    if evse.kind is Kind.DC:
        if not 0 <= evse.min_kw <= evse.max_kw or evse.max_kw <= 0:
            raise InvalidSite(f"{evse.id}: DC needs 0 <= min_kw <= max_kw and max_kw > 0")
        return
    if evse.phases not in (1, 3):
        raise InvalidSite(f"{evse.id}: AC EVSEs are wired on 1 or 3 phases")
    if sorted(evse.rotation) != list(PHASES):
        raise InvalidSite(f"{evse.id}: rotation {evse.rotation} is not an order of L1, L2, L3")
    if not AC_MIN_CURRENT_A <= evse.min_a <= evse.max_a:
        raise InvalidSite(f"{evse.id}: AC needs {AC_MIN_CURRENT_A} A <= min_a <= max_a")
