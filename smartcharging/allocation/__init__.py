"""Real-time allocation: how much each EVSE of a site may draw now, so that no fuse on the way trips.

Pure Python, no I/O: frozen values in (`Site`: circuits, EVSEs, uncontrolled loads, settings), a frozen
`Allocation` out (a limit and a reason per EVSE, the planned load of every circuit's phases). The caller
(a Celery task, the bench) gathers the inputs and sends the limits as charging profiles.

**The per-phase model.** A site's circuits form a tree (grid connection → feeders → stations); a circuit
may limit each site phase L1, L2, L3 in A and/or the sum in kW (P = V × ΣI at the nominal voltage,
230 V by default). An AC EVSE draws the same current on each phase it is wired to; its rotation says which
site phases those are, so a single-phase EVSE on L2 loads L2 only and a row of single-phase EVSEs on
rotated wiring spreads over the phases. A DC EVSE's kW (taken as grid-side power; a caller that knows the
rectifier's efficiency divides by it) is drawn evenly over three phases: I = P / (3 × V) on each. Every
quantity in the plan is therefore "A per phase used", and every limit of every circuit on an EVSE's path
is one linear constraint Σ coef × x ≤ room with coef ≥ 0 (1 for a phase it uses, phases × V / 1000 for a
kW limit). What the plan cannot control is taken off first: uncontrolled loads at the draw the caller
gives (their maximum or a measurement) and EVSEs that are not controllable (no smart charging, a rejected
profile, offline) at their maximum.

**Why water-filling.** Max-min fairness gives every car the same current unless a fuse or its own maximum
stops it, and then gives what it cannot take to the others: no car is starved to speed another up, and no
capacity a circuit allows is left unused while someone could still take it. It is the rule drivers and
operators can check by hand ("100 A over 10 cars: 10 A each") and it is computed exactly, without a solver:
one level L rises for all EVSEs (each at clamp(L, min, max)); when a constraint fills, the EVSEs on it
freeze at that level, when an EVSE reaches its maximum it freezes there, and the level goes on for the
rest (`waterfill.fill`). At most one round per EVSE; each round re-solves only the constraints the
frozen EVSEs were on. Nested circuits need nothing special: a feeder that is full stops its EVSEs while
the others go on rising against the site limit.

**Minimums.** A car below its minimum (AC: 6 A, IEC 61851) does not charge, so an EVSE gets 0 or at least
its minimum, never between. Before filling, each EVSE's minimum is reserved in order where it fits on
every constraint of its path (`waterfill.admit`); one that does not fit waits with limit 0 and a reason
naming the circuit and phase that lacks room, and its share goes to the others. Filling then starts from
the reserved minimums, so it can only add.

**Priorities.** Priority classes are served one after the other, highest first: a class is admitted and
filled against what the classes above left, so a lower class gets only what a higher one cannot use.
Within a class, admission goes by EVSE id; every other tie is simultaneous. Inputs are sorted by id
first, so the result does not depend on their order (to the bit).

**Under-drawing.** A car that has drawn less than its limit for the caller's observation window
(`Evse.under_drawing` with its measured draw) is held at that draw plus `buffer_a` (never below its
minimum): it can ramp up by the buffer at once and earns more at the next re-plan, when it no longer
under-draws; what it does not take goes to the others. Because its limit is lowered, not just
assumed, a car that ramps up cannot overload a fuse before the next re-plan.

Limits are rounded down to `step_a` / `step_kw` (never below the minimum) and the circuits' planned
loads are summed from the rounded limits, so the planned load is what the fuses carry if every car takes
all it is given.
"""

from smartcharging.allocation.model import (
    AC_MIN_CURRENT_A,
    PHASES,
    AllocationSettings,
    Circuit,
    Evse,
    InvalidSite,
    Kind,
    Load,
    Site,
)
from smartcharging.allocation.planner import allocate
from smartcharging.allocation.result import Allocation, CircuitLoad, EvseAllocation, Status

__all__ = [
    "AC_MIN_CURRENT_A",
    "PHASES",
    "Allocation",
    "AllocationSettings",
    "Circuit",
    "CircuitLoad",
    "Evse",
    "EvseAllocation",
    "InvalidSite",
    "Kind",
    "Load",
    "Site",
    "Status",
    "allocate",
]
