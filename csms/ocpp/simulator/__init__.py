"""Simulated OCPP chargers for tests, demos and load; free of Django imports."""
from csms.ocpp.simulator.charger16 import AuthorizationRejected, LinkDown, SimulatedCharger, SimulatorError
from csms.ocpp.simulator.fleet import FleetOptions, FleetSummary, run_fleet, run_fleet_blocking
from csms.ocpp.simulator.model import ChargerOptions, Exchange, Frame, Session

__all__ = [
    "AuthorizationRejected",
    "ChargerOptions",
    "Exchange",
    "FleetOptions",
    "FleetSummary",
    "Frame",
    "LinkDown",
    "Session",
    "SimulatedCharger",
    "SimulatorError",
    "run_fleet",
    "run_fleet_blocking",
]
