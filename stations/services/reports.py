"""What a station reports about itself: firmware and diagnostics progress, vendor data, events, deviations."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from csms.columns import fit
from stations.models import ChargingStation, DataTransferMessage, DataTransferVendor, StationEvent


def record_firmware_status(*, station_id: int, status: str, now: datetime) -> None:
    ChargingStation.objects.filter(pk=station_id).update(firmware_status=status, firmware_status_at=now)
    StationEvent.objects.create(
        station_id=station_id, kind=StationEvent.Kind.FIRMWARE, summary=f"Firmware: {status}", occurred_at=now
    )


def record_diagnostics_status(*, station_id: int, status: str, now: datetime) -> None:
    ChargingStation.objects.filter(pk=station_id).update(diagnostics_status=status, diagnostics_status_at=now)
    StationEvent.objects.create(
        station_id=station_id, kind=StationEvent.Kind.DIAGNOSTICS, summary=f"Diagnostics: {status}", occurred_at=now
    )


def record_deviation(*, station_id: int, summary: str, details: dict) -> None:
    """Note that a lenient station sent something the protocol does not allow."""
    StationEvent.objects.create(
        station_id=station_id,
        kind=StationEvent.Kind.DEVIATION,
        summary=summary[:255],
        details=details,
        occurred_at=timezone.now(),
    )


@dataclass(frozen=True)
class DataTransferAnswer:
    status: str
    data: str | None = None


def receive_data_transfer(*, station_id: int, vendor_id: str, message_id: str, data: str) -> DataTransferAnswer:
    """Keep a vendor message and answer it from the vendor registry.

    A vendor we do not know gets UnknownVendorId, a known vendor with an
    unknown message id gets UnknownMessageId, as OCPP prescribes.
    """
    vendor_rules = list(DataTransferVendor.objects.filter(vendor_id=vendor_id))
    rule = next((r for r in vendor_rules if r.message_id == message_id), None) or next(
        (r for r in vendor_rules if r.message_id == ""), None
    )
    if not vendor_rules:
        answer = DataTransferAnswer(status="UnknownVendorId")
    elif rule is None:
        answer = DataTransferAnswer(status="UnknownMessageId")
    elif rule.accept:
        answer = DataTransferAnswer(status="Accepted", data=rule.response_data or None)
    else:
        answer = DataTransferAnswer(status="Rejected")
    DataTransferMessage.objects.create(
        station_id=station_id,
        vendor_id=fit(DataTransferMessage, "vendor_id", vendor_id),
        message_id=fit(DataTransferMessage, "message_id", message_id),
        data=data,
        response_status=answer.status,
    )
    return answer


def record_station_event(*, station_id: int, kind: str, summary: str, details: dict, occurred_at: datetime) -> None:
    """Keep something a station reported about itself (device events, security events, limits)."""
    StationEvent.objects.create(
        station_id=station_id, kind=kind, summary=summary[:255], details=details, occurred_at=occurred_at
    )
