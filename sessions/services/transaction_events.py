"""OCPP 2.0.1 transaction events: numbered steps that open, update and end a transaction, each applied once."""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction

from csms.columns import fit
from sessions import closing, driver_sessions
from sessions.authorization import IdTagInfo, authorize
from sessions.meter import ENERGY_REGISTER, Sample
from sessions.models import AuthorizationStatus, IdTag, Reservation, Transaction, TransactionEvent
from sessions.services.meter_values import record_transaction_readings
from sessions.services.transactions import publish_started, refused_by_station, stop_transaction, stored_tag_info
from stations.services.evses import ensure_connector
from stations.services.reports import record_deviation


@dataclass(frozen=True)
class TransactionStep:
    """One step of a transaction as an OCPP 2.0.1 station numbers it (a TransactionEvent)."""

    uid: str
    seq_no: int
    kind: str  # "started", "updated" or "ended"
    trigger: str
    timestamp: datetime
    evse_number: int | None = None
    connector_number: int = 1
    id_tag: str | None = None
    samples: tuple[Sample, ...] = ()
    stopped_reason: str = ""
    offline: bool = False
    reservation_id: int | None = None
    charging_state: str = ""  # a ChargingState, or empty when the step reports none


def record_transaction_step(*, station_id: int, step: TransactionStep) -> IdTagInfo | None:
    """Apply a numbered transaction step once; a replayed step changes nothing.

    The transaction is opened by the first step that names it (normally
    Started; after a lost Started, or queued events delivered out of order,
    whatever comes first) and completed by Ended. A Started that arrives late
    still decides where and when the transaction began and whose token it is,
    and the meter start is the earliest energy register of the transaction
    whichever event carried it.
    Returns the authorization of the id token the step carries, if any.
    """
    tx = _transaction_by_uid(station_id=station_id, step=step)
    try:
        with transaction.atomic():
            TransactionEvent.objects.create(
                transaction=tx,
                seq_no=step.seq_no,
                kind=step.kind,
                trigger=fit(TransactionEvent, "trigger", step.trigger),
                timestamp=step.timestamp,
                offline=step.offline,
                charging_state=step.charging_state,
            )
    except IntegrityError:  # seen before: same answer, nothing new
        return stored_tag_info(tx) if step.id_tag else None
    if step.kind == "started":
        _apply_late_start(station_id=station_id, tx=tx, step=step)
    info = _attach_id_tag(tx, step.id_tag) if step.id_tag else None
    if step.samples:
        record_transaction_readings(tx=tx, samples=list(step.samples))
        _set_meter_start(tx)
    if step.kind == "ended":
        tx.refresh_from_db()
        stop_transaction(
            station_id=station_id,
            transaction_id=tx.pk,
            meter_stop_wh=tx.last_meter_wh if tx.last_meter_wh is not None else (tx.meter_start_wh or 0),
            stopped_at=step.timestamp,
            reason=step.stopped_reason or "Local",
        )
    return info


def _transaction_by_uid(*, station_id: int, step: TransactionStep) -> Transaction:
    tx = (
        Transaction.objects.select_related("connector__evse", "id_tag")
        .filter(station_id=station_id, uid=step.uid)
        .first()
    )
    if tx is not None:
        return tx
    connector = ensure_connector(
        station_id=station_id, evse_number=step.evse_number or 1, connector_number=step.connector_number
    )
    # One transaction per EVSE: a new one ends any the charger forgot there (before its token is authorised).
    closing.end_replaced_transactions(
        evse_pk=connector.evse_id, started_at=step.timestamp, replaced_by=f"Transaction {step.uid}"
    )
    # The opening step's token is the transaction's from its first moment: nobody sees it tokenless.
    status = AuthorizationStatus.ACCEPTED
    if step.id_tag:
        status = (
            refused_by_station(station_id)
            or authorize(id_tag=step.id_tag, now=step.timestamp, station_id=station_id, evse_pk=connector.evse_id)
        ).status
    try:
        with transaction.atomic():
            tx = Transaction.objects.create(
                station_id=station_id,
                connector=connector,
                uid=step.uid,
                id_tag=IdTag.objects.filter(id_tag=step.id_tag).first() if step.id_tag else None,
                id_tag_value=fit(Transaction, "id_tag_value", step.id_tag or ""),
                authorization_status=status,
                reservation_id=step.reservation_id,
                started_at=step.timestamp,
            )
    except IntegrityError:  # opened concurrently by the same step, re-sent
        return Transaction.objects.select_related("connector__evse", "id_tag").get(station_id=station_id, uid=step.uid)
    if step.reservation_id is not None:
        Reservation.objects.filter(pk=step.reservation_id, station_id=station_id).update(status=Reservation.Status.USED)
    publish_started(tx)
    if step.id_tag:
        driver_sessions.attach_transaction(tx=tx)
    return Transaction.objects.select_related("connector__evse", "id_tag").get(pk=tx.pk)


def _apply_late_start(*, station_id: int, tx: Transaction, step: TransactionStep) -> None:
    """A Started that arrives after other steps of its transaction (queued offline events sent out of
    order, a lost Started retried) still names the start time and the EVSE: the step that opened the
    transaction only stood in for it (an Updated has no start time and often no EVSE)."""
    changes = {}
    if tx.started_at != step.timestamp:
        changes["started_at"] = step.timestamp
    if step.evse_number is not None and (tx.connector.evse.number, tx.connector.number) != (
        step.evse_number,
        step.connector_number,
    ):
        changes["connector"] = ensure_connector(
            station_id=station_id, evse_number=step.evse_number, connector_number=step.connector_number
        )
    if step.reservation_id is not None and tx.reservation_id is None:
        changes["reservation_id"] = step.reservation_id
    if not changes:
        return
    try:
        with transaction.atomic():
            Transaction.objects.filter(pk=tx.pk).update(**changes)
            if "connector" in changes:
                tx.meter_values.update(connector=changes["connector"], evse_number=step.evse_number)
    except IntegrityError:  # another transaction already started on that connector at that moment
        record_deviation(
            station_id=station_id,
            summary=f"Late Started of transaction {tx.uid} conflicts with another transaction",
            details={"uid": tx.uid, "started_at": step.timestamp.isoformat(), "evse_id": step.evse_number},
        )
        return
    tx.refresh_from_db()  # the moved connector is loaded again when next read


def _attach_id_tag(tx: Transaction, id_tag: str) -> IdTagInfo:
    """The token a 2.0.1 station names for a transaction (at start, or later when authorized)."""
    if tx.id_tag_value == id_tag:
        return stored_tag_info(tx)
    info = refused_by_station(tx.station_id) or authorize(
        id_tag=id_tag, ignore_transaction_id=tx.pk, station_id=tx.station_id
    )
    Transaction.objects.filter(pk=tx.pk).update(
        id_tag=IdTag.objects.filter(id_tag=id_tag).first(),
        id_tag_value=fit(Transaction, "id_tag_value", id_tag),
        authorization_status=info.status,
    )
    tx.refresh_from_db()
    driver_sessions.attach_transaction(tx=tx)
    if tx.status != Transaction.Status.ACTIVE:
        closing.token_named_after_the_end(tx=tx)
    return info


def _set_meter_start(tx: Transaction) -> None:
    """2.0.1 has no meterStart: the transaction's earliest energy register is its start.

    Re-read on every step that brings readings, because the earliest one may come later: a Started
    delivered after an Updated, or the Ended's TxEndedMeasurands samples that begin at the start of
    the transaction when the station sends no Transaction.Begin reading. Per-phase values are parts
    of the register, not the register.
    """
    earliest = (
        tx.meter_values.filter(measurand=ENERGY_REGISTER, phase="")
        .order_by("timestamp", "id")
        .values_list("value", flat=True)
        .first()
    )
    if earliest is not None and int(earliest) != tx.meter_start_wh:
        Transaction.objects.filter(pk=tx.pk).update(meter_start_wh=int(earliest))
        tx.meter_start_wh = int(earliest)
