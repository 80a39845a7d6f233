from django.apps import AppConfig


class RoamingConfig(AppConfig):
    name = "roaming"
    verbose_name = "Roaming (OCPI)"

    def ready(self) -> None:
        """Roaming's pushes hang on the stations' lifecycle; stations never imports roaming."""
        from billing.events import TariffChanged
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
        lifecycle.subscribe(TariffChanged, subscribers.tariff_changed)
