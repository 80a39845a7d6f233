"""Simulated OCPP 1.6J and 2.0.1 chargers for tests, demos and load: `python -m simulator --help`.

Plain asyncio on the `ocpp` and `websockets` packages; it imports no Django,
no Celery and nothing of Voltstack (import-linter and tests/simulator hold it
to that), so it runs against any CSMS. `manage.py simulate` wraps its CLI.
"""

from simulator.charger16 import SimulatedCharger
from simulator.charger201 import SimulatedCharger201
from simulator.errors import AuthorizationRejected, LinkDown, SimulatorError
from simulator.fleet import FleetOptions, FleetSummary, run_fleet, run_fleet_blocking
from simulator.model import ChargerOptions, Exchange, Frame, Session
from simulator.model201 import ChargerOptions201, Transaction

__all__ = [
    "AuthorizationRejected",
    "ChargerOptions",
    "ChargerOptions201",
    "Exchange",
    "FleetOptions",
    "FleetSummary",
    "Frame",
    "LinkDown",
    "Session",
    "SimulatedCharger",
    "SimulatedCharger201",
    "SimulatorError",
    "Transaction",
    "run_fleet",
    "run_fleet_blocking",
]
