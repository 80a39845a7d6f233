"""The fallback rule, for when the solver has no plan in time."""

from __future__ import annotations

import numpy as np

from smartcharging.schedule.model import EPSILON, Car, Horizon, Site, departure_slot, need_kwh


def earliest_departure_first(site: Site, cars: tuple[Car, ...], horizon: Horizon) -> np.ndarray:
    """The fallback rule: slot by slot, the cars still needing energy in order of departure (higher
    priority first among equals), each given as much as it can take of what the site has left. A car
    whose minimum no longer fits waits for the next slot. It ignores prices and does not flatten the
    peak, but it is always within the limits and takes no time."""
    dt = horizon.hours_per_slot
    kw = np.zeros((len(cars), horizon.slots))
    remaining = [need_kwh(car, horizon) for car in cars]
    order = sorted(range(len(cars)), key=lambda i: (departure_slot(cars[i], horizon), -cars[i].priority))
    for t in range(horizon.slots):
        left = max(site.limit_kw[t], 0.0)
        for i in order:
            car = cars[i]
            if not car.available_from <= t < departure_slot(car, horizon) or remaining[i] <= EPSILON:
                continue
            give = min(car.max_kw, remaining[i] / dt, left)
            if give < max(car.min_kw, EPSILON):
                continue
            kw[i, t] = give
            remaining[i] -= give * dt
            left -= give
    return kw
