"""The live layer of sessions: a lifecycle subscriber that nudges the sockets watching a driver session.

Only sessions/consumers.py listens: to its driver session's group, and to its
transaction's group once the charger has started. A nudge carries ids only;
the consumer reads the session's whole state (one query, the cost as stored
on the transaction), so a client that missed a message is right again with
the next one. One change, one nudge: readings a new cost follows are told by
the cost's nudge alone. Nothing is sent to groups nobody joins (a station's group
carries availability only; there is no dashboard socket yet).
"""

from csms.live import driver_session_group, publish, transaction_group
from sessions.events import DriverSessionChanged, MeterReadingsRecorded, TransactionCostChanged
from sessions.models import Transaction


def driver_session_changed(event: DriverSessionChanged) -> None:
    publish(
        [driver_session_group(event.session_id)],
        {"type": "session_changed", "session_id": event.session_id, "state": event.state},
    )


def readings_recorded(event: MeterReadingsRecorded) -> None:
    """Nudged here only when no new cost follows the readings; otherwise the cost's nudge carries them too.

    Billing prices a session from its start, so a running session with a
    stored cost is priced again after its readings (and the watcher reads the
    new energy with the new cost, once); one without (no tariff applies) or a
    completed one is not, so its readings are nudged here.
    """
    if not Transaction.objects.filter(
        pk=event.transaction_id, status=Transaction.Status.ACTIVE, cost_priced_at__isnull=False
    ).exists():
        publish(
            [transaction_group(event.transaction_id)], {"type": "meter_values", "transaction_id": event.transaction_id}
        )


def cost_changed(event: TransactionCostChanged) -> None:
    publish([transaction_group(event.transaction_id)], {"type": "cost_changed", "transaction_id": event.transaction_id})
