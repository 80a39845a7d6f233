"""The simulator's command line: `python -m simulator`, and under `manage.py simulate`.

One set of options for both: `manage.py simulate` adds these same arguments
to its own parser and calls `run`, passing what only the CSMS knows (each
known station's EVSE count) as `known_connectors`; `python -m simulator`
runs without it, so a charger without `--connectors` has one.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from simulator.fleet import OCPP_VERSIONS, FleetOptions, FleetSummary, run_fleet_blocking

DESCRIPTION = "Run N simulated OCPP chargers (<prefix>0001...) against a CSMS; Ctrl-C stops them tidily."
# Charge point id -> its number of EVSEs, for the ids asked about that the CSMS knows.
KnownConnectors = Callable[[list[str]], dict[str, int]]


def default_url() -> str:
    """Where `make run` serves, honouring the same HOST and PORT variables."""
    host = os.environ.get("HOST", "127.0.0.1")
    return f"ws://{'127.0.0.1' if host == '0.0.0.0' else host}:{os.environ.get('PORT', '8000')}/ocpp"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stations", type=int, default=1, help="number of chargers (default 1)")
    parser.add_argument(
        "--url", default=default_url(), help="OCPP endpoint without the charger id (default from HOST, PORT)"
    )
    parser.add_argument("--ocpp", choices=OCPP_VERSIONS, default="1.6", help="protocol version (default 1.6)")
    parser.add_argument("--prefix", default="SIM-", help="charge point id prefix (default SIM-)")
    parser.add_argument("--password", default=None, help="HTTP Basic password of every charger")
    parser.add_argument(
        "--connectors",
        type=int,
        default=None,
        help="connectors (1.6) or EVSEs (2.0.1) per charger (default: under manage.py simulate, as many EVSEs "
        "as the station has in that CSMS, else 1)",
    )
    parser.add_argument(
        "--id-tag",
        default="{station}-TAG",
        help="RFID tag each charger starts its sessions with; {station} is its charge point id (default {station}-TAG)",
    )
    parser.add_argument("--meter-interval", type=float, default=5.0, help="seconds between MeterValues (default 5)")
    parser.add_argument("--session-seconds", type=float, default=60.0, help="length of a session (default 60)")
    parser.add_argument("--sessions", type=int, default=1, help="sessions per charger, in a row (default 1)")
    parser.add_argument(
        "--pause-seconds", type=float, default=5.0, help="idle time between two sessions of a charger (default 5)"
    )
    parser.add_argument("--reconnect-every", type=float, default=0.0, help="drop and restore each link every S seconds")
    parser.add_argument(
        "--duration", type=float, default=0.0, help="stop after T seconds (default: when all sessions are done)"
    )
    parser.add_argument("--speedup", type=float, default=1.0, help="simulated seconds per second (energy, SoC)")


def fleet_options(options: Mapping[str, Any], *, known_connectors: KnownConnectors | None = None) -> FleetOptions:
    """The parsed options as a fleet; without `--connectors`, each station known to the CSMS gets its EVSE count."""
    fleet = FleetOptions(
        url=options["url"],
        stations=options["stations"],
        prefix=options["prefix"],
        password=options["password"],
        connectors=options["connectors"] or 1,
        id_tag=options["id_tag"],
        ocpp_version=options["ocpp"],
        meter_interval=options["meter_interval"],
        session_seconds=options["session_seconds"],
        sessions=options["sessions"],
        pause_seconds=options["pause_seconds"],
        reconnect_every=options["reconnect_every"],
        duration=options["duration"],
        speedup=options["speedup"],
    )
    if options["connectors"] is None and known_connectors is not None:
        known = known_connectors(fleet.station_ids())
        fleet.connectors_by_station = {station: count for station, count in known.items() if count}
    return fleet


def run(
    options: Mapping[str, Any], *, write: Callable[[str], None], known_connectors: KnownConnectors | None = None
) -> FleetSummary:
    """Run the fleet to its end, writing each event as it happens and the summary last."""

    def print_event(charge_point_id: str, text: str) -> None:
        write(f"{datetime.now():%H:%M:%S} {charge_point_id} {text}")

    summary = run_fleet_blocking(fleet_options(options, known_connectors=known_connectors), on_event=print_event)
    for line in summary.lines():
        write(line)
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator", description=DESCRIPTION)
    add_arguments(parser)
    run(vars(parser.parse_args(argv)), write=lambda line: print(line, flush=True))
    return 0
