"""What roaming does when stations change: lifecycle subscribers, registered in RoamingConfig.ready().

Each snapshots the change into the push queue (one push per partner with a locations receiver) and wakes
the partners' senders in Celery, so the charger's message is answered without waiting for any partner.
"""

from roaming import tasks
from roaming.services import commands, push
from sessions.events import TransactionStarted
from stations.events import (
    ConnectorStatusChanged,
    RegistrationChanged,
    StationConnected,
    StationDisconnected,
    StationStatusChanged,
)


def connector_status_changed(event: ConnectorStatusChanged) -> None:
    tasks.wake(push.push_evse_status(station_id=event.station_id, evse_number=event.evse_number))


def station_status_changed(event: StationStatusChanged | StationDisconnected) -> None:
    """Connector 0's status, or the socket going: every EVSE of the station may read differently now."""
    tasks.wake(push.push_evse_status(station_id=event.station_id))


def station_appeared(event: StationConnected | RegistrationChanged) -> None:
    """A station coming online or accepted (or rejected) changes which EVSEs its location has: PUT it whole,
    so a partner gets EVSEs it never saw before any PATCH of them."""
    tasks.wake(push.push_station_location(station_id=event.station_id))


def transaction_started(event: TransactionStarted) -> None:
    """A partner's START_SESSION may have asked for it: the command keeps the transaction it started."""
    commands.link_started_transaction(transaction_id=event.transaction_id, station_id=event.station_id)
