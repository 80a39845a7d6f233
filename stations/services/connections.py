"""Writes about stations: registration, connections, boots, status, firmware.

Called by the OCPP handlers with plain values; none of this knows OCPP
message shapes.
"""

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from csms import lifecycle, processes
from csms.columns import fit
from csms.ocpp.commands import ConfigurationRead
from stations.events import (
    ConnectorStatusChanged,
    RegistrationChanged,
    StationConnected,
    StationDisconnected,
    StationStatusChanged,
)
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
            evse = Evse.objects.create(station=station, number=number)
            Connector.objects.create(evse=evse, number=1, max_power_w=max_power_w)
    return station


def station_connected(*, station_id: int, channel_name: str, ocpp_version: str, since: datetime | None = None) -> bool:
    """Record the socket that holds the station now; False when a newer connection holds it.

    In a reconnect storm several handshakes of one station overlap and finish in
    any order. The newest handshake (by `since`, when it arrived; the channel name
    breaks a tie) wins, whatever order they are recorded in: an older one recorded
    later does not take the station over, and must close.
    """
    since = since or timezone.now()
    takes_over = (
        Q(connection_channel="")
        | Q(connected_at__isnull=True)
        | Q(connected_at__lt=since)
        | Q(connected_at=since, connection_channel__lt=channel_name)
    )
    recorded = ChargingStation.objects.filter(takes_over, pk=station_id).update(
        connection_channel=channel_name, connected_at=since, ocpp_version=ocpp_version
    )
    if recorded:
        lifecycle.publish(StationConnected(station_id=station_id))
    return bool(recorded)


def station_disconnected(*, station_id: int, channel_name: str) -> None:
    """Mark the station offline, unless a newer connection already took its place."""
    updated = ChargingStation.objects.filter(pk=station_id, connection_channel=channel_name).update(
        connection_channel="", disconnected_at=timezone.now()
    )
    if updated:
        lifecycle.publish(StationDisconnected(station_id=station_id))


def clear_dead_connections() -> int:
    """Mark offline the stations whose socket was held by a server process that died.

    Their sockets died with the process; each is cleared only if it is still the
    recorded one (the station may have reconnected to a live process meanwhile).
    """
    online = [
        (station_id, channel, processes.process_of(channel))
        for station_id, channel in ChargingStation.objects.exclude(connection_channel="").values_list(
            "pk", "connection_channel"
        )
    ]
    dead = processes.dead_processes(process for _, _, process in online)
    cleared = 0
    for station_id, channel, process in online:
        if process in dead:
            station_disconnected(station_id=station_id, channel_name=channel)
            cleared += 1
    return cleared


def mark_silent_stations_offline(*, now: datetime | None = None) -> int:
    """Clear connections whose station stopped talking (a dead link the server did not notice).

    Silence counts from the later of the last heartbeat and the connection: a station
    that reconnects after a long absence is not silent. Each connection is cleared only
    if it is still the recorded one.
    """
    now = now or timezone.now()
    limit = settings.OCPP_OFFLINE_AFTER_HEARTBEATS
    window_start = now - timedelta(seconds=settings.OCPP_HEARTBEAT_INTERVAL * limit)
    silent = (
        ChargingStation.objects.exclude(connection_channel="")
        .filter(Q(connected_at__isnull=True) | Q(connected_at__lt=window_start))
        .filter(Q(last_heartbeat_at__isnull=True) | Q(last_heartbeat_at__lt=window_start))
    )
    cleared = 0
    for station_id, channel in list(silent.values_list("pk", "connection_channel")):
        updated = ChargingStation.objects.filter(pk=station_id, connection_channel=channel).update(
            connection_channel="", disconnected_at=now
        )
        if updated:
            lifecycle.publish(StationDisconnected(station_id=station_id))
            cleared += 1
    return cleared


def change_registration(*, station_ids: list[int], status: str, by: str = "") -> int:
    """Accept, hold pending or reject stations: the operator's decision, for each station
    whose status it changes. Kept as a station event and published, so that the OCPP
    layer closes the socket of a station that is no longer Accepted (it reconnects and
    is answered by its new status). Returns how many changed."""
    if status not in RegistrationStatus.values:
        raise ValueError(f"unknown registration status {status!r}")
    now = timezone.now()
    changed = []
    with transaction.atomic():
        for station in (
            ChargingStation.objects.select_for_update().filter(pk__in=station_ids).exclude(registration_status=status)
        ):
            previous = station.registration_status
            ChargingStation.objects.filter(pk=station.pk).update(registration_status=status)
            StationEvent.objects.create(
                station=station,
                kind=StationEvent.Kind.CONNECTION,
                summary=f"Registration: {previous} → {status}",
                details={"previous": previous, "status": status, "by": by},
                occurred_at=now,
            )
            changed.append(
                RegistrationChanged(
                    station_id=station.pk,
                    charge_point_id=station.charge_point_id,
                    status=status,
                    previous=previous,
                )
            )
        for event in changed:
            lifecycle.publish(event)
    return len(changed)


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
        settings.OCPP_HEARTBEAT_INTERVAL
        if status == RegistrationStatus.ACCEPTED
        else settings.OCPP_PENDING_RETRY_INTERVAL
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


def record_heartbeat(*, station_id: int, now: datetime, channel_name: str = "") -> None:
    """Note the heartbeat. One from a live socket (`channel_name`) also records that socket again if a
    sweep cleared it, having taken its process for dead (a lost liveness key): nothing else would."""
    ChargingStation.objects.filter(pk=station_id).update(last_heartbeat_at=now)
    if channel_name and ChargingStation.objects.filter(pk=station_id, connection_channel="").update(
        connection_channel=channel_name  # connected_at stays: it orders a reconnect storm's handshakes
    ):
        lifecycle.publish(StationConnected(station_id=station_id))


class UnknownEvse(Exception):
    """A station named an EVSE or connector it never declared and the operator never set up."""

    def __init__(self, *, evse_number: int, connector_number: int):
        super().__init__(f"EVSE {evse_number} connector {connector_number} is not known for this station")
        self.evse_number = evse_number
        self.connector_number = connector_number


def ensure_connector(*, station_id: int, evse_number: int, connector_number: int = 1) -> Connector:
    """The connector a station reports, created on first mention only if the station has it.

    A station's EVSEs are the ones the operator set up (provisioning, the
    admin) plus the ones the station itself declared (`declares_connector`),
    so a charger cannot make EVSEs appear in the drivers' API by naming them.
    Raises UnknownEvse for any other.
    """
    connector = Connector.objects.filter(
        evse__station_id=station_id, evse__number=evse_number, number=connector_number
    ).first()
    if connector is not None:
        return connector
    if not declares_connector(station_id=station_id, evse_number=evse_number, connector_number=connector_number):
        raise UnknownEvse(evse_number=evse_number, connector_number=connector_number)
    evse, _ = Evse.objects.get_or_create(station_id=station_id, number=evse_number)
    connector, _ = Connector.objects.get_or_create(evse=evse, number=connector_number)
    return connector


def declares_connector(*, station_id: int, evse_number: int, connector_number: int) -> bool:
    """Whether the operator or the station itself declared this EVSE and connector.

    An EVSE is declared by an Evse row (the operator's), by 1.6
    NumberOfConnectors as the station reported it (connector N is EVSE N), or
    by any 2.0.1 device-model component the station reported on that EVSE.
    Connector 1 comes with every declared EVSE; another connector needs its
    own row or a device-model component on it. What a station declares is
    capped at OCPP_MAX_DECLARED_EVSES, so a misconfigured value opens no
    thousands of EVSEs.
    """
    if evse_number < 1 or connector_number < 1:
        return False
    cap = settings.OCPP_MAX_DECLARED_EVSES
    evse_known = Evse.objects.filter(station_id=station_id, number=evse_number).exists() or (
        evse_number <= cap and _declared_evse(station_id=station_id, evse_number=evse_number)
    )
    if not evse_known:
        return False
    if connector_number == 1:
        return True
    return (
        connector_number <= cap
        and DeviceModelVariable.objects.filter(
            station_id=station_id, evse_number=evse_number, connector_number=connector_number
        ).exists()
    )


def _declared_evse(*, station_id: int, evse_number: int) -> bool:
    count = (
        ConfigurationKey.objects.filter(station_id=station_id, key="NumberOfConnectors")
        .values_list("value", flat=True)
        .first()
    )
    if count is not None and count.strip().isdigit() and evse_number <= int(count):
        return True
    return DeviceModelVariable.objects.filter(station_id=station_id, evse_number=evse_number).exists()


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


def record_configuration(*, station_id: int, read: ConfigurationRead) -> None:
    """Keep the configuration a station reported; keys it says it does not know are dropped.

    The station's password is never kept readable, even from a station that reports it (the security
    whitepaper makes AuthorizationKey write-only): it is kept hashed, as the station's password.
    """
    with transaction.atomic():
        for entry in read.keys:
            value = None if entry.key == AUTHORIZATION_KEY else entry.value
            ConfigurationKey.objects.update_or_create(
                station_id=station_id, key=entry.key, defaults={"value": value, "readonly": entry.readonly}
            )
        ConfigurationKey.objects.filter(station_id=station_id, key__in=read.unknown).delete()


def record_configuration_change(*, station_id: int, key: str, value: str) -> None:
    ConfigurationKey.objects.update_or_create(station_id=station_id, key=key, defaults={"value": value})


def record_composite_schedule(
    *, station_id: int, evse_number: int, status: str, schedule: dict | None
) -> CompositeSchedule:
    return CompositeSchedule.objects.create(
        station_id=station_id, evse_number=evse_number, status=status, schedule=schedule
    )


def record_local_list_version(*, station_id: int, version: int | None) -> None:
    ChargingStation.objects.filter(pk=station_id).update(local_list_version=version)


@dataclass(frozen=True)
class DeviceModelAttribute:
    component: str
    variable: str
    value: str | None
    attribute_type: str = "Actual"
    component_instance: str = ""
    evse_number: int = 0
    connector_number: int = 0
    variable_instance: str = ""
    mutability: str = ""
    data_type: str = ""
    unit: str = ""


def record_device_model(*, station_id: int, attributes: list[DeviceModelAttribute]) -> None:
    """Keep a 2.0.1 station's reported device model, one row per variable attribute (never its password)."""
    with transaction.atomic():
        for attribute in attributes:
            key = {
                "station_id": station_id,
                "component": attribute.component,
                "component_instance": attribute.component_instance,
                "evse_number": attribute.evse_number,
                "connector_number": attribute.connector_number,
                "variable": attribute.variable,
                "variable_instance": attribute.variable_instance,
                "attribute_type": attribute.attribute_type,
            }
            secret = (attribute.component, attribute.variable) == BASIC_AUTH_PASSWORD  # write-only, as above
            details = {
                "value": None if secret else attribute.value,
                "mutability": attribute.mutability,
                "data_type": attribute.data_type,
                "unit": attribute.unit,
            }
            DeviceModelVariable.objects.update_or_create(**key, defaults=details)


def record_station_event(*, station_id: int, kind: str, summary: str, details: dict, occurred_at: datetime) -> None:
    """Keep something a station reported about itself (device events, security events, limits)."""
    StationEvent.objects.create(
        station_id=station_id, kind=kind, summary=summary[:255], details=details, occurred_at=occurred_at
    )


# ------------------------------------------------------------------ a new station password

AUTHORIZATION_KEY = "AuthorizationKey"  # OCPP 1.6 (security whitepaper): the Basic password, hex-encoded
BASIC_AUTH_PASSWORD = ("SecurityCtrlr", "BasicAuthPassword")  # OCPP 2.0.1: the Basic password itself
# The whitepaper's AuthorizationKey holds 16 to 20 bytes (32 to 40 hex digits).
AUTHORIZATION_KEY_BYTES = (16, 20)
# 2.0.1 passwordString, 16 characters at least and at most 40 (the smallest maxLimit a station may have).
PASSWORD_STRING = re.compile(r"[a-zA-Z0-9*\-_=:+|@.]{16,40}")


class InvalidStationPassword(ValueError):
    """A new password no station could present to us; it must not be sent."""


def password_set_by_configuration(*, key: str, value: str) -> str | None:
    """The Basic password a 1.6 ChangeConfiguration gives the station, or None when it sets another key.

    The station presents the bytes the hex digits stand for as its password; we read HTTP Basic as
    UTF-8, so a key whose bytes are not UTF-8 would lock the station out and is refused here.
    """
    if key != AUTHORIZATION_KEY:
        return None
    try:
        raw = bytes.fromhex(value)
        password = raw.decode("utf-8")
    except ValueError:  # UnicodeDecodeError is one
        raise InvalidStationPassword("AuthorizationKey must be hex digits of a UTF-8 password") from None
    low, high = AUTHORIZATION_KEY_BYTES
    if not low <= len(raw) <= high:
        raise InvalidStationPassword(
            f"AuthorizationKey must hold {low} to {high} bytes ({2 * low} to {2 * high} hex digits)"
        )
    return password


def password_set_by_variable(*, component: str, variable: str, value: str) -> str | None:
    """The Basic password a 2.0.1 SetVariables gives the station, or None when it sets another variable.
    OCPP 2.0.1 makes it a passwordString of at least 16 characters."""
    if (component, variable) != BASIC_AUTH_PASSWORD:
        return None
    if not PASSWORD_STRING.fullmatch(value):
        raise InvalidStationPassword("BasicAuthPassword must be 16 to 40 of a-z A-Z 0-9 * - _ = : + | @ .")
    return value


def record_station_password(*, station_id: int, password: str) -> None:
    """The station took a new Basic password: keep only its hash, so the old one stops working
    and its next connection is let in with the new one."""
    station = ChargingStation.objects.get(pk=station_id)
    station.set_password(password)
    station.save(update_fields=["password_hash"])
