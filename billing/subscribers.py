"""What billing does when sessions change: lifecycle subscribers, registered in BillingConfig.ready().

Each hands its work to Celery (billing.tasks), so the charger's message that
caused the event is answered without pricing or calling Stripe.
"""

from billing import tasks
from sessions.events import DriverSessionChanged, MeterReadingsRecorded, TransactionStopped
from sessions.models import DriverSession


def price_new_readings(event: MeterReadingsRecorded) -> None:
    tasks.price_running_session.delay(event.transaction_id)


def bill_stopped_transaction(event: TransactionStopped) -> None:
    tasks.bill_stopped_session(event.transaction_id)


def release_hold_of_failed_session(event: DriverSessionChanged) -> None:
    if event.state == DriverSession.State.FAILED:
        tasks.release_hold.delay(event.session_id)
