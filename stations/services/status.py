"""Status reports of a station and its connectors, ordered by the station's clock while it can be trusted."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from csms import lifecycle
from csms.columns import fit
from stations.events import ConnectorStatusChanged, StationStatusChanged
from stations.models import ChargingStation, Connector, StatusEvent
from stations.services.evses import ensure_connector
from stations.services.reports import record_deviation


@dataclass(frozen=True)
class StatusReport:
    status: str
    error_code: str = ""
    info: str = ""
    vendor_id: str = ""
    vendor_error_code: str = ""


def record_status(
    *,
    station_id: int,
    evse_number: int,
    connector_number: int,
    report: StatusReport,
    timestamp: datetime,
    received_at: datetime | None = None,
) -> None:
    """Apply a status report and keep it as an event.

    evse_number 0 is the station as a whole. A report older than the state we
    hold (a queued notification delivered late) is kept as history but does
    not overwrite the newer current state. Reports are ordered by the
    station's clock only while that clock can be trusted (see
    `_trusted_time`); otherwise by their arrival, so one report dated in
    2099 cannot freeze every later one. Raises UnknownEvse, storing nothing,
    for a connector the station does not have.
    """
    received_at = received_at or timezone.now()
    known = (
        ensure_connector(station_id=station_id, evse_number=evse_number, connector_number=connector_number)
        if evse_number
        else None
    )
    at = _trusted_time(station_id=station_id, reported=timestamp, received_at=received_at)
    by_arrival = at != timestamp
    with transaction.atomic():
        if known is None:
            station = ChargingStation.objects.select_for_update().get(pk=station_id)
            previous, target, connector = station.status, station, None
        else:
            connector = Connector.objects.select_for_update().get(pk=known.pk)
            previous, target = connector.status, connector
        report = StatusReport(**{field: fit(StatusEvent, field, value) for field, value in vars(report).items()})
        StatusEvent.objects.create(
            station_id=station_id,
            connector=connector,
            status=report.status,
            previous_status=previous,
            error_code=report.error_code,
            vendor_error_code=report.vendor_error_code,
            vendor_id=report.vendor_id,
            info=report.info,
            timestamp=at,
            station_timestamp=timestamp,
        )
        if _holds_newer(target, at, received_at=received_at):
            return
        target.status = report.status
        target.error_code = report.error_code
        target.status_updated_at = at
        target.status_by_arrival = by_arrival
        fields = ["status", "error_code", "status_updated_at", "status_by_arrival"]
        if connector is not None:
            connector.vendor_error_code = report.vendor_error_code
            connector.vendor_id = report.vendor_id
            connector.info = report.info
            fields += ["vendor_error_code", "vendor_id", "info"]
        target.save(update_fields=fields)
    if connector is None:
        lifecycle.publish(
            StationStatusChanged(station_id=station_id, status=report.status, error_code=report.error_code, at=at)
        )
    else:
        lifecycle.publish(
            ConnectorStatusChanged(
                station_id=station_id,
                evse_number=evse_number,
                connector_number=connector_number,
                status=report.status,
                error_code=report.error_code,
                at=at,
            )
        )


# No OCPP-J message can be older than OCPP 1.6J itself (published in 2015): a time before this is
# an unset clock (a charger without a real-time clock counting from 1970 or 2000 after a reboot).
CLOCK_FLOOR = datetime(2015, 1, 1, tzinfo=UTC)


def _trusted_time(*, station_id: int, reported: datetime, received_at: datetime) -> datetime:
    """The station's time if its clock is sane, else our receipt time; an untrusted clock is recorded.

    A time later than ours by more than OCPP_CLOCK_SKEW_TOLERANCE cannot be
    true (no report comes from the future); a time before CLOCK_FLOOR is a
    clock that was never set. Any other earlier time is believed: queued
    reports of an offline station are legitimately late. The skew is kept
    on the station, and a deviation is recorded when it first appears or
    changes by more than the tolerance, not for every report.
    """
    tolerance = timedelta(seconds=settings.OCPP_CLOCK_SKEW_TOLERANCE)
    skew = round((reported - received_at).total_seconds())
    # A read, and a write only when the skew changes: most reports come from sane clocks, and on
    # SQLite even an UPDATE that matches nothing takes the database's write lock.
    known = ChargingStation.objects.filter(pk=station_id).values_list("clock_skew_seconds", flat=True).first()
    if CLOCK_FLOOR <= reported <= received_at + tolerance:
        if known is not None and abs(skew) <= tolerance.total_seconds():
            ChargingStation.objects.filter(pk=station_id).update(clock_skew_seconds=None)
        return reported
    if known is None or abs(known - skew) > tolerance.total_seconds():
        ChargingStation.objects.filter(pk=station_id).update(clock_skew_seconds=skew)
        record_deviation(
            station_id=station_id,
            summary=f"Clock skew: station time {reported.isoformat()} is {skew:+d} s from ours; reports ordered by arrival",
            details={"reported": reported.isoformat(), "received_at": received_at.isoformat(), "skew_seconds": skew},
        )
    return received_at


def _holds_newer(target: ChargingStation | Connector, at: datetime, *, received_at: datetime) -> bool:
    """Whether the state we hold is newer than a report at `at`.

    A state ordered by its arrival yields to any report the station dated
    within the tolerance of that arrival (two clocks cannot be ordered more
    finely). A state dated beyond the tolerance ahead of us (kept before
    clocks were checked) is newer than nothing.
    """
    tolerance = timedelta(seconds=settings.OCPP_CLOCK_SKEW_TOLERANCE)
    current = target.status_updated_at
    if current is None or current > received_at + tolerance:
        return False
    if target.status_by_arrival:
        current -= tolerance
    return current > at
