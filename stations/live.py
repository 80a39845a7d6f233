"""The live layer of stations: a lifecycle subscriber that nudges the sockets watching a station.

Two kinds of socket listen: the drivers' station stream (stations/consumers.py),
on each watched station's group, and the operators' dashboard
(dashboard/consumers.py), on the dashboard group for the whole network and on
a station's group for its page. Each reads the state it shows again, so a
nudge names the station and what kind of change it was.
"""

from csms.live import DASHBOARD_GROUP, publish, station_group
from stations.events import ConnectorStatusChanged, StationConnected, StationDisconnected, StationStatusChanged


def connection_changed(event: StationConnected | StationDisconnected) -> None:
    publish(
        [station_group(event.station_id), DASHBOARD_GROUP],
        {
            "type": "connection_changed",
            "station_id": event.station_id,
            "connected": isinstance(event, StationConnected),
        },
    )


def status_changed(event: StationStatusChanged | ConnectorStatusChanged) -> None:
    publish(
        [station_group(event.station_id), DASHBOARD_GROUP],
        {
            "type": "status_changed",
            "station_id": event.station_id,
            "evse_number": getattr(event, "evse_number", 0),
            "status": event.status,
            "error_code": event.error_code,
        },
    )
