"""The live layer of sessions: a lifecycle subscriber that nudges the sockets watching a session.

The drivers' session stream (sessions/consumers.py) listens to its driver
session's group, and to its transaction's group once the charger has started.
The operators' dashboard listens to the dashboard group (sessions starting and
stopping anywhere) and, on a station's page, to its station_sessions group (its
sessions starting, stopping and priced per reading). A nudge carries ids only; the consumer reads the
state it shows (the cost as stored on the transaction), so a client that missed
a message is right again with the next one. Readings are told by the nudge of
the cost billing prices after them (every running session's, tariff or not).
"""

from csms.live import DASHBOARD_GROUP, driver_session_group, publish, station_sessions_group, transaction_group
from sessions.events import (
    ChargingNeedsChanged,
    DriverSessionChanged,
    TransactionCostChanged,
    TransactionStarted,
    TransactionStopped,
)


def driver_session_changed(event: DriverSessionChanged) -> None:
    publish(
        [driver_session_group(event.session_id)],
        {"type": "session_changed", "session_id": event.session_id, "state": event.state},
    )


def cost_changed(event: TransactionCostChanged) -> None:
    publish(
        [transaction_group(event.transaction_id), station_sessions_group(event.station_id)],
        {"type": "cost_changed", "transaction_id": event.transaction_id, "station_id": event.station_id},
    )


def transaction_started_or_stopped(event: TransactionStarted | TransactionStopped) -> None:
    publish(
        [station_sessions_group(event.station_id), DASHBOARD_GROUP],
        {
            "type": "transaction_started" if isinstance(event, TransactionStarted) else "transaction_stopped",
            "transaction_id": event.transaction_id,
            "station_id": event.station_id,
        },
    )


def charging_needs_changed(event: ChargingNeedsChanged) -> None:
    """The driver's stream shows their departure and energy: a change on a running session is sent at once
    (on a pending one, the PATCH's answer and the stream's periodic refresh show it)."""
    publish(
        [transaction_group(event.transaction_id)],
        {"type": "charging_needs_changed", "transaction_id": event.transaction_id, "station_id": event.station_id},
    )
