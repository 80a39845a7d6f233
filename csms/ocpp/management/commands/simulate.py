"""`manage.py simulate`: run simulated OCPP 1.6J or 2.0.1 chargers against a CSMS.

Thin on purpose: it parses options and hands them to the simulator package,
which has no Django in it and can be driven from tests and benches too. The
one thing it takes from this CSMS's database is each known station's EVSE
count, so a simulated demo station reports every EVSE the demo data gave it.
"""

import os
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from simulator import FleetOptions, run_fleet_blocking
from simulator.fleet import OCPP_VERSIONS
from stations.selectors import evse_counts


def default_url() -> str:
    """Where `make run` serves, honouring the same HOST and PORT variables."""
    host = os.environ.get("HOST", "127.0.0.1")
    return f"ws://{'127.0.0.1' if host == '0.0.0.0' else host}:{os.environ.get('PORT', '8000')}/ocpp"


class Command(BaseCommand):
    help = "Run N simulated OCPP chargers (<prefix>0001...) against a CSMS; Ctrl-C stops them tidily."

    def add_arguments(self, parser: CommandParser) -> None:
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
            help="connectors (1.6) or EVSEs (2.0.1) per charger (default: as many EVSEs as the station has here, else 1)",
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
            "--reconnect-every", type=float, default=0.0, help="drop and restore each link every S seconds"
        )
        parser.add_argument(
            "--duration", type=float, default=0.0, help="stop after T seconds (default: when all sessions are done)"
        )
        parser.add_argument("--speedup", type=float, default=1.0, help="simulated seconds per second (energy, SoC)")

    def handle(self, *args: Any, **options: Any) -> None:
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
            reconnect_every=options["reconnect_every"],
            duration=options["duration"],
            speedup=options["speedup"],
        )
        if options["connectors"] is None:
            known = evse_counts(charge_point_ids=fleet.station_ids())
            fleet.connectors_by_station = {station: count for station, count in known.items() if count}
        summary = run_fleet_blocking(fleet, on_event=self._print_event)
        for line in summary.lines():
            self.stdout.write(line)

    def _print_event(self, charge_point_id: str, text: str) -> None:
        self.stdout.write(f"{datetime.now():%H:%M:%S} {charge_point_id} {text}")
