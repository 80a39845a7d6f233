"""The live layer of sessions: a lifecycle subscriber that nudges the sockets watching a driver session.

Only sessions/consumers.py listens: to its driver session's group, and to its
transaction's group once the charger has started. A nudge carries ids only;
the consumer reads the session's whole state (one query, the cost as stored
on the transaction), so a client that missed a message is right again with
the next one. One change, one nudge: readings are told by the nudge of the cost
billing prices after them (every running session's, tariff or not; a completed
session's readings are history and change nothing a watcher sees). Nothing is sent to groups nobody joins (a station's group
carries availability only; there is no dashboard socket yet).
"""

from csms.live import driver_session_group, publish, transaction_group
from sessions.events import DriverSessionChanged, TransactionCostChanged


def driver_session_changed(event: DriverSessionChanged) -> None:
    publish(
        [driver_session_group(event.session_id)],
        {"type": "session_changed", "session_id": event.session_id, "state": event.state},
    )


def cost_changed(event: TransactionCostChanged) -> None:
    publish([transaction_group(event.transaction_id)], {"type": "cost_changed", "transaction_id": event.transaction_id})
