from django.apps import AppConfig


class SmartChargingConfig(AppConfig):
    """Site load balancing and price-aware schedules (issue 13): a domain app above sessions and stations,
    beside billing; it reaches chargers only through the command port."""

    name = "smartcharging"
    verbose_name = "Smart charging"

    def ready(self) -> None:
        """Smart charging hangs on the sessions' and stations' lifecycle; neither imports it."""
        from csms import lifecycle
        from sessions.events import MeterReadingsRecorded, TransactionStarted, TransactionStopped
        from smartcharging import subscribers
        from stations.events import StationBooted, StationConnected, StationDisconnected

        for event in (TransactionStarted, TransactionStopped, MeterReadingsRecorded, StationDisconnected):
            lifecycle.subscribe(event, subscribers.replan_station_site)
        lifecycle.subscribe(StationConnected, subscribers.set_safe_defaults)
        lifecycle.subscribe(StationBooted, subscribers.set_safe_defaults)
