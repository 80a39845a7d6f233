from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Alerts"

    def ready(self) -> None:
        """Alerts hang on the stations' and sessions' lifecycle; neither imports alerts."""
        from alerts import subscribers
        from csms import lifecycle
        from sessions.events import DriverSessionChanged, TransactionStarted, TransactionStopped
        from stations.events import ConnectorStatusChanged, StationConnected, StationDisconnected, StationStatusChanged

        for status_event in (ConnectorStatusChanged, StationStatusChanged, StationConnected, StationDisconnected):
            lifecycle.subscribe(status_event, subscribers.station_status_changed)
        for session_event in (TransactionStarted, TransactionStopped):
            lifecycle.subscribe(session_event, subscribers.station_sessions_changed)
        lifecycle.subscribe(DriverSessionChanged, subscribers.driver_session_changed)
