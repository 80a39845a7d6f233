"""Writes about stations: registration, connections, boots, status, firmware.

Called by the OCPP handlers with plain values; none of this knows OCPP
message shapes.
"""
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from csms.columns import fit
from stations import events
from stations.hashers import StationPasswordHasher
from stations.models import (
    ChargingStation,
    CompositeSchedule,
    ConfigurationKey,
    Connector,
    DataTransferMessage,
    DataTransferVendor,
    DeviceModelVariable,
    Evse,
    NetworkSettings,
    RegistrationStatus,
    StationEvent,
    StatusEvent,
)


# The longest charge point id a station can have.
CHARGE_POINT_ID_MAX_LENGTH = ChargingStation._meta.get_field("charge_point_id").max_length


class StationRefused(Exception):
    """A charger may not connect; `reason` says why (for the log and the operators, not the charger)."""

    class Reason(models.TextChoices):
        UNKNOWN_STATION = "unknown_station", "unknown station id"
        WRONG_PASSWORD = "wrong_password", "wrong password"
        NO_PASSWORD_SET = "no_password_set", "the station has no password set"
        INVALID_ID = "invalid_id", "charge point id too long to register"

    def __init__(self, reason: "StationRefused.Reason"):
        super().__init__(reason.label)
        self.reason = reason


def authenticate_station(*, charge_point_id: str, password: str) -> ChargingStation:
    """Check a connecting charger's HTTP Basic password (OCPP security profile 1).

    Unknown ids are refused unless the operator turned on auto-registration;
    then the station is created Pending, keeping the password it presented.
    Every outcome costs one password hash, so how long a refusal takes does
    not tell a guesser which station ids exist.
    """
    station = ChargingStation.objects.filter(charge_point_id=charge_point_id).first()
    if station is None:
        return _auto_register(charge_point_id=charge_point_id, password=password)
    matches = check_password(password, station.password_hash or _dummy_hash())
    if not station.password_hash:
        raise StationRefused(StationRefused.Reason.NO_PASSWORD_SET)
    if not matches:
        raise StationRefused(StationRefused.Reason.WRONG_PASSWORD)
    return station


@cache
def _dummy_hash() -> str:
    """A station-password hash of nothing anyone knows: checked where there is no real one."""
    return make_password(secrets.token_urlsafe(32), hasher=StationPasswordHasher.algorithm)


def _auto_register(*, charge_point_id: str, password: str) -> ChargingStation:
    if not NetworkSettings.current().auto_register_stations:
        check_password(password, _dummy_hash())  # the same work as for a known id
        raise StationRefused(StationRefused.Reason.UNKNOWN_STATION)
    if len(charge_point_id) > CHARGE_POINT_ID_MAX_LENGTH:
        raise StationRefused(StationRefused.Reason.INVALID_ID)
    station = ChargingStation(
        charge_point_id=charge_point_id,
        registration_status=RegistrationStatus.PENDING,
        auto_registered=True,
    )
    station.set_password(password)
    try:
        station.save()
    except IntegrityError:  # two first connects raced; the other one registered it
        return authenticate_station(charge_point_id=charge_point_id, password=password)
    return station


def provision_station(
    *, charge_point_id: str, password: str, location=None, evse_count: int = 1, max_power_w: int = 22_000
) -> ChargingStation:
    """Create an accepted station with its EVSEs, ready for its charger to connect."""
    with transaction.atomic():
        station = ChargingStation(charge_point_id=charge_point_id, location=location)
        station.set_password(password)
        station.save()
        for number in range(1, evse_count + 1):
            evse = Evse.objects.create(station=station, evse_id=number)
            Connector.objects.create(evse=evse, connector_id=1, max_power_w=max_power_w)
    return station


def station_connected(*, station_id: int, channel_name: str, ocpp_version: str) -> None:
    now = timezone.now()
    ChargingStation.objects.filter(pk=station_id).update(
        connection_channel=channel_name, connected_at=now, ocpp_version=ocpp_version
    )
    events.connection_changed(station_id=station_id, connected=True)


def station_disconnected(*, station_id: int, channel_name: str) -> None:
    """Mark the station offline, unless a newer connection already took its place."""
    updated = ChargingStation.objects.filter(pk=station_id, connection_channel=channel_name).update(
        connection_channel="", disconnected_at=timezone.now()
    )
    if updated:
        events.connection_changed(station_id=station_id, connected=False)


def mark_silent_stations_offline(*, now: datetime | None = None) -> int:
    """Clear connections whose station stopped talking (a crashed server process, a dead link)."""
    now = now or timezone.now()
    limit = settings.OCPP_OFFLINE_AFTER_HEARTBEATS
    default_window = timedelta(seconds=settings.OCPP_HEARTBEAT_INTERVAL * limit)
    silent = ChargingStation.objects.exclude(connection_channel="").filter(
        Q(last_heartbeat_at__lt=now - default_window) | Q(last_heartbeat_at__isnull=True, connected_at__lt=now - default_window)
    )
    ids = list(silent.values_list("pk", flat=True))
    ChargingStation.objects.filter(pk__in=ids).update(connection_channel="", disconnected_at=now)
    for station_id in ids:
        events.connection_changed(station_id=station_id, connected=False)
    return len(ids)


@dataclass(frozen=True)
class BootInfo:
    vendor: str
    model: str
    serial_number: str = ""
    charge_box_serial_number: str = ""
    firmware_version: str = ""
    iccid: str = ""
    imsi: str = ""
    meter_type: str = ""
    meter_serial_number: str = ""


@dataclass(frozen=True)
class BootDecision:
    status: str
    interval: int


def record_boot(*, station_id: int, info: BootInfo, now: datetime) -> BootDecision:
    """Keep what the charger says about itself and tell it whether it is accepted."""
    station = ChargingStation.objects.get(pk=station_id)
    status = station.registration_status
    interval = (
        settings.OCPP_HEARTBEAT_INTERVAL if status == RegistrationStatus.ACCEPTED else settings.OCPP_PENDING_RETRY_INTERVAL
    )
    for field, value in vars(info).items():
        setattr(station, field, fit(ChargingStation, field, value))
    station.last_boot_at = now
    station.last_heartbeat_at = now
    station.heartbeat_interval = interval
    station.save()
    StationEvent.objects.create(
        station=station, kind=StationEvent.Kind.BOOT, summary=f"Boot: {status}", details=vars(info), occurred_at=now
    )
    return BootDecision(status=status, interval=interval)


def record_heartbeat(*, station_id: int, now: datetime) -> None:
    ChargingStation.objects.filter(pk=station_id).update(last_heartbeat_at=now)


def ensure_connector(*, station_id: int, evse_id: int, connector_id: int = 1) -> Connector:
    """The connector a station reports, created on first mention: chargers know their hardware."""
    connector = Connector.objects.filter(
        evse__station_id=station_id, evse__evse_id=evse_id, connector_id=connector_id
    ).first()
    if connector is None:
        evse, _ = Evse.objects.get_or_create(station_id=station_id, evse_id=evse_id)
        connector, _ = Connector.objects.get_or_create(evse=evse, connector_id=connector_id)
    return connector


@dataclass(frozen=True)
class StatusReport:
    status: str
    error_code: str = ""
    info: str = ""
    vendor_id: str = ""
    vendor_error_code: str = ""


def record_status(
    *, station_id: int, evse_id: int, connector_id: int, report: StatusReport, timestamp: datetime
) -> None:
    """Apply a status report and keep it as an event.

    evse_id 0 is the station as a whole. A report older than the state we
    hold (a queued notification delivered late) is kept as history but does
    not overwrite the newer current state.
    """
    with transaction.atomic():
        if evse_id == 0:
            station = ChargingStation.objects.select_for_update().get(pk=station_id)
            previous, target, connector = station.status, station, None
        else:
            connector = ensure_connector(station_id=station_id, evse_id=evse_id, connector_id=connector_id)
            connector = Connector.objects.select_for_update().get(pk=connector.pk)
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
            timestamp=timestamp,
        )
        if target.status_updated_at and target.status_updated_at > timestamp:
            return
        target.status = report.status
        target.error_code = report.error_code
        target.status_updated_at = timestamp
        fields = ["status", "error_code", "status_updated_at"]
        if connector is not None:
            connector.vendor_error_code = report.vendor_error_code
            connector.vendor_id = report.vendor_id
            connector.info = report.info
            fields += ["vendor_error_code", "vendor_id", "info"]
        target.save(update_fields=fields)
    events.status_changed(
        station_id=station_id,
        evse_id=evse_id,
        connector_id=connector_id,
        status=report.status,
        error_code=report.error_code,
        at=timestamp,
    )


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


def record_configuration(*, station_id: int, keys: list[dict], unknown: list[str]) -> None:
    """Keep the configuration a station reported; keys it says it does not know are dropped."""
    with transaction.atomic():
        for entry in keys:
            ConfigurationKey.objects.update_or_create(
                station_id=station_id,
                key=entry["key"],
                defaults={"value": entry.get("value"), "readonly": entry.get("readonly", False)},
            )
        ConfigurationKey.objects.filter(station_id=station_id, key__in=unknown).delete()


def record_configuration_change(*, station_id: int, key: str, value: str) -> None:
    ConfigurationKey.objects.update_or_create(station_id=station_id, key=key, defaults={"value": value})


def record_composite_schedule(*, station_id: int, evse_id: int, status: str, schedule: dict | None) -> CompositeSchedule:
    return CompositeSchedule.objects.create(station_id=station_id, evse_id=evse_id, status=status, schedule=schedule)


def record_local_list_version(*, station_id: int, version: int) -> None:
    ChargingStation.objects.filter(pk=station_id).update(local_list_version=version)


@dataclass(frozen=True)
class DeviceModelAttribute:
    component: str
    variable: str
    value: str | None
    attribute_type: str = "Actual"
    component_instance: str = ""
    evse_id: int = 0
    connector_id: int = 0
    variable_instance: str = ""
    mutability: str = ""
    data_type: str = ""
    unit: str = ""


def record_device_model(*, station_id: int, attributes: list[DeviceModelAttribute]) -> None:
    """Keep a 2.0.1 station's reported device model, one row per variable attribute."""
    with transaction.atomic():
        for attribute in attributes:
            key = {
                "station_id": station_id,
                "component": attribute.component,
                "component_instance": attribute.component_instance,
                "evse_id": attribute.evse_id,
                "connector_id": attribute.connector_id,
                "variable": attribute.variable,
                "variable_instance": attribute.variable_instance,
                "attribute_type": attribute.attribute_type,
            }
            details = {"value": attribute.value, "mutability": attribute.mutability, "data_type": attribute.data_type, "unit": attribute.unit}
            DeviceModelVariable.objects.update_or_create(**key, defaults=details)


def record_station_event(*, station_id: int, kind: str, summary: str, details: dict, occurred_at: datetime) -> None:
    """Keep something a station reported about itself (device events, security events, limits)."""
    StationEvent.objects.create(station_id=station_id, kind=kind, summary=summary[:255], details=details, occurred_at=occurred_at)
