"""The schedule planner: a site's next hours in fixed slots, for cars whose departure and need are known.

Pure Python (numpy, scipy), no Django and no I/O, so it can run inside a Celery task, a benchmark or a
test alike. The plan is a mixed-integer linear programme solved with HiGHS (`scipy.optimize.milp`):

* variables: p[c, t] ≥ 0, the kW car c draws in slot t, created only for the slots the car is there
  (so it cannot charge outside its availability); where a car has a minimum power, a binary z[c, t]
  with min·z ≤ p ≤ max·z (0, or at least its minimum); one variable P for the site's peak;
* constraints: Σ_c p[c, t] ≤ limit[t] and ≤ P in every slot; Σ_t p[c, t]·Δt ≤ need_c per car.

The objective is lexicographic and solved as **successive solves**, not as one weighted sum: (1)
maximise the priority-weighted delivered energy, (2) with that optimum fixed (less a tolerance of
`TOLERANCE`) minimise the peak, (3) with the peak fixed minimise the energy cost. A single
weighted objective would need weights far enough apart to keep the order (kWh against kW against
currency, whose ranges differ per site and day), which either breaks the order on some input or makes
the problem badly conditioned for the solver; three small solves keep each stage exact.

The wall-clock limit covers all stages. When the energy stage does not finish with an optimum (late,
failed, infeasible), the plan comes from `earliest_departure_first`, the fallback rule; when a later
stage is late, the plan of the stage before stands (it already gives every car its energy). `Plan.path`
and `Plan.reason` say which of these produced the plan. On large sites the MILP's peak stage is often
late (HiGHS finds no incumbent for 30 cars × 30 slots in seconds); `relax=True` (path "lp") solves the
LP relaxation and rounds it with a much smaller MILP instead, in a fraction of a second.

A lone car on a site with no `base_kw` is spread flat over its stay: the peak comes before the cost.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

# Relative slack when one stage's optimum becomes the next stage's constraint: tight for the energy (a
# car's kWh is what a driver sees), looser for the peak, which keeps the cost stage quick for HiGHS.
TOLERANCE = {"energy": 1e-7, "peak": 1e-4, "cost": 0.0}
# HiGHS stops a stage this close to its optimum: none for the energy, which drivers see; 1 % for the
# peak and the cost, where proving the last fraction costs seconds (symmetry among the cars), not value.
MIP_GAP = {"energy": 1e-6, "peak": 1e-2, "cost": 1e-2}
SHORTFALL_KWH = 1e-3  # a watt-hour: less is the solver's rounding, not a car left short
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
    car_id: str
    kw: tuple[float, ...]  # per slot; kw[0] is what to send now
    delivered_kwh: float
    shortfall_kwh: float  # need less delivered; 0 for a car with no stated need


@dataclass(frozen=True)
class Plan:
    cars: tuple[CarPlan, ...]
    site_kw: tuple[float, ...]
    peak_kw: float
    cost: float
    path: Path
    reason: str
    solve_seconds: float


def plan(
    site: Site,
    cars: tuple[Car, ...] | list[Car],
    *,
    horizon: Horizon = Horizon(),
    time_limit_s: float = 2.0,
    relax: bool = False,
) -> Plan:
    """Plan the horizon for these cars within `time_limit_s` of wall-clock time.

    `relax=True` is for sites too large for the MILP in time: the stages are solved as the LP
    relaxation (no binaries), then once more as a MILP whose binaries are fixed where the LP left a car
    at 0 or at least its minimum, so only the slots it planned below a minimum are decided by HiGHS (a
    small MILP, always feasible: all of them at 0 is a solution). If that second solve is late, those
    slots are set to 0, which only lowers the draw, so the plan stays within every limit."""
    _check(site, horizon)
    cars = tuple(cars)
    started = time.monotonic()
    deadline = started + max(time_limit_s, 0.0)
    try:
        kw, path, reason = _Problem(site, cars, horizon, relax=relax).solve(deadline)
        if relax and kw is not None:
            kw, reason = _round(kw, site, cars, horizon, deadline, reason)
    except ValueError as error:  # scipy refuses what HiGHS cannot take; the fallback still plans
        kw, path, reason = None, "fallback", f"solver error: {error}"
    if kw is not None:
        kw = _tidy(kw, cars)
        violation = _violation(kw, site, cars, horizon)
        if violation:
            kw, path, reason = None, "fallback", f"solver plan rejected: {violation}"
    if kw is None:
        kw = earliest_departure_first(site, cars, horizon)
    return _result(kw, site, cars, horizon, path, reason, time.monotonic() - started)


def _round(
    lp: np.ndarray, site: Site, cars: tuple[Car, ...], horizon: Horizon, deadline: float, reason: str
) -> tuple[np.ndarray, str]:
    """The LP plan with its draws below a car's minimum decided by the small MILP (see `plan`)."""
    mins = np.array([[car.min_kw] for car in cars])
    if not ((lp > EPSILON) & (lp < mins - EPSILON)).any():
        return lp, reason
    rounded, path, why = _Problem(site, cars, horizon, relax=False, pinned=lp).solve(deadline)
    if rounded is None or path == "fallback":
        return np.where(lp < mins - EPSILON, 0.0, lp), f"{reason}; rounding: {why}, draws below a minimum set to 0"
    return rounded, f"{reason}; draws below a minimum rounded by a MILP: {why}"


def earliest_departure_first(site: Site, cars: tuple[Car, ...], horizon: Horizon) -> np.ndarray:
    """The fallback rule: slot by slot, the cars still needing energy in order of departure (higher
    priority first among equals), each given as much as it can take of what the site has left. A car
    whose minimum no longer fits waits for the next slot. It ignores prices and does not flatten the
    peak, but it is always within the limits and takes no time."""
    dt = horizon.hours_per_slot
    kw = np.zeros((len(cars), horizon.slots))
    remaining = [_need(car, horizon) for car in cars]
    order = sorted(range(len(cars)), key=lambda i: (_departure(cars[i], horizon), -cars[i].priority))
    for t in range(horizon.slots):
        left = max(site.limit_kw[t], 0.0)
        for i in order:
            car = cars[i]
            if not car.available_from <= t < _departure(car, horizon) or remaining[i] <= EPSILON:
                continue
            give = min(car.max_kw, remaining[i] / dt, left)
            if give < max(car.min_kw, EPSILON):
                continue
            kw[i, t] = give
            remaining[i] -= give * dt
            left -= give
    return kw


class _Problem:
    """The MILP's matrices, built once and re-solved with each stage's objective and fixed optimum."""

    def __init__(
        self, site: Site, cars: tuple[Car, ...], horizon: Horizon, relax: bool, pinned: np.ndarray | None = None
    ) -> None:
        self.site, self.cars, self.horizon, self.relax, self.pinned = site, cars, horizon, relax, pinned
        self.cells: list[tuple[int, int]] = []  # (car, slot) of each power variable
        binaried: list[int] = []
        for i, car in enumerate(cars):
            if _need(car, horizon) <= EPSILON:
                continue
            for t in range(max(car.available_from, 0), _departure(car, horizon)):
                if car.min_kw > EPSILON and not relax:
                    binaried.append(len(self.cells))
                self.cells.append((i, t))
        n_p, n_z = len(self.cells), len(binaried)
        self.n_p, self.peak, self.size = n_p, n_p + n_z, n_p + n_z + 1
        self.binaried = binaried
        self.dt = horizon.hours_per_slot
        self.rows = self._constraints()

    def _constraints(self) -> list[LinearConstraint]:
        rows: list[LinearConstraint] = []
        dt, n_p = self.dt, self.n_p
        slot_of = np.array([t for _, t in self.cells], dtype=int)
        car_of = np.array([i for i, _ in self.cells], dtype=int)
        var = np.arange(n_p)
        # per slot: Σ p ≤ limit, and base + Σ p − P ≤ 0
        slots = self.horizon.slots
        base = _base(self.site, self.horizon)
        limit = np.maximum(np.asarray(self.site.limit_kw, dtype=float), 0.0)
        rows.append(
            LinearConstraint(coo_array((np.ones(n_p), (slot_of, var)), shape=(slots, self.size)), -np.inf, limit)
        )
        peak_rows = coo_array(
            (
                np.r_[np.ones(n_p), -np.ones(slots)],
                (np.r_[slot_of, np.arange(slots)], np.r_[var, np.full(slots, self.peak)]),
            ),
            shape=(slots, self.size),
        )
        rows.append(LinearConstraint(peak_rows, -np.inf, -base))
        # per car: Σ p·Δt ≤ need
        needs = np.array([_need(car, self.horizon) for car in self.cars])
        rows.append(
            LinearConstraint(
                coo_array((np.full(n_p, dt), (car_of, var)), shape=(len(self.cars), self.size)), -np.inf, needs
            )
        )
        # min·z ≤ p ≤ max·z for the cars with a minimum
        if self.binaried:
            k = len(self.binaried)
            cells = np.array(self.binaried)
            z = self.n_p + np.arange(k)
            lo = np.array([self.cars[car_of[j]].min_kw for j in cells])
            hi = np.array([self.cars[car_of[j]].max_kw for j in cells])
            at = (np.r_[np.arange(k), np.arange(k)], np.r_[cells, z])
            rows.append(LinearConstraint(coo_array((np.r_[np.ones(k), -lo], at), shape=(k, self.size)), 0.0, np.inf))
            rows.append(LinearConstraint(coo_array((np.r_[np.ones(k), -hi], at), shape=(k, self.size)), -np.inf, 0.0))
        return rows

    def _objectives(self) -> list[tuple[str, np.ndarray]]:
        energy = np.zeros(self.size)
        cost = np.zeros(self.size)
        prices = self.site.price_per_kwh
        for j, (i, t) in enumerate(self.cells):
            energy[j] = -self.cars[i].priority * self.dt  # milp minimises: the weighted energy, negated
            cost[j] = (prices[t] if prices is not None else 0.0) * self.dt
        peak = np.zeros(self.size)
        peak[self.peak] = 1.0
        return [("energy", energy), ("peak", peak), ("cost", cost)]

    def solve(self, deadline: float) -> tuple[np.ndarray | None, Path, str]:
        """Run the stages; the plan of the last stage solved, or None when the energy stage fails."""
        path: Path = "lp" if self.relax else "milp"
        if not self.cells:
            return np.zeros((len(self.cars), self.horizon.slots)), path, "nothing to charge"
        integrality = np.zeros(self.size)
        integrality[self.n_p : self.peak] = 1
        upper = np.r_[[self.cars[i].max_kw for i, _ in self.cells], np.ones(self.peak - self.n_p), np.inf]
        lower = np.zeros(self.size)
        self._pin(lower, upper)
        bounds = Bounds(lower, upper)
        rows = list(self.rows)
        best: np.ndarray | None = None
        for name, c in self._objectives():
            if not c.any():
                continue  # no prices: nothing to minimise in the cost stage
            left = deadline - time.monotonic()
            if left <= 0:
                return self._or_fallback(best, path, f"time limit reached before the {name} stage")
            options = {"time_limit": left, "mip_rel_gap": MIP_GAP[name]}
            result = milp(c, integrality=integrality, bounds=bounds, constraints=rows, options=options)
            if result.status != 0 or result.x is None:
                return self._or_fallback(best, path, f"{name} stage: {result.message}")
            best = result.x
            value = float(c @ result.x)
            rows.append(LinearConstraint(c.reshape(1, -1), -np.inf, value + TOLERANCE[name] * max(1.0, abs(value))))
        assert best is not None  # the peak stage always runs
        return self._grid(best), path, "energy, peak and cost stages solved (peak and cost within a MIP gap of 1 %)"

    def _pin(self, lower: np.ndarray, upper: np.ndarray) -> None:
        """Fix the binaries where the LP plan being rounded has a car at 0 (off) or at its minimum or
        more (on); only the rest stay free."""
        if self.pinned is None:
            return
        for k, j in enumerate(self.binaried):
            i, t = self.cells[j]
            if self.pinned[i, t] >= self.cars[i].min_kw - EPSILON:
                lower[self.n_p + k] = 1
            elif self.pinned[i, t] <= EPSILON:
                upper[self.n_p + k] = upper[j] = 0

    def _or_fallback(self, best: np.ndarray | None, path: Path, why: str) -> tuple[np.ndarray | None, Path, str]:
        if best is None:
            return None, "fallback", why
        return self._grid(best), path, f"{why}; the previous stage's plan stands"

    def _grid(self, x: np.ndarray) -> np.ndarray:
        kw = np.zeros((len(self.cars), self.horizon.slots))
        for j, (i, t) in enumerate(self.cells):
            kw[i, t] = x[j]
        return kw


def _tidy(kw: np.ndarray, cars: tuple[Car, ...]) -> np.ndarray:
    """Remove the solver's numerical noise: near-zero draws become 0, none above a car's maximum, and
    one a hair below a car's minimum is lifted to it."""
    kw = np.where(kw < EPSILON, 0.0, kw)
    for i, car in enumerate(cars):
        row = np.minimum(kw[i], car.max_kw)
        floor = car.min_kw - EPSILON
        kw[i] = np.where(row < floor, 0.0, np.maximum(row, np.where(row > 0, car.min_kw, 0.0)))
    return kw


def _violation(kw: np.ndarray, site: Site, cars: tuple[Car, ...], horizon: Horizon) -> str:
    """What in a plan breaks a limit (an empty string when nothing does); the last guard before a
    solver's plan is sent."""
    over = kw.sum(axis=0) - np.maximum(np.asarray(site.limit_kw), 0.0)
    if (over > EPSILON).any():
        return f"site limit exceeded by {over.max():.6f} kW"
    for i, car in enumerate(cars):
        row = kw[i]
        outside = np.ones(horizon.slots, dtype=bool)
        outside[max(car.available_from, 0) : _departure(car, horizon)] = False
        if (row[outside] > 0).any():
            return f"car {car.id} planned outside its availability"
        if float(row.sum()) * horizon.hours_per_slot > _need(car, horizon) + EPSILON:
            return f"car {car.id} planned above its need"
    return ""


def _result(
    kw: np.ndarray, site: Site, cars: tuple[Car, ...], horizon: Horizon, path: Path, reason: str, seconds: float
) -> Plan:
    dt = horizon.hours_per_slot
    plans = []
    for i, car in enumerate(cars):
        delivered = float(kw[i].sum()) * dt
        shortfall = max(car.energy_kwh - delivered, 0.0) if car.energy_kwh is not None else 0.0
        plans.append(
            CarPlan(car.id, tuple(float(v) for v in kw[i]), delivered, shortfall if shortfall > SHORTFALL_KWH else 0.0)
        )
    site_kw = kw.sum(axis=0) + _base(site, horizon)
    prices = np.asarray(site.price_per_kwh) if site.price_per_kwh is not None else np.zeros(horizon.slots)
    return Plan(
        cars=tuple(plans),
        site_kw=tuple(float(v) for v in site_kw),
        peak_kw=float(site_kw.max(initial=0.0)),
        cost=float((kw.sum(axis=0) * prices).sum() * dt),
        path=path,
        reason=reason,
        solve_seconds=seconds,
    )


def _departure(car: Car, horizon: Horizon) -> int:
    return horizon.slots if car.departure is None else min(car.departure, horizon.slots)


def _need(car: Car, horizon: Horizon) -> float:
    """The kWh to plan for: the stated need, or for a car without one all it could take while there."""
    slots = max(_departure(car, horizon) - max(car.available_from, 0), 0)
    most = car.max_kw * slots * horizon.hours_per_slot
    return most if car.energy_kwh is None else max(min(car.energy_kwh, most), 0.0)


def _base(site: Site, horizon: Horizon) -> np.ndarray:
    return np.zeros(horizon.slots) if site.base_kw is None else np.asarray(site.base_kw, dtype=float)


def _check(site: Site, horizon: Horizon) -> None:
    if len(site.limit_kw) != horizon.slots:
        raise ValueError(f"limit_kw has {len(site.limit_kw)} slots, the horizon {horizon.slots}")
    if site.price_per_kwh is not None and len(site.price_per_kwh) != horizon.slots:
        raise ValueError(f"price_per_kwh has {len(site.price_per_kwh)} slots, the horizon {horizon.slots}")
    if site.base_kw is not None and len(site.base_kw) != horizon.slots:
        raise ValueError(f"base_kw has {len(site.base_kw)} slots, the horizon {horizon.slots}")
