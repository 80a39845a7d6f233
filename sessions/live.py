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
    """Late readings of a completed session are nudged here; a running session's, by the cost priced after them.

    Billing prices every running session's readings and records the result
    (no cost when no tariff applies), so the cost's nudge carries the new
    energy with its cost and a watcher reads once per reading, never the new
    energy with the old cost. A completed session is not priced again.
    """
    if not Transaction.objects.filter(pk=event.transaction_id, status=Transaction.Status.ACTIVE).exists():
        publish(
            [transaction_group(event.transaction_id)], {"type": "meter_values", "transaction_id": event.transaction_id}
        )


def cost_changed(event: TransactionCostChanged) -> None:
    publish([transaction_group(event.transaction_id)], {"type": "cost_changed", "transaction_id": event.transaction_id})
