"""The MILP (or its LP relaxation) and its successive solves: energy, then peak, then cost."""

from __future__ import annotations

import time

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

from smartcharging.schedule.model import EPSILON, Car, Horizon, Path, Site, base_load, departure_slot, need_kwh

# Relative slack when one stage's optimum becomes the next stage's constraint: tight for the energy (a
# car's kWh is what a driver sees), looser for the peak, which keeps the cost stage quick for HiGHS.
TOLERANCE = {"energy": 1e-7, "peak": 1e-4, "cost": 0.0}
# HiGHS stops a stage this close to its optimum: none for the energy, which drivers see; 1 % for the
# peak and the cost, where proving the last fraction costs seconds (symmetry among the cars), not value.
MIP_GAP = {"energy": 1e-6, "peak": 1e-2, "cost": 1e-2}


class Problem:
    """The MILP's matrices, built once and re-solved with each stage's objective and fixed optimum."""

    def __init__(
        self, site: Site, cars: tuple[Car, ...], horizon: Horizon, relax: bool, pinned: np.ndarray | None = None
    ) -> None:
        self.site, self.cars, self.horizon, self.relax, self.pinned = site, cars, horizon, relax, pinned
        self.complete = False  # every stage solved, set by `solve`
        self.cells: list[tuple[int, int]] = []  # (car, slot) of each power variable
        binaried: list[int] = []
        for i, car in enumerate(cars):
            if need_kwh(car, horizon) <= EPSILON:
                continue
            for t in range(max(car.available_from, 0), departure_slot(car, horizon)):
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
        base = base_load(self.site, self.horizon)
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
        needs = np.array([need_kwh(car, self.horizon) for car in self.cars])
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
            self.complete = True
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
        self.complete = True
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
