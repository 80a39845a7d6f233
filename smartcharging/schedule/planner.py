"""`plan`: the MILP, the LP relaxation and the fallback, within the time limit, and the plan checked."""

from __future__ import annotations

import time

import numpy as np

from smartcharging.schedule.fallback import earliest_departure_first
from smartcharging.schedule.model import (
    DAY,
    EPSILON,
    Car,
    CarPlan,
    Horizon,
    Path,
    Plan,
    Site,
    base_load,
    check,
    departure_slot,
    need_kwh,
)
from smartcharging.schedule.stages import Problem

MILP_SHARE = 0.6  # of the time limit, for the MILP; the LP relaxation, after it, needs a fraction of a second
SHORTFALL_KWH = 1e-3  # a watt-hour: less is the solver's rounding, not a car left short


def plan(
    site: Site,
    cars: tuple[Car, ...] | list[Car],
    *,
    horizon: Horizon = DAY,
    time_limit_s: float = 2.0,
    relax: bool = False,
) -> Plan:
    """Plan the horizon for these cars within `time_limit_s` of wall-clock time.

    The MILP gets `MILP_SHARE` of the time; when it has not solved every stage by then, the LP
    relaxation (below) gets the rest and the better of the two plans (`_rank`) is taken; when neither
    has a plan, `earliest_departure_first` plans. `relax=True` skips the MILP,
    for sites known to be too large for it: the stages are solved as the LP relaxation (no binaries),
    then once more as a MILP whose binaries are fixed where the LP left a car at 0 or at least its
    minimum, so only the slots it planned below a minimum are decided by HiGHS (a small MILP, always
    feasible: all of them at 0 is a solution). If that second solve is late, those slots are set to 0,
    which only lowers the draw, so the plan stays within every limit."""
    check(site, horizon)
    cars = tuple(cars)
    started = time.monotonic()
    limit = max(time_limit_s, 0.0)
    try:
        kw: np.ndarray | None = None
        path: Path = "fallback"
        reason, complete = "", False
        if not relax:
            exact = Problem(site, cars, horizon, relax=False)
            kw, path, reason = exact.solve(started + MILP_SHARE * limit)
            complete = exact.complete
        if not complete:
            lp, lp_path, why = _relaxed(site, cars, horizon, started + limit)
            if lp is not None and (kw is None or _rank(lp, site, cars, horizon) > _rank(kw, site, cars, horizon)):
                kw, path, reason = lp, lp_path, f"MILP: {reason}; LP: {why}" if reason else why
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


def _rank(kw: np.ndarray, site: Site, cars: tuple[Car, ...], horizon: Horizon) -> tuple[float, float, float]:
    """The lexicographic objective of a plan, larger is better: weighted energy, then -peak, then -cost
    (energy and peak rounded to a watt-hour and a watt, so that noise does not decide)."""
    energy = sum(car.priority * float(row.sum()) for car, row in zip(cars, kw, strict=True)) * horizon.hours_per_slot
    site_kw = kw.sum(axis=0)
    prices = np.zeros(horizon.slots) if site.price_per_kwh is None else np.asarray(site.price_per_kwh)
    peak = float((site_kw + base_load(site, horizon)).max(initial=0.0))
    return round(energy, 3), -round(peak, 3), -float((site_kw * prices).sum())


def _relaxed(
    site: Site, cars: tuple[Car, ...], horizon: Horizon, deadline: float
) -> tuple[np.ndarray | None, Path, str]:
    """The LP relaxation's plan, rounded (see `plan`); None when even the LP has no plan in time."""
    kw, path, reason = Problem(site, cars, horizon, relax=True).solve(deadline)
    if kw is None:
        return None, path, reason
    kw, reason = _round(kw, site, cars, horizon, deadline, reason)
    return kw, path, reason


def _round(
    lp: np.ndarray, site: Site, cars: tuple[Car, ...], horizon: Horizon, deadline: float, reason: str
) -> tuple[np.ndarray, str]:
    """The LP plan with its draws below a car's minimum decided by the small MILP (see `plan`)."""
    mins = np.array([[car.min_kw] for car in cars])
    if not ((lp > EPSILON) & (lp < mins - EPSILON)).any():
        return lp, reason
    rounded, path, why = Problem(site, cars, horizon, relax=False, pinned=lp).solve(deadline)
    if rounded is None or path == "fallback":
        return np.where(lp < mins - EPSILON, 0.0, lp), f"{reason}; rounding: {why}, draws below a minimum set to 0"
    return rounded, f"{reason}; draws below a minimum rounded by a MILP: {why}"


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
        outside[max(car.available_from, 0) : departure_slot(car, horizon)] = False
        if (row[outside] > 0).any():
            return f"car {car.id} planned outside its availability"
        if float(row.sum()) * horizon.hours_per_slot > need_kwh(car, horizon) + EPSILON:
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
    site_kw = kw.sum(axis=0) + base_load(site, horizon)
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
