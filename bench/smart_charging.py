"""Smart charging benchmark (issue 13), by section.

`--section allocation`: how long one real-time re-plan (smartcharging.allocation.allocate) takes for
10, 100 and 500 EVSEs on a realistic fuse tree (aim: 500 in under 1 s), median and p95 over repeated runs.
Side by side, the baseline a static load manager uses: the grid connection split equally over the cars,
ignoring feeders, stations and phases. It is the floor of what a re-plan costs, and the bench counts the
circuit limits that split would break.

Sections are the functions in SECTIONS; a new one (the simulated working day with schedules) is a
function taking the parsed arguments and returning its JSON-able summary, added there and to the table
in bench/README.md.

    python bench/smart_charging.py
    python bench/smart_charging.py --section allocation --evses 10,100,500 --repeat 50 \
        --json bench/results/smart_charging_allocation.json
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a plain script, yet use the project's helpers

from bench.servers import percentile  # noqa: E402
from smartcharging.allocation import PHASES, Circuit, Evse, Kind, Load, Site, Status, allocate  # noqa: E402

AIM_500_S = 1.0
EVSES_PER_STATION = 2
STATIONS_PER_FEEDER = 10
OVERSUBSCRIPTION = 2.5  # the grid connection carries 1 / 2.5 of what every EVSE at its maximum would draw
ROTATIONS = [("L1", "L2", "L3"), ("L2", "L3", "L1"), ("L3", "L1", "L2")]


# The allocation section ---------------------------------------------------------------------------------


def realistic_site(evses: int, seed: int) -> Site:
    """A car park: stations of two EVSEs on a 32 A supply, ten stations to a feeder at 40 % of their sum,
    the grid connection at 1 / 2.5 of everything, minus a measured building load. Three in four EVSEs
    are 3-phase AC (16 or 32 A), one in eight single-phase on rotated wiring, one in eight DC (50 kW on
    its own 80 A supply); one in twenty is not controllable, one in five is idle, one in ten
    under-draws, one in five is a fleet car of higher priority."""
    rng = random.Random(seed)
    chargers: list[Evse] = []
    circuits: list[Circuit] = []
    feeders: dict[str, list[float]] = {}
    for n in range(evses):
        station = f"S{n // EVSES_PER_STATION:04d}"
        feeder = f"F{n // (EVSES_PER_STATION * STATIONS_PER_FEEDER):03d}"
        if n % EVSES_PER_STATION == 0:
            circuits.append(Circuit(station, feeder, limit_a=(80.0,) * 3 if n % 8 == 0 else (32.0,) * 3))
        evse = _evse(rng, f"E{n:04d}", station, dc=n % 8 == 0, single=n % 8 == 4)
        chargers.append(evse)
        peak = feeders.setdefault(feeder, [0.0, 0.0, 0.0])
        for p, phase in enumerate(PHASES):
            if phase in evse.site_phases():
                peak[p] += evse.max_a if evse.kind is Kind.AC else evse.max_kw * 1000 / (3 * 230)
    total = [sum(peak[p] for peak in feeders.values()) for p in range(3)]
    grid_a = max(total) / OVERSUBSCRIPTION + 40
    circuits.append(Circuit("grid", None, limit_a=(grid_a,) * 3, limit_kw=grid_a * 3 * 230 / 1000 * 0.95))
    circuits += [Circuit(f, "grid", limit_a=(max(peak) * 0.4,) * 3) for f, peak in feeders.items()]
    building = (Load("building", "grid", draw_a=(38.0, 31.0, 44.0)),)
    return Site(tuple(circuits), tuple(chargers), building)


def _evse(rng: random.Random, evse_id: str, station: str, *, dc: bool, single: bool) -> Evse:
    state: dict[str, Any] = {
        "controllable": rng.random() >= 0.05,
        "wants_power": rng.random() >= 0.2,
        "priority": 1 if rng.random() < 0.2 else 0,
    }
    under = rng.random() < 0.1
    if dc:
        return Evse(
            evse_id, station, Kind.DC, min_kw=5, max_kw=50, under_drawing=under, measured_kw=rng.uniform(5, 30), **state
        )
    return Evse(
        evse_id,
        station,
        phases=1 if single else 3,
        rotation=rng.choice(ROTATIONS),
        max_a=32.0 if single or rng.random() < 0.5 else 16.0,
        under_drawing=under,
        measured_a=(rng.uniform(6, 12),) * 3,
        **state,
    )


def equal_split(site: Site) -> dict[str, float]:
    """The baseline: the grid connection's smallest phase limit over the cars, each clamped to its range."""
    grid = next(c for c in site.circuits if c.parent is None)
    assert grid.limit_a is not None
    cars = [e for e in site.evses if e.controllable and e.wants_power]
    share = min(grid.limit_a) / max(1, len(cars))
    return {
        e.id: (
            min(max(share * 3 * 230 / 1000, e.min_kw), e.max_kw)
            if e.kind is Kind.DC
            else min(max(share, e.min_a), e.max_a)
        )
        for e in cars
    }


def broken_limits(site: Site, limits: dict[str, float]) -> int:
    """Circuit phases (and kW limits) the given limits overload, with the uncontrolled at their maximum."""
    parents = {c.id: c.parent for c in site.circuits}
    load = {c.id: [0.0, 0.0, 0.0] for c in site.circuits}
    draws: list[tuple[str, list[float]]] = [(x.circuit, list(x.draw_a)) for x in site.loads]
    for e in site.evses:
        value = limits.get(e.id, 0.0) if e.controllable else (e.max_kw if e.kind is Kind.DC else e.max_a)
        amps = value * 1000 / (3 * 230) if e.kind is Kind.DC else value
        draws.append((e.circuit, [amps if phase in e.site_phases() else 0.0 for phase in PHASES]))
    for circuit_id, draw in draws:
        at: str | None = circuit_id
        while at is not None:
            load[at] = [a + b for a, b in zip(load[at], draw)]
            at = parents[at]
    broken = 0
    for c in site.circuits:
        if c.limit_a is not None:
            broken += sum(1 for p in range(3) if load[c.id][p] > c.limit_a[p] + 1e-6)
        if c.limit_kw is not None and sum(load[c.id]) * 230 / 1000 > c.limit_kw + 1e-6:
            broken += 1
    return broken


@dataclass
class Timing:
    name: str
    evses: int
    runs: int
    median_ms: float
    p95_ms: float
    max_ms: float
    outcome: dict[str, Any] = field(default_factory=dict)


def timed(name: str, evses: int, call: Callable[[], Any], repeat: int) -> tuple[Timing, Any]:
    call()  # warm up
    seconds, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - started)
    seconds.sort()
    p95 = percentile(seconds, 95) or 0.0
    timing = Timing(name, evses, repeat, statistics.median(seconds) * 1000, p95 * 1000, seconds[-1] * 1000)
    return timing, result


def allocation_section(args: argparse.Namespace) -> dict[str, Any]:
    rows: list[Timing] = []
    for size in args.evses:
        site = realistic_site(size, args.seed)
        fair, plan = timed("allocate", size, lambda site=site: allocate(site), args.repeat)
        statuses = [e.status for e in plan.evses]
        grid = plan.circuit("grid")
        fair.outcome = {
            "circuits": len(site.circuits),
            **{s.value: statuses.count(s) for s in Status},
            "grid_load_a": [round(a, 1) for a in grid.load_a],
            "grid_limit_a": [round(a, 1) for a in grid.limit_a or ()],
            "grid_kw": round(grid.power_kw, 1),
            "grid_limit_kw": round(grid.limit_kw or 0.0, 1),
            "limits_broken": broken_limits(site, {e.evse_id: _sent(e) for e in plan.evses}),
        }
        naive, split = timed("equal split (baseline)", size, lambda site=site: equal_split(site), args.repeat)
        naive.outcome = {"limits_broken": broken_limits(site, split)}
        rows += [fair, naive]
        print(_line(fair), flush=True)
        print(_line(naive), flush=True)
    largest = max((r for r in rows if r.name == "allocate"), key=lambda r: r.evses)
    verdict = "ok" if largest.p95_ms / 1000 < AIM_500_S else "SLOW"
    print(f"aim: {largest.evses} EVSEs re-planned in under {AIM_500_S:g} s (p95): {verdict}")
    return {
        "seed": args.seed,
        "repeat": args.repeat,
        "aim_s": AIM_500_S,
        "meets_aim": verdict == "ok",
        "results": [r.__dict__ for r in rows],
    }


def _sent(result: Any) -> float:
    return result.limit_a if result.limit_a is not None else (result.limit_kw or 0.0)


def _line(t: Timing) -> str:
    outcome = " ".join(f"{k}={v}" for k, v in t.outcome.items())
    return f"{t.name:24} {t.evses:4} EVSEs  median {t.median_ms:8.2f} ms  p95 {t.p95_ms:8.2f} ms  max {t.max_ms:8.2f} ms  {outcome}"


# Running it ---------------------------------------------------------------------------------------------

SECTIONS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {"allocation": allocation_section}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--section", choices=sorted(SECTIONS), default="allocation")
    parser.add_argument(
        "--evses", type=lambda s: [int(n) for n in s.split(",")], default=[10, 100, 500], help="sizes, comma-separated"
    )
    parser.add_argument("--repeat", type=int, default=50, help="timed runs per size (after one warm-up)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--json", type=Path, help="default: bench/results/smart_charging_<section>.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    summary = {"section": args.section, **SECTIONS[args.section](args)}
    path = args.json or ROOT / "bench" / "results" / f"smart_charging_{args.section}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"written: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0 if summary.get("meets_aim", True) else 1


if __name__ == "__main__":
    raise SystemExit(main())
