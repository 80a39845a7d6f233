"""A station's registration and its connection: who may connect, which socket holds it, when it is offline."""

import secrets
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from csms import lifecycle, processes
from stations.events import RegistrationChanged, StationConnected, StationDisconnected
from stations.hashers import StationPasswordHasher
from stations.models import ChargingStation, Connector, Evse, NetworkSettings, RegistrationStatus, StationEvent

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
        _keep_connection_change(station_id, online=True, at=since, summary=f"Connected (OCPP {ocpp_version})")
        lifecycle.publish(StationConnected(station_id=station_id))
    return bool(recorded)


def station_disconnected(
    *, station_id: int, channel_name: str, why: str = "Disconnected", at: datetime | None = None
) -> bool:
    """Mark the station offline, unless a newer connection already took its place; True when it was."""
    at = at or timezone.now()
    updated = ChargingStation.objects.filter(pk=station_id, connection_channel=channel_name).update(
        connection_channel="", disconnected_at=at
    )
    if updated:
        _keep_connection_change(station_id, online=False, at=at, summary=why)
        lifecycle.publish(StationDisconnected(station_id=station_id))
    return bool(updated)


def _keep_connection_change(station_id: int, *, online: bool, at: datetime, summary: str) -> None:
    """The station's connection history, one event per change: what uptime (NEVI: "networked") is measured
    from, since the station's row only holds its latest connection and disconnection."""
    StationEvent.objects.create(
        station_id=station_id,
        kind=StationEvent.Kind.LINK,
        summary=summary,
        details={"online": online},
        occurred_at=at,
    )


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
            station_disconnected(station_id=station_id, channel_name=channel, why="Offline: its server process died")
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
    why = f"Offline: silent for {limit} heartbeats"
    for station_id, channel in list(silent.values_list("pk", "connection_channel")):
        cleared += station_disconnected(station_id=station_id, channel_name=channel, why=why, at=now)
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
