"""Meter values: storing sampled readings once, and the latest reading per measurand on the transaction."""

from django.utils import timezone

from csms import lifecycle
from csms.columns import fit
from sessions import closing
from sessions.events import MeterReadingsRecorded
from sessions.meter import ENERGY_REGISTER, POWER_IMPORT, STATE_OF_CHARGE, NormalisedSample, Sample, normalise
from sessions.models import MeterValue, Transaction
from stations.services.evses import ensure_connector
from stations.services.reports import record_deviation


def record_meter_values(
    *, station_id: int, evse_number: int, transaction_id: int | None, samples: list[Sample]
) -> None:
    """Store sampled values once (a replay adds nothing).

    Values for a transaction this station does not have are kept as station
    values (and the mismatch noted) rather than lost.
    """
    tx = None
    if transaction_id is not None:
        tx = Transaction.objects.filter(pk=transaction_id, station_id=station_id).first()
        if tx is None:
            record_deviation(
                station_id=station_id,
                summary=f"Meter values for unknown transaction {transaction_id}",
                details={"transaction_id": transaction_id},
            )
    _store(station_id=station_id, evse_number=evse_number, tx=tx, samples=samples)


def record_transaction_readings(*, tx: Transaction, samples: list[Sample]) -> None:
    """The readings a transaction's own message carries (a 1.6 stop's transactionData, a 2.0.1
    TransactionEvent's meter values), for a transaction the caller has already read."""
    _store(station_id=tx.station_id, evse_number=tx.connector.evse.number, tx=tx, samples=samples)


def _store(*, station_id: int, evse_number: int, tx: Transaction | None, samples: list[Sample]) -> None:
    normalised = [normalise(s) for s in samples]
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
