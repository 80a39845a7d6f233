"""Max-min fair sharing (progressive filling) over linear capacity constraints, with minimums.

The planner reduces a site to this: EVSE i gets x_i in one unit (A per phase; see the package docstring),
between lo_i and hi_i, and every constraint c says sum_i coef_ci * x_i <= room_c with coef >= 0. The
functions here know nothing of circuits or phases.
"""

import math
from dataclasses import dataclass, field

EPS = 1e-9


@dataclass
class Constraint:
    """`room` is what is left of the capacity as the plan proceeds; `members` maps EVSE index to coef."""

    key: tuple[str, str]  # (circuit id, "L1" | "L2" | "L3" | "kW"), for reasons
    room: float
    members: dict[int, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Refusal:
    """Why a minimum did not fit: the first constraint on the EVSE's path without room for it."""

    key: tuple[str, str]
    room: float
    need: float


def admit(
    order: list[int], lo: list[float], constraints: list[Constraint], path: list[list[int]]
) -> tuple[list[int], dict[int, Refusal]]:
    """Reserve each EVSE's minimum in the given order where it fits on every constraint of its path.

    Greedy: an EVSE whose minimum no longer fits waits, and the ones after it may still fit where it
    did not. The rooms left are net of the reserved minimums."""
    admitted: list[int] = []
    refused: dict[int, Refusal] = {}
    for i in order:
        short = next(
            (c for c in path[i] if constraints[c].room + EPS < constraints[c].members[i] * lo[i]),
            None,
        )
        if short is not None:
            refused[i] = Refusal(constraints[short].key, constraints[short].room, constraints[short].members[i] * lo[i])
            continue
        for c in path[i]:
            constraints[c].room -= constraints[c].members[i] * lo[i]
        admitted.append(i)
    return admitted, refused


def fill(
    admitted: list[int], lo: list[float], hi: list[float], constraints: list[Constraint], path: list[list[int]]
) -> tuple[dict[int, float], dict[int, tuple[str, str] | None]]:
    """Raise one water level L for the admitted EVSEs, each at clamp(L, lo, hi), until a constraint is full
    or the EVSE is at hi; freeze those and go on with the rest. Minimums must already be reserved
    (`admit`). Returns x per EVSE and the constraint that stopped it (None: it reached hi)."""
    active: dict[int, dict[int, float]] = {}  # constraint -> its members still rising
    for i in admitted:
        for c in path[i]:
            active.setdefault(c, {})[i] = constraints[c].members[i]
    rising = set(admitted)
    level = {c: _level(members, lo, hi, constraints[c].room) for c, members in active.items()}
    x: dict[int, float] = {}
    stopped_by: dict[int, tuple[str, str] | None] = {}
    while rising:
        top = min(level.values(), default=math.inf)
        slack = EPS * max(1.0, abs(top)) if math.isfinite(top) else 0.0
        tight = [c for c, at in level.items() if at <= top + slack]
        frozen: dict[int, tuple[str, str] | None] = {}
        for c in sorted(tight):
            for i in sorted(active[c]):
                frozen.setdefault(i, constraints[c].key)
        for i in sorted(rising):
            if hi[i] <= top + EPS and i not in frozen:
                frozen[i] = None
        touched: set[int] = set()
        for i, key in frozen.items():
            x[i] = min(max(top, lo[i]), hi[i])
            stopped_by[i] = key if x[i] < hi[i] - EPS else None
            rising.discard(i)
            for c in path[i]:
                constraints[c].room -= constraints[c].members[i] * (x[i] - lo[i])
                active[c].pop(i, None)
                touched.add(c)
        for c in touched:
            if active[c]:
                level[c] = max(top, _level(active[c], lo, hi, constraints[c].room))
            else:
                level.pop(c, None)
    return x, stopped_by


def _level(members: dict[int, float], lo: list[float], hi: list[float], room: float) -> float:
    """The highest L at which sum coef * (clamp(L, lo, hi) - lo) over the members still fits in `room`.

    That sum is piecewise linear in L, its slope rising by coef at each lo and falling at each hi:
    walk the breakpoints until it passes `room`."""
    if room <= EPS:
        return -math.inf
    events = sorted([(lo[i], coef) for i, coef in members.items()] + [(hi[i], -coef) for i, coef in members.items()])
    used, slope, at = 0.0, 0.0, events[0][0]
    for point, delta in events:
        step = slope * (point - at)
        if used + step > room:
            return at + (room - used) / slope
        used, at, slope = used + step, point, slope + delta
    return math.inf
