"""allocate(site): the fuse tree turned into per-phase constraints, priority classes admitted and filled in
turn, the result rounded and summed back onto the circuits. The rule itself is the package docstring."""

import math
from dataclasses import replace
from itertools import groupby

from smartcharging.allocation.model import PHASES, Circuit, Evse, Kind, Site, validate
from smartcharging.allocation.result import Allocation, CircuitLoad, EvseAllocation, Status
from smartcharging.allocation.waterfill import EPS, Constraint, Refusal, admit, fill


def allocate(site: Site) -> Allocation:
    """The limits to send and the load they plan, for one site at one moment. Raises InvalidSite."""
    validate(site)
    circuits = sorted(site.circuits, key=lambda c: c.id)
    evses = sorted(site.evses, key=lambda e: e.id)
    site = replace(site, loads=tuple(sorted(site.loads, key=lambda load: load.id)))  # sums in one order
    volts = site.settings.voltage_v
    ancestry = _ancestry(site)
    draws = [_fixed_draw(e, volts) for e in evses]  # A per site phase of what is not planned: max or 0
    planned = [e.controllable and e.wants_power for e in evses]
    lo = [_to_amps(e, e.min_a, e.min_kw, volts) for e in evses]
    hi = [_ceiling(e, site) for e in evses]

    constraints: list[Constraint] = []
    path: list[list[int]] = [[] for _ in evses]
    fixed: dict[tuple[str, str], float] = {}
    for circuit in circuits:
        below = [i for i, e in enumerate(evses) if circuit.id in ancestry[e.circuit]]
        loads = [load for load in site.loads if circuit.id in ancestry[load.circuit]]
        per_phase = [
            sum(load.draw_a[p] for load in loads) + sum(draws[i][p] for i in below) for p in range(len(PHASES))
        ]
        limits: list[tuple[str, float, float, dict[int, float]]] = []
        if circuit.limit_a is not None:
            for p, phase in enumerate(PHASES):
                users = {i: 1.0 for i in below if planned[i] and phase in evses[i].site_phases()}
                limits.append((phase, circuit.limit_a[p], per_phase[p], users))
        if circuit.limit_kw is not None:
            users = {i: len(evses[i].site_phases()) * volts / 1000 for i in below if planned[i]}
            limits.append(("kW", circuit.limit_kw, sum(per_phase) * volts / 1000, users))
        for name, limit, taken, users in limits:
            fixed[(circuit.id, name)] = taken
            for i in users:
                path[i].append(len(constraints))
            constraints.append(Constraint((circuit.id, name), limit - taken, users))

    x: dict[int, float] = {}
    stopped_by: dict[int, tuple[str, str] | None] = {}
    refused: dict[int, Refusal] = {}
    order = sorted((i for i in range(len(evses)) if planned[i]), key=lambda i: -evses[i].priority)
    for _, group in groupby(order, key=lambda i: evses[i].priority):
        admitted, waiting = admit(list(group), lo, constraints, path)
        refused.update(waiting)
        shares, stops = fill(admitted, lo, hi, constraints, path)
        x.update(shares)
        stopped_by.update(stops)

    results = tuple(_result(e, i, x, stopped_by, refused, site) for i, e in enumerate(evses))
    loads_by_circuit = _circuit_loads(site, circuits, evses, results, ancestry, fixed)
    return Allocation(evses=results, circuits=loads_by_circuit)


def _ancestry(site: Site) -> dict[str, set[str]]:
    """Each circuit with every circuit above it, itself included: an EVSE's draw passes them all."""
    parents = {c.id: c.parent for c in site.circuits}
    out: dict[str, set[str]] = {}
    for circuit_id in parents:
        chain: set[str] = set()
        at: str | None = circuit_id
        while at is not None:
            chain.add(at)
            at = parents[at]
        out[circuit_id] = chain
    return out


def _to_amps(evse: Evse, amps: float, kw: float, volts: float) -> float:
    """The common unit of the plan: A per phase used; a DC EVSE's kW spread over three phases."""
    return kw * 1000 / (3 * volts) if evse.kind is Kind.DC else amps


def _fixed_draw(evse: Evse, volts: float) -> list[float]:
    """A per site phase an EVSE draws that the plan cannot lower: its maximum when not controllable."""
    if evse.controllable:
        return [0.0, 0.0, 0.0]
    amps = _to_amps(evse, evse.max_a, evse.max_kw, volts)
    return [amps if phase in evse.site_phases() else 0.0 for phase in PHASES]


def _ceiling(evse: Evse, site: Site) -> float:
    """Its maximum, or, observed under-drawing, what it draws plus the buffer (never below its minimum)."""
    volts = site.settings.voltage_v
    top = _to_amps(evse, evse.max_a, evse.max_kw, volts)
    if evse.under_drawing:
        if evse.kind is Kind.DC and evse.measured_kw is not None:
            drawn = _to_amps(evse, 0.0, evse.measured_kw, volts)
        elif evse.kind is Kind.AC and evse.measured_a is not None:
            drawn = max(evse.measured_a[: evse.phases])
        else:
            return top
        top = min(top, max(_to_amps(evse, evse.min_a, evse.min_kw, volts), drawn + site.settings.buffer_a))
    return top


def _result(
    evse: Evse,
    i: int,
    x: dict[int, float],
    stopped_by: dict[int, tuple[str, str] | None],
    refused: dict[int, Refusal],
    site: Site,
) -> EvseAllocation:
    volts = site.settings.voltage_v
    if not evse.controllable:
        return _limited(evse, Status.UNCONTROLLED, None, volts, "not controllable: taken at its maximum")
    if not evse.wants_power:
        return _limited(evse, Status.IDLE, 0.0, volts, "no car wants power")
    if i in refused:
        return _limited(evse, Status.WAITING, 0.0, volts, _waiting_reason(refused[i]))
    share = x[i]
    if evse.kind is Kind.AC:
        limit = max(evse.min_a, _round_down(share, site.settings.step_a))
    else:
        limit = max(evse.min_kw, _round_down(share * 3 * volts / 1000, site.settings.step_kw))
    if limit <= 0:
        return _limited(evse, Status.WAITING, 0.0, volts, _full_reason(stopped_by[i]))
    return _limited(evse, Status.CHARGING, limit, volts, _charging_reason(evse, stopped_by[i]))


def _limited(evse: Evse, status: Status, limit: float | None, volts: float, reason: str) -> EvseAllocation:
    """The result for a limit in the EVSE's own unit (None: its maximum, as assumed of an uncontrolled one)."""
    if evse.kind is Kind.DC:
        kw = evse.max_kw if limit is None else limit
        return EvseAllocation(evse.id, status, None, None if limit is None else kw, kw, reason)
    amps = evse.max_a if limit is None else limit
    return EvseAllocation(evse.id, status, limit, None, amps * evse.phases * volts / 1000, reason)


def _round_down(value: float, step: float) -> float:
    if step <= 0:
        return value
    return round(math.floor(value / step + 1e-6) * step, 6)


def _where(key: tuple[str, str]) -> str:
    return f"circuit {key[0]} {key[1]}"


def _waiting_reason(refusal: Refusal) -> str:
    unit = "kW" if refusal.key[1] == "kW" else "A"
    return (
        f"waits for capacity: {_where(refusal.key)} has {max(0.0, refusal.room):.1f} {unit} free, "
        f"its minimum needs {refusal.need:.1f} {unit}"
    )


def _full_reason(key: tuple[str, str] | None) -> str:
    return "waits for capacity: " + (f"{_where(key)} is full" if key else "no room")


def _charging_reason(evse: Evse, key: tuple[str, str] | None) -> str:
    if key is not None:
        return f"fair share of {_where(key)}"
    if evse.under_drawing:
        return "draws less than it was given: held at its draw plus the buffer"
    return "at its maximum"


def _circuit_loads(
    site: Site,
    circuits: list[Circuit],
    evses: list[Evse],
    results: tuple[EvseAllocation, ...],
    ancestry: dict[str, set[str]],
    fixed: dict[tuple[str, str], float],
) -> tuple[CircuitLoad, ...]:
    """Every circuit's phases summed from the rounded limits: what the fuses will carry if cars take it all."""
    volts = site.settings.voltage_v
    draw = [_planned_draw(e, r, volts) for e, r in zip(evses, results)]
    out = []
    for circuit in circuits:
        phases = [0.0, 0.0, 0.0]
        for load in site.loads:
            if circuit.id in ancestry[load.circuit]:
                phases = [a + b for a, b in zip(phases, load.draw_a)]
        for e, d in zip(evses, draw):
            if circuit.id in ancestry[e.circuit]:
                phases = [a + b for a, b in zip(phases, d)]
        over = any(fixed[(circuit.id, name)] > limit + EPS for name, limit in _limits(circuit))
        load_a = (phases[0], phases[1], phases[2])
        out.append(CircuitLoad(circuit.id, load_a, sum(phases) * volts / 1000, circuit.limit_a, circuit.limit_kw, over))
    return tuple(out)


def _limits(circuit: Circuit) -> list[tuple[str, float]]:
    named = list(zip(PHASES, circuit.limit_a)) if circuit.limit_a is not None else []
    return named + ([("kW", circuit.limit_kw)] if circuit.limit_kw is not None else [])


def _planned_draw(evse: Evse, result: EvseAllocation, volts: float) -> list[float]:
    amps = _to_amps(evse, result.limit_a or 0.0, result.limit_kw or 0.0, volts)
    if result.status is Status.UNCONTROLLED:
        amps = _to_amps(evse, evse.max_a, evse.max_kw, volts)
    return [amps if phase in evse.site_phases() else 0.0 for phase in PHASES]
