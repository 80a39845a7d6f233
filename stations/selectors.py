"""Reads about stations."""
from stations.models import ChargingStation


def connection_channel(*, station_id: int) -> str:
    """The channel of the consumer holding the station's socket; empty when it is offline."""
    return ChargingStation.objects.filter(pk=station_id).values_list("connection_channel", flat=True).first() or ""
