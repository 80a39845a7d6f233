from django.apps import AppConfig


class ChargingConfig(AppConfig):
    # "sessions" is django.contrib.sessions' label, which the admin needs.
    name = "sessions"
    label = "charging"
    verbose_name = "Charging sessions"

    def ready(self) -> None:
        from csms import lifecycle
        from sessions import charger_requests, live
        from sessions.events import (
            ChargingNeedsChanged,
            DriverSessionChanged,
            TransactionCostChanged,
            TransactionStarted,
            TransactionStopped,
        )

        lifecycle.subscribe(DriverSessionChanged, charger_requests.ask_the_charger)
        lifecycle.subscribe(DriverSessionChanged, live.driver_session_changed)
        lifecycle.subscribe(TransactionCostChanged, live.cost_changed)
        lifecycle.subscribe(ChargingNeedsChanged, live.charging_needs_changed)
        lifecycle.subscribe(TransactionStarted, live.transaction_started_or_stopped)
        lifecycle.subscribe(TransactionStopped, live.transaction_started_or_stopped)
