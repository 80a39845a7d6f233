"""Simulated OCPP chargers for tests, demos and load; free of Django imports."""

from csms.ocpp.simulator.charger16 import AuthorizationRejected, LinkDown, SimulatedCharger, SimulatorError
from csms.ocpp.simulator.charger201 import SimulatedCharger201
from csms.ocpp.simulator.fleet import FleetOptions, FleetSummary, run_fleet, run_fleet_blocking
from csms.ocpp.simulator.model import ChargerOptions, Exchange, Frame, Session
from csms.ocpp.simulator.model201 import ChargerOptions201, Transaction

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
