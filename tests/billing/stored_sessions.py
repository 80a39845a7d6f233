"""Sessions as the CSMS stores them: a transaction, its meter values, its connector's status events."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sessions.models import IdTag, MeterValue, Transaction
from stations.models import StatusEvent

START = datetime(2024, 3, 5, 9, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Berlin


def stored_transaction(connector, *, owner=None, minutes=90, **fields) -> Transaction:
    tag = IdTag.objects.create(id_tag=f"TAG-{connector.pk}-{Transaction.objects.count()}", owner=owner)
    return Transaction.objects.create(
        station=connector.evse.station,
        connector=connector,
        id_tag=tag,
        id_tag_value=tag.id_tag,
        authorization_status="Accepted",
        started_at=START,
        stopped_at=START + timedelta(minutes=minutes),
        meter_start_wh=1_000_000,
        **fields,
    )


def sample(transaction, minutes: float, measurand: str, value: str, phase: str = "") -> None:
    MeterValue.objects.create(
        station=transaction.station,
        connector=transaction.connector,
        transaction=transaction,
        timestamp=START + timedelta(minutes=minutes),
        measurand=measurand,
        phase=phase,
        value=Decimal(value),
        raw_value=value,
    )


def status(connector, minutes: float, status: str) -> None:
    StatusEvent.objects.create(
        station=connector.evse.station, connector=connector, status=status, timestamp=START + timedelta(minutes=minutes)
    )
