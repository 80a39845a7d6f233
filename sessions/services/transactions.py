"""1.6 transactions: opening a session at its start, completing it at its stop, once.

Every write here is idempotent, because chargers replay messages after a
lost answer: a replayed start returns the transaction it already opened, a
replayed stop changes nothing (authorization: sessions.authorization).
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction

from csms import lifecycle
from csms.columns import fit
from sessions import closing, driver_sessions
from sessions.authorization import IdTagInfo, authorize
from sessions.events import TransactionStarted
from sessions.meter import Sample
from sessions.models import AuthorizationStatus, IdTag, Reservation, Transaction
from sessions.services.meter_values import record_transaction_readings
from stations.selectors.connections import is_accepted
from stations.services.evses import ensure_connector
from stations.services.reports import record_deviation


def refused_by_station(station_id: int) -> IdTagInfo | None:
    """A station the operator does not accept (now) starts no transaction: its start is kept
    (no metered energy is lost) but answered Invalid, so the charger ends it itself
    (StopTransactionOnInvalidId), and the refusal is recorded for operators."""
    if is_accepted(station_id=station_id):
        return None
    record_deviation(
        station_id=station_id,
        summary="Transaction start refused: the station is not Accepted",
        details={},
    )
    return IdTagInfo(status=AuthorizationStatus.INVALID)


@dataclass(frozen=True)
class StartedTransaction:
    transaction: Transaction
    id_tag_info: IdTagInfo
    replayed: bool


def start_transaction(
    *,
    station_id: int,
    evse_number: int,
    id_tag: str,
    meter_start_wh: int,
    started_at: datetime,
    reservation_id: int | None = None,
    connector_number: int = 1,
) -> StartedTransaction:
    """Open a session, or return the one a replayed start already opened.

    A replay is the same request (connector, id tag, meter start, time), not
    merely the same time: a charger without a clock starts every session at
    one moment. A transaction still open on the EVSE is over for the charger,
    which runs one at a time: it is ended without a stop (sessions.closing).
    The station gets a transaction id whatever the authorization says: OCPP
    has it stop the session itself when the tag is not Accepted.
    """
    connector = ensure_connector(station_id=station_id, evse_number=evse_number, connector_number=connector_number)
    id_tag_value = fit(Transaction, "id_tag_value", id_tag)
    # The same request as one already taken (a lost answer, re-sent): see the constraint unique_transaction_request.
    same_request = Transaction.objects.filter(
        connector=connector,
        started_at=started_at,
        id_tag_value=id_tag_value,
        meter_start_wh=meter_start_wh,
        uid__isnull=True,
    )
    existing = same_request.first()
    if existing is not None:
        return StartedTransaction(existing, stored_tag_info(existing), replayed=True)
    # Before authorizing: the card of a transaction this start replaces is free again.
    closing.end_replaced_transactions(
        evse_pk=connector.evse_id, started_at=started_at, replaced_by=f"A transaction of {id_tag_value}"
    )
    info = refused_by_station(station_id) or authorize(
        id_tag=id_tag, now=started_at, station_id=station_id, evse_pk=connector.evse_id
    )
    try:
        with transaction.atomic():
            tx = Transaction.objects.create(
                station_id=station_id,
                connector=connector,
                id_tag=IdTag.objects.filter(id_tag=id_tag).first(),
                id_tag_value=id_tag_value,
                authorization_status=info.status,
                reservation_id=reservation_id,
                meter_start_wh=meter_start_wh,
                last_meter_wh=meter_start_wh,
                started_at=started_at,
            )
    except IntegrityError:  # the same start, replayed concurrently
        tx = same_request.get()
        return StartedTransaction(tx, stored_tag_info(tx), replayed=True)
    if reservation_id is not None:
        Reservation.objects.filter(pk=reservation_id, station_id=station_id).update(status=Reservation.Status.USED)
    publish_started(tx)
    driver_sessions.attach_transaction(tx=tx)
    return StartedTransaction(tx, info, replayed=False)


def publish_started(tx: Transaction) -> None:
    """A transaction was opened (by a 1.6 start or a 2.0.1 event): billing and live views hear it."""
    lifecycle.publish(TransactionStarted(transaction_id=tx.pk, station_id=tx.station_id, connector_id=tx.connector_id))


def stored_tag_info(tx: Transaction) -> IdTagInfo:
    """The authorization the transaction's token was given, as kept: what a replay is answered."""
    tag = tx.id_tag
    return IdTagInfo(
        status=tx.authorization_status,
        expires_at=tag.expires_at if tag else None,
        parent_id_tag=tag.parent.id_tag if tag and tag.parent else None,
    )


def stop_transaction(
    *,
    station_id: int,
    transaction_id: int,
    meter_stop_wh: int,
    stopped_at: datetime,
    reason: str = "",
    id_tag: str | None = None,
    samples: list[Sample] = (),
) -> IdTagInfo | None:
    """Complete a session from the station's stop, once.

    The samples (OCPP transactionData, often queued while offline) are
    stored first, so the session is complete even if it was interrupted by a
    reconnect. A replay finds the session completed and changes nothing.
    Returns the stop tag's authorization, or None when no tag was given.
    """
    tx = Transaction.objects.filter(pk=transaction_id, station_id=station_id).first()
    if tx is None:
        record_deviation(
            station_id=station_id,
            summary=f"Stop for unknown transaction {transaction_id}",
            details={"transaction_id": transaction_id, "meter_stop_wh": meter_stop_wh, "reason": reason},
        )
        return authorize(id_tag=id_tag) if id_tag else None
    if samples:
        record_transaction_readings(tx=tx, samples=list(samples))
    info = _stop_tag_info(tx, id_tag)
    completed = closing.complete_transaction(
        tx=tx, meter_stop_wh=meter_stop_wh, stopped_at=stopped_at, reason=reason, stop_id_tag=id_tag or ""
    )
    if not completed and tx.stop_reason in Transaction.EndedWithoutStop.values:
        _record_late_stop(tx, meter_stop_wh=meter_stop_wh, stopped_at=stopped_at, reason=reason)
    return info


def _record_late_stop(tx: Transaction, *, meter_stop_wh: int, stopped_at: datetime, reason: str) -> None:
    """The charger's own stop, after the CSMS ended the transaction without it: the bill stands
    (it may be paid already); what the charger reported is kept for operators."""
    record_deviation(
        station_id=tx.station_id,
        summary=f"Stop for transaction {tx.pk} came after it was ended without a stop ({tx.stop_reason})",
        details={
            "transaction_id": tx.pk,
            "meter_stop_wh": meter_stop_wh,
            "stopped_at": stopped_at.isoformat(),
            "reason": reason,
            "billed_meter_stop_wh": tx.meter_stop_wh,
            "billed_stopped_at": tx.stopped_at.isoformat(),
        },
    )


def _stop_tag_info(tx: Transaction, id_tag: str | None) -> IdTagInfo | None:
    """The tag that ends a session: the starting tag, or one of its group, is always accepted."""
    if not id_tag:
        return None
    if id_tag == tx.id_tag_value:
        return IdTagInfo(status=AuthorizationStatus.ACCEPTED, expires_at=tx.id_tag.expires_at if tx.id_tag else None)
    return authorize(id_tag=id_tag, ignore_transaction_id=tx.pk)
