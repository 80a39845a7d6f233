"""What billing does when sessions change: lifecycle subscribers, registered in BillingConfig.ready().

Each hands its work to Celery (billing.tasks), so the charger's message that
caused the event is answered without pricing or calling Stripe.
"""

from billing import sweeps, tasks
from sessions.events import DriverSessionChanged, MeterReadingsRecorded, TransactionStopped
from sessions.models import DriverSession
from stations.events import ConnectorStatusChanged


def price_new_readings(event: MeterReadingsRecorded) -> None:
    """Every running session's readings are priced, tariff or not: the live layer leaves their nudge to it."""
    tasks.price_soon(event.transaction_id)


def price_after_status_change(event: ConnectorStatusChanged) -> None:
    """A connector going SuspendedEV or Finishing starts parking (and Charging ends it): price again.

    The event names the connector by its OCPP numbers; the EVSE's running session
    (all of the station's, for the station's own status) is priced, debounced.
    """
    for transaction_id in sweeps.running_sessions_at(station_id=event.station_id, evse_number=event.evse_number):
        tasks.price_soon(transaction_id)


def bill_stopped_transaction(event: TransactionStopped) -> None:
    tasks.bill_stopped_session(event.transaction_id)


def release_hold_of_failed_session(event: DriverSessionChanged) -> None:
    if event.state == DriverSession.State.FAILED:
        tasks.release_hold.delay(event.session_id)
