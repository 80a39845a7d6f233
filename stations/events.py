"""Events about stations: lifecycle events for the layers above, live events for dashboards."""

from dataclasses import dataclass
from datetime import datetime

from csms import lifecycle
from csms.live import DASHBOARD_GROUP, publish, station_group


@dataclass(frozen=True)
class RegistrationChanged:
    """An operator accepted, set pending or rejected a station."""

    station_id: int
    charge_point_id: str
    status: str
    previous: str


def registration_changed(event: RegistrationChanged) -> None:
    lifecycle.publish(event)


def status_changed(
    *, station_id: int, evse_id: int, connector_id: int, status: str, error_code: str, at: datetime
) -> None:
    publish(
        [station_group(station_id), DASHBOARD_GROUP],
        {
            "type": "status_changed",
            "station_id": station_id,
            "evse_id": evse_id,
            "connector_id": connector_id,
            "status": status,
            "error_code": error_code,
            "at": at.isoformat(),
        },
    )


def connection_changed(*, station_id: int, connected: bool) -> None:
    publish(
        [station_group(station_id), DASHBOARD_GROUP],
        {"type": "connection_changed", "station_id": station_id, "connected": connected},
    )
