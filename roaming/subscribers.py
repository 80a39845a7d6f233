"""What roaming does when stations, sessions, tariffs and billing change: lifecycle subscribers, registered in
RoamingConfig.ready().

Each snapshots the change into the push queue (one push per partner with a locations receiver; a session
or CDR for its token's issuer alone) and wakes the partners' senders in Celery, so the charger's message
is answered without waiting for any partner.
"""

from billing.events import ChargeDetailRecordSealed, TariffChanged
from roaming import tasks
from roaming.services import commands, push, session_pushes, tariff_pushes
from sessions.events import MeterReadingsRecorded, TransactionCostChanged, TransactionStarted, TransactionStopped
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


def session_started_or_stopped(event: TransactionStarted | TransactionStopped) -> None:
    """A start or a stop is always PUT at once: the partner must know of the session and of its end."""
    tasks.wake(session_pushes.push_session(transaction_id=event.transaction_id))


def session_changed(event: MeterReadingsRecorded | TransactionCostChanged) -> None:
    """Energy or cost so far: PUT, at most once per OCPI_SESSION_PUSH_INTERVAL (held back, then pushed)."""
    woken, hold_for = session_pushes.push_running_session(transaction_id=event.transaction_id)
    tasks.wake(woken)
    if hold_for is not None:
        tasks.hold_session_push(event.transaction_id, hold_for)


def record_sealed(event: ChargeDetailRecordSealed) -> None:
    tasks.wake(session_pushes.push_cdr(record_id=event.record_id))


def transaction_started(event: TransactionStarted) -> None:
    """A partner's START_SESSION may have asked for it: the command keeps the transaction it started."""
    commands.link_started_transaction(transaction_id=event.transaction_id, station_id=event.station_id)


def tariff_changed(event: TariffChanged) -> None:
    """PUT the tariff to every tariffs receiver, or DELETE it where it stopped being published."""
    tasks.wake(tariff_pushes.push_tariff(tariff_pk=event.tariff_pk))
    for location_id in event.location_ids:  # its connectors' tariff_ids changed: PUT the location whole
        tasks.wake(push.push_location(location_id=location_id))
