"""Ending transactions: from the charger's stop, or without it when the charger forgot it.

A charger that crashes, loses its storage or is simply replaced never sends
the stop of the transaction it was running. Left open, such a transaction
holds the driver's session, the EVSE and the card (ConcurrentTx) for good.
`end_without_stop` is the one way the CSMS closes it: from its last
reading, billed and told like any other end, with the reason kept for
operators. Its callers decide when a transaction is over: a new start on
its EVSE, the charger's reboot, silence, an operator.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from csms import lifecycle
from csms.columns import fit
from sessions import driver_sessions
from sessions.events import TransactionStopped
from sessions.meter import ENERGY_REGISTER
from sessions.models import Transaction
from stations.models import ConnectorStatus
from stations.services.reports import record_deviation

logger = logging.getLogger(__name__)

EndedWithoutStop = Transaction.EndedWithoutStop


def complete_transaction(
    *,
    tx: Transaction,
    meter_stop_wh: int | None,
    stopped_at: datetime,
    reason: str,
    stop_id_tag: str = "",
    end_note: str = "",
) -> bool:
    """Complete an active transaction once: store its end, complete the driver's session, tell everyone.

    Billing hears of it (TransactionStopped) after commit and seals, settles and
    invoices in the background: the charger's stop is answered without pricing.

    False when it was no longer active (a replayed or late stop): nothing changes.
    A register that went backwards (a meter reset or replacement) is recorded;
    its fall is added back so the energy is what was metered, never negative.
    """
    if tx.status != Transaction.Status.ACTIVE:  # a replayed or late stop: no need to read its meter values
        return False
    drop = register_drop_wh(tx=tx, end_wh=meter_stop_wh, end_at=stopped_at)
    completed = Transaction.objects.filter(pk=tx.pk, status=Transaction.Status.ACTIVE).update(
        status=Transaction.Status.COMPLETED,
        meter_stop_wh=meter_stop_wh,
        last_meter_wh=meter_stop_wh,
        stopped_at=stopped_at,
        stop_reason=fit(Transaction, "stop_reason", reason),
        stop_id_tag_value=fit(Transaction, "stop_id_tag_value", stop_id_tag),
        end_note=fit(Transaction, "end_note", end_note),
        meter_drop_wh=drop,
        updated_at=timezone.now(),
    )
    if not completed:
        return False
    tx.refresh_from_db()
    if drop:
        record_deviation(
            station_id=tx.station_id,
            summary=f"Meter reset in transaction {tx.pk}: the register went back {drop} Wh",
            details={
                "transaction_id": tx.pk,
                "meter_start_wh": tx.meter_start_wh,
                "meter_stop_wh": meter_stop_wh,
                "drop_wh": drop,
            },
        )
    _stopped(tx)
    return True


def _stopped(tx: Transaction) -> None:
    driver_sessions.complete(tx=tx)
    # Last: a subscriber that settles the driver's payment finds the driver's session complete.
    lifecycle.publish(TransactionStopped(transaction_id=tx.pk, station_id=tx.station_id))


def token_named_after_the_end(*, tx: Transaction) -> None:
    """A 2.0.1 station sent the Started that names the token after the Ended (queued events out of
    order): the driver's session the token opens is already over. It is completed, and billing hears of
    the stop again so that it settles that session (its chain is idempotent by transaction)."""
    _stopped(tx)


def register_drop_wh(*, tx: Transaction, end_wh: int | None = None, end_at: datetime | None = None) -> int:
    """How far the energy register fell during the transaction, summed over each fall.

    The register series is the one billing prices: meter start, the readings
    in between, meter stop. Energy = end - start + falls = the sum of the rises.
    """
    rows = tx.meter_values.filter(measurand=ENERGY_REGISTER, phase="", timestamp__gte=tx.started_at)
    if end_at is not None and end_at >= tx.started_at:
        rows = rows.filter(timestamp__lte=end_at)
    register = dict(rows.values_list("timestamp", "value"))
    if tx.meter_start_wh is not None:
        register[tx.started_at] = tx.meter_start_wh
    series = [register[moment] for moment in sorted(register)]
    if end_wh is not None:  # the stop ends the series, even when a reset clock dated it before the start
        series.append(end_wh)
    return int(sum(max(0, before - after) for before, after in zip(series, series[1:])))


def end_without_stop(*, transaction_id: int, reason: str, note: str, ended_at: datetime | None = None) -> bool:
    """Close a transaction the charger will never stop, from its last reading; False if it was not active.

    Meter stop is the last register known (what was metered is billed, nothing
    guessed). It ends at `ended_at` (the new start that replaced it), never
    before its last reading; without one, at its last reading: time after a
    crash or a silence is not the driver's session. Billing, the driver's
    session and the live events follow the same path as a charger's stop, and
    a deviation tells operators why it ended.
    """
    tx = Transaction.objects.filter(pk=transaction_id, status=Transaction.Status.ACTIVE).first()
    if tx is None:
        return False
    last_heard = max(moment for moment in (tx.started_at, tx.last_reading_at) if moment is not None)
    stopped_at = max(ended_at, last_heard) if ended_at is not None else last_heard
    meter_stop_wh = tx.last_meter_wh if tx.last_meter_wh is not None else tx.meter_start_wh
    if not complete_transaction(
        tx=tx, meter_stop_wh=meter_stop_wh, stopped_at=stopped_at, reason=reason, end_note=note
    ):
        return False
    record_deviation(
        station_id=tx.station_id,
        summary=f"Transaction {tx.pk} ended without a stop: {EndedWithoutStop(reason).label}",
        details={
            "transaction_id": tx.pk,
            "reason": reason,
            "note": note,
            "meter_stop_wh": meter_stop_wh,
            "stopped_at": stopped_at.isoformat(),
        },
    )
    logger.info("transaction %s ended without a stop (%s): %s", tx.pk, reason, note)
    return True


def end_replaced_transactions(*, evse_pk: int, started_at: datetime, replaced_by: str) -> None:
    """A charger runs one transaction per EVSE: one that starts ends any still open there that started before it."""
    open_before = Transaction.objects.filter(
        connector__evse_id=evse_pk, status=Transaction.Status.ACTIVE, started_at__lte=started_at
    ).values_list("pk", flat=True)
    for transaction_id in open_before:
        end_without_stop(
            transaction_id=transaction_id,
            reason=EndedWithoutStop.NEW_START,
            ended_at=started_at,
            note=f"{replaced_by} started on the same EVSE",
        )


def end_transactions_lost_in_reboot(*, station_id: int, evse_number: int, status: str) -> None:
    """A rebooted charger that reports an EVSE free has no transaction there any more.

    A transaction opened there before the boot was lost with the charger's
    memory: it is ended, so the card, the EVSE and the driver are free again.
    One opened after the boot (a start queued while offline) is left alone.
    """
    if evse_number == 0 or status not in ConnectorStatus.without_transaction():
        return
    lost = Transaction.objects.filter(  # one query per such status: almost always it finds nothing
        station_id=station_id,
        connector__evse__number=evse_number,
        status=Transaction.Status.ACTIVE,
        created_at__lt=F("station__last_boot_at"),
    ).values_list("pk", "station__last_boot_at")
    for transaction_id, booted_at in lost:
        end_without_stop(
            transaction_id=transaction_id,
            reason=EndedWithoutStop.REBOOT,
            note=f"The charger rebooted at {booted_at.isoformat()} and reported EVSE {evse_number} {status}",
        )


def end_stale_transactions(*, now: datetime | None = None) -> int:
    """End the active transactions nothing was heard of for OCPP_TRANSACTION_STALE_AFTER seconds.

    Silence is measured on our clock (when a reading or event last arrived),
    never the charger's, which may be wrong or unset. Returns how many ended.
    """
    now = now or timezone.now()
    window = settings.OCPP_TRANSACTION_STALE_AFTER
    cutoff = now - timedelta(seconds=window)
    silent = (
        Transaction.objects.filter(status=Transaction.Status.ACTIVE, updated_at__lt=cutoff)
        .exclude(events__received_at__gte=cutoff)
        .values_list("pk", flat=True)
    )
    note = f"No reading or message for {window} s"
    return sum(end_without_stop(transaction_id=pk, reason=EndedWithoutStop.STALE, note=note) for pk in list(silent))


def force_close(*, transaction_id: int, reason: str, operator: str) -> bool:
    """An operator's close of a transaction stuck open; the reason is kept with the operator's name."""
    return end_without_stop(transaction_id=transaction_id, reason=EndedWithoutStop.FORCED, note=f"{operator}: {reason}")
