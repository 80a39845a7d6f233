"""Transactions and meter values: the writes behind a charging session (authorization: sessions.authorization).

Every write here is idempotent, because chargers replay messages after a
lost answer: a replayed start returns the transaction it already opened, a
replayed meter value adds nothing, a replayed stop changes nothing.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from csms import lifecycle
from csms.columns import fit
from sessions import closing, driver_sessions
from sessions.authorization import IdTagInfo, authorize
from sessions.events import MeterReadingsRecorded, TransactionStarted
from sessions.meter import ENERGY_REGISTER, POWER_IMPORT, STATE_OF_CHARGE, NormalisedSample, Sample, normalise
from sessions.models import AuthorizationStatus, IdTag, MeterValue, Reservation, Transaction, TransactionEvent
from stations.selectors import is_accepted
from stations.services.evses import ensure_connector
from stations.services.reports import record_deviation


def _refused_by_station(station_id: int) -> IdTagInfo | None:
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
        return StartedTransaction(existing, _stored_info(existing), replayed=True)
    # Before authorizing: the card of a transaction this start replaces is free again.
    closing.end_replaced_transactions(
        evse_pk=connector.evse_id, started_at=started_at, replaced_by=f"A transaction of {id_tag_value}"
    )
    info = _refused_by_station(station_id) or authorize(id_tag=id_tag, now=started_at)
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
        return StartedTransaction(tx, _stored_info(tx), replayed=True)
    if reservation_id is not None:
        Reservation.objects.filter(pk=reservation_id, station_id=station_id).update(status=Reservation.Status.USED)
    _published_start(tx)
    driver_sessions.attach_transaction(tx=tx)
    return StartedTransaction(tx, info, replayed=False)


def _published_start(tx: Transaction) -> None:
    lifecycle.publish(TransactionStarted(transaction_id=tx.pk, station_id=tx.station_id, connector_id=tx.connector_id))


def _stored_info(tx: Transaction) -> IdTagInfo:
    tag = tx.id_tag
    return IdTagInfo(
        status=tx.authorization_status,
        expires_at=tag.expires_at if tag else None,
        parent_id_tag=tag.parent.id_tag if tag and tag.parent else None,
    )


def record_meter_values(
    *, station_id: int, evse_number: int, transaction_id: int | None, samples: list[Sample]
) -> None:
    """Store sampled values once (a replay adds nothing).

    Values for a transaction this station does not have are kept as station
    values (and the mismatch noted) rather than lost.
    """
    normalised = [normalise(s) for s in samples]
    tx = None
    if transaction_id is not None:
        tx = Transaction.objects.filter(pk=transaction_id, station_id=station_id).first()
        if tx is None:
            record_deviation(
                station_id=station_id,
                summary=f"Meter values for unknown transaction {transaction_id}",
                details={"transaction_id": transaction_id},
            )
    if tx is not None:
        connector_id = tx.connector_id
    elif evse_number:
        connector_id = ensure_connector(station_id=station_id, evse_number=evse_number).pk
    else:
        connector_id = None  # the station's main meter
    rows = [
        MeterValue(
            station_id=station_id,
            connector_id=connector_id,
            transaction=tx,
            evse_number=evse_number,
            timestamp=n.sample.timestamp,
            measurand=fit(MeterValue, "measurand", n.sample.measurand),
            phase=fit(MeterValue, "phase", n.sample.phase),
            location=fit(MeterValue, "location", n.sample.location),
            context=fit(MeterValue, "context", n.sample.context),
            unit=fit(MeterValue, "unit", n.unit),
            value=n.value,
            raw_value=fit(MeterValue, "raw_value", str(n.sample.value)),
            raw_unit=fit(MeterValue, "raw_unit", n.sample.unit),
        )
        for n in normalised
    ]
    MeterValue.objects.bulk_create(rows, ignore_conflicts=True)
    if tx is not None and normalised:
        _update_latest_readings(tx, normalised)


def _update_latest_readings(tx: Transaction, normalised: list[NormalisedSample]) -> None:
    """Keep the newest reading per measurand on the transaction for live views.

    A completed transaction's readings are history only: its last reading is its meter stop, which
    a stop replayed with its transactionData (or values queued past the stop) must not move back.
    """
    if tx.status != Transaction.Status.ACTIVE:
        return
    latest = {}
    for n in sorted(normalised, key=lambda n: n.sample.timestamp):
        if not n.sample.phase:  # per-phase values are parts; only the totals are "the" reading
            latest[n.sample.measurand] = n
    newest = max(n.sample.timestamp for n in normalised)
    heard_at = timezone.now()  # our clock: what the sweep for silent transactions reads
    if tx.last_reading_at and tx.last_reading_at > newest:
        # late, queued values: history is stored, the live view keeps the newer reading
        Transaction.objects.filter(pk=tx.pk).update(updated_at=heard_at)
        _published_readings(tx)
        return
    changes = {"last_reading_at": newest, "updated_at": heard_at}
    if ENERGY_REGISTER in latest:
        changes["last_meter_wh"] = int(latest[ENERGY_REGISTER].value)
        if changes["last_meter_wh"] < (tx.last_meter_wh or 0):  # a meter reset
            changes["meter_drop_wh"] = closing.register_drop_wh(tx=tx)
    if POWER_IMPORT in latest:
        changes["last_power_w"] = int(latest[POWER_IMPORT].value)
    if STATE_OF_CHARGE in latest:
        changes["last_soc_percent"] = int(latest[STATE_OF_CHARGE].value)
    Transaction.objects.filter(pk=tx.pk).update(**changes)
    for field, value in changes.items():
        setattr(tx, field, value)
    _published_readings(tx)


def _published_readings(tx: Transaction) -> None:
    """Readings change what the session costs so far (priced by a subscriber) and what live views show."""
    lifecycle.publish(MeterReadingsRecorded(transaction_id=tx.pk, station_id=tx.station_id))


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
        record_meter_values(
            station_id=station_id, evse_number=tx.connector.evse.number, transaction_id=tx.pk, samples=list(samples)
        )
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


def create_reservation(*, station_id: int, evse_number: int, id_tag: str, expires_at: datetime) -> Reservation:
    """A reservation to send with ReserveNow; its primary key is the reservationId."""
    return Reservation.objects.create(
        station_id=station_id, evse_number=evse_number, id_tag=id_tag, expires_at=expires_at
    )


def record_reservation_answer(*, reservation_id: int, answer: str) -> None:
    status = Reservation.Status.ACCEPTED if answer == "Accepted" else Reservation.Status.REFUSED
    Reservation.objects.filter(pk=reservation_id).update(status=status, station_answer=answer)


def cancel_reservation(*, reservation_id: int) -> None:
    Reservation.objects.filter(pk=reservation_id).update(status=Reservation.Status.CANCELLED)


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
        return _stored_info(tx) if step.id_tag else None
    if step.kind == "started":
        _apply_late_start(station_id=station_id, tx=tx, step=step)
    info = _attach_id_tag(tx, step.id_tag) if step.id_tag else None
    if step.samples:
        record_meter_values(
            station_id=station_id,
            evse_number=tx.connector.evse.number,
            transaction_id=tx.pk,
            samples=list(step.samples),
        )
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
        status = (_refused_by_station(station_id) or authorize(id_tag=step.id_tag, now=step.timestamp)).status
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
    _published_start(tx)
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
        return _stored_info(tx)
    info = _refused_by_station(tx.station_id) or authorize(id_tag=id_tag, ignore_transaction_id=tx.pk)
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


def end_reservation(*, station_id: int, reservation_id: int, expired: bool) -> None:
    """The station ended a reservation itself: it expired, or was removed."""
    status = Reservation.Status.EXPIRED if expired else Reservation.Status.CANCELLED
    Reservation.objects.filter(pk=reservation_id, station_id=station_id).update(status=status)
