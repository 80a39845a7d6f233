"""A station's boot and heartbeats: what it says about itself, and whether it is accepted."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from csms import lifecycle
from csms.columns import fit
from stations.events import StationBooted, StationConnected
from stations.models import ChargingStation, RegistrationStatus, StationEvent


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
    if status == RegistrationStatus.ACCEPTED:
        lifecycle.publish(StationBooted(station_id=station_id))
    return BootDecision(status=status, interval=interval)


def record_heartbeat(*, station_id: int, now: datetime, channel_name: str = "") -> None:
    """Note the heartbeat. One from a live socket (`channel_name`) also records that socket again if a
    sweep cleared it, having taken its process for dead (a lost liveness key): nothing else would."""
    ChargingStation.objects.filter(pk=station_id).update(last_heartbeat_at=now)
    if channel_name and ChargingStation.objects.filter(pk=station_id, connection_channel="").update(
        connection_channel=channel_name  # connected_at stays: it orders a reconnect storm's handshakes
    ):
        lifecycle.publish(StationConnected(station_id=station_id))
