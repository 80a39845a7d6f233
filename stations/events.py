"""Lifecycle events of stations, for the layers above (the OCPP central system, the live layer, smart charging).

Published through csms.lifecycle once the change commits; subscribers register
in their app's AppConfig.ready().
"""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class RegistrationChanged:
    """An operator accepted, set pending or rejected a station."""

    station_id: int
    charge_point_id: str
    status: str
    previous: str


@dataclass(frozen=True)
class StationConnected:
    """A socket holds the station now (or holds it again, after a sweep took it for dead)."""

    station_id: int


@dataclass(frozen=True)
class StationBooted:
    """A station's BootNotification was answered Accepted: it takes every command from now on."""

    station_id: int


@dataclass(frozen=True)
class StationDisconnected:
    station_id: int


@dataclass(frozen=True)
class StationStatusChanged:
    """The station as a whole (OCPP EVSE 0) reported a status."""

    station_id: int
    status: str
    error_code: str
    at: datetime


@dataclass(frozen=True)
class ConnectorStatusChanged:
    station_id: int
    evse_number: int
    connector_number: int
    status: str
    error_code: str
    at: datetime
