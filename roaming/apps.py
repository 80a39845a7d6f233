from django.apps import AppConfig


class RoamingConfig(AppConfig):
    name = "roaming"
    verbose_name = "Roaming (OCPI)"

    def ready(self) -> None:
        """Roaming's pushes hang on the stations' lifecycle; stations never imports roaming."""
        from csms import lifecycle
        from roaming import subscribers
        from stations.events import (
            ConnectorStatusChanged,
            RegistrationChanged,
            StationConnected,
            StationDisconnected,
            StationStatusChanged,
        )

        lifecycle.subscribe(ConnectorStatusChanged, subscribers.connector_status_changed)
        lifecycle.subscribe(StationStatusChanged, subscribers.station_status_changed)
        lifecycle.subscribe(StationDisconnected, subscribers.station_status_changed)
        lifecycle.subscribe(StationConnected, subscribers.station_appeared)
        lifecycle.subscribe(RegistrationChanged, subscribers.station_appeared)
        self._ask_emsps_in_real_time()

    @staticmethod
    def _ask_emsps_in_real_time() -> None:
        """Tokens we do not know, or whose eMSP wants to be asked, are asked about at the eMSP."""
        from roaming.services.realtime_authorization import authorize_in_real_time
        from sessions.authorization import register_remote_authorizer

        register_remote_authorizer(authorize_in_real_time)
