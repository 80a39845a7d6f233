from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        """Billing hangs on the sessions' lifecycle; sessions never imports billing."""
        from billing import subscribers
        from billing.payments import holds
        from csms import lifecycle
        from sessions import guards
        from sessions.events import DriverSessionChanged, MeterReadingsRecorded, TransactionStopped
        from stations.events import ConnectorStatusChanged

        guards.register_start_guard(holds.hold_before_start)
        lifecycle.subscribe(MeterReadingsRecorded, subscribers.price_new_readings)
        lifecycle.subscribe(ConnectorStatusChanged, subscribers.price_after_status_change)
        lifecycle.subscribe(TransactionStopped, subscribers.bill_stopped_transaction)
        lifecycle.subscribe(DriverSessionChanged, subscribers.release_hold_of_failed_session)
