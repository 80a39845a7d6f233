"""The live layer of stations: a lifecycle subscriber that nudges the sockets watching a station.

Only stations/consumers.py listens, to each watched station's group; it reads
the station's whole state again, so a nudge names the station and what kind
of change it was. There is no dashboard socket yet: nothing is sent for it.
"""

from csms.live import publish, station_group
from stations.events import ConnectorStatusChanged, StationConnected, StationDisconnected, StationStatusChanged


def connection_changed(event: StationConnected | StationDisconnected) -> None:
    publish(
        [station_group(event.station_id)],
        {
            "type": "connection_changed",
            "station_id": event.station_id,
            "connected": isinstance(event, StationConnected),
        },
    )


def status_changed(event: StationStatusChanged | ConnectorStatusChanged) -> None:
    publish(
        [station_group(event.station_id)],
        {"type": "status_changed", "station_id": event.station_id, "status": event.status},
    )
