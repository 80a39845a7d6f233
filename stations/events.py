"""Live events about stations and connectors."""
from datetime import datetime

from csms.live import DASHBOARD_GROUP, publish, station_group


def status_changed(*, station_id: int, evse_id: int, connector_id: int, status: str, error_code: str, at: datetime) -> None:
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
