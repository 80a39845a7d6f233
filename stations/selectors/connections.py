"""A station's connection: whether it is online, where a command to it goes, what we ask of it once connected."""

from dataclasses import dataclass

from csms.processes import holder_is_dead
from stations.models import ChargingStation, NetworkSettings, RegistrationStatus


def _live(channel: str) -> str:
    """A recorded channel, or empty when the process that held it died (before the sweep clears it)."""
    return "" if not channel or holder_is_dead(channel) else channel


def station_online(*, station: ChargingStation) -> bool:
    """A socket is recorded and the process holding it is alive: a start can reach the charger now."""
    return bool(_live(station.connection_channel))


@dataclass(frozen=True)
class CommandRoute:
    """Where a command to a station goes, and what the charger has been told about its registration."""

    charge_point_id: str
    channel: str
    registration_status: str
    booted: bool  # it has sent a BootNotification at least once (a reconnect need not repeat it)
    ocpp_version: str


def command_route(*, station_id: int) -> CommandRoute | None:
    row = (
        ChargingStation.objects.filter(pk=station_id)
        .values_list("charge_point_id", "connection_channel", "registration_status", "last_boot_at", "ocpp_version")
        .first()
    )
    if row is None:
        return None
    charge_point_id, channel, status, last_boot_at, version = row
    return CommandRoute(
        charge_point_id=charge_point_id,
        channel=_live(channel),
        registration_status=status,
        booted=last_boot_at is not None,
        ocpp_version=version,
    )


def samples_soc(*, station_id: int) -> bool:
    """Whether the operator wants the station to sample SoC: its own switch, else the network's."""
    own = ChargingStation.objects.filter(pk=station_id).values_list("sample_soc", flat=True).first()
    return NetworkSettings.current().sample_soc if own is None else own


def is_accepted(*, station_id: int) -> bool:
    return ChargingStation.objects.filter(pk=station_id, registration_status=RegistrationStatus.ACCEPTED).exists()
