"""`manage.py simulate`: run simulated OCPP 1.6J chargers against a CSMS.

Thin on purpose: it parses options and hands them to the simulator package,
which has no Django in it and can be driven from tests and benches too.
"""
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from csms.ocpp.simulator import FleetOptions, run_fleet_blocking


class Command(BaseCommand):
    help = "Run N simulated OCPP 1.6J chargers (<prefix>0001...) against a CSMS; Ctrl-C stops them tidily."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--stations", type=int, default=1, help="number of chargers (default 1)")
        parser.add_argument("--url", default="ws://127.0.0.1:8000/ocpp", help="OCPP endpoint without the charger id")
        parser.add_argument("--prefix", default="SIM-", help="charge point id prefix (default SIM-)")
        parser.add_argument("--password", default=None, help="HTTP Basic password of every charger")
        parser.add_argument("--connectors", type=int, default=1, help="connectors per charger (default 1)")
        parser.add_argument("--id-tag", default="SIMTAG01", help="RFID tag used to start sessions")
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
            connectors=options["connectors"],
            id_tag=options["id_tag"],
            meter_interval=options["meter_interval"],
            session_seconds=options["session_seconds"],
            sessions=options["sessions"],
            reconnect_every=options["reconnect_every"],
            duration=options["duration"],
            speedup=options["speedup"],
        )
        summary = run_fleet_blocking(fleet, on_event=self._print_event)
        for line in summary.lines():
            self.stdout.write(line)

    def _print_event(self, charge_point_id: str, text: str) -> None:
        self.stdout.write(f"{datetime.now():%H:%M:%S} {charge_point_id} {text}")
