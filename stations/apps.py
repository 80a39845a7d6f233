from django.apps import AppConfig


class StationsConfig(AppConfig):
    name = "stations"
    verbose_name = "Stations"

    def ready(self) -> None:
        from csms import lifecycle
        from stations import live
        from stations.events import ConnectorStatusChanged, StationConnected, StationDisconnected, StationStatusChanged

        lifecycle.subscribe(StationConnected, live.connection_changed)
        lifecycle.subscribe(StationDisconnected, live.connection_changed)
        lifecycle.subscribe(StationStatusChanged, live.status_changed)
        lifecycle.subscribe(ConnectorStatusChanged, live.status_changed)
