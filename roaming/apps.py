from django.apps import AppConfig


class RoamingConfig(AppConfig):
    name = "roaming"
    verbose_name = "Roaming (OCPI)"

    def ready(self) -> None:
        """Roaming's pushes hang on the stations', sessions' and billing's lifecycles; none imports roaming."""
        from billing.events import ChargeDetailRecordSealed, TariffChanged
        from csms import lifecycle
        from roaming import subscribers
        from sessions.events import (
            MeterReadingsRecorded,
            TransactionCostChanged,
            TransactionStarted,
            TransactionStopped,
        )
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
        # A START_SESSION's command takes its transaction first, so the session's first PUT has its reference.
        lifecycle.subscribe(TransactionStarted, subscribers.transaction_started)
        lifecycle.subscribe(TransactionStarted, subscribers.session_started_or_stopped)
        lifecycle.subscribe(TransactionStopped, subscribers.session_started_or_stopped)
        lifecycle.subscribe(MeterReadingsRecorded, subscribers.session_changed)
        lifecycle.subscribe(TransactionCostChanged, subscribers.session_changed)
        lifecycle.subscribe(ChargeDetailRecordSealed, subscribers.record_sealed)
        lifecycle.subscribe(TariffChanged, subscribers.tariff_changed)
        self._ask_emsps_in_real_time()

    @staticmethod
    def _ask_emsps_in_real_time() -> None:
        """Tokens we do not know, or whose eMSP wants to be asked, are asked about at the eMSP."""
        from roaming.services.realtime_authorization import authorize_in_real_time
        from sessions.authorization import register_remote_authorizer

        register_remote_authorizer(authorize_in_real_time)
