"""Station and EVSE status as drivers, roaming partners and operators read it, and the stations a status stream watches."""

from collections.abc import Iterable
from enum import StrEnum

from django.db import models
from django.db.models import Count

from stations.models import ChargingStation, ConnectorStatus, RegistrationStatus


class EvseStatus(StrEnum):
    """OCPI 2.2.1 EvseStatus, the status drivers and roaming partners see."""

    AVAILABLE = "AVAILABLE"
    BLOCKED = "BLOCKED"
    CHARGING = "CHARGING"
    INOPERATIVE = "INOPERATIVE"
    OUTOFORDER = "OUTOFORDER"
    PLANNED = "PLANNED"
    REMOVED = "REMOVED"
    RESERVED = "RESERVED"
    UNKNOWN = "UNKNOWN"


# OCPP's words in OCPI's (what each means is ConnectorStatus's): OCPI calls a connector in use CHARGING.
_FROM_CONNECTOR = {
    ConnectorStatus.AVAILABLE: EvseStatus.AVAILABLE,
    ConnectorStatus.RESERVED: EvseStatus.RESERVED,
    ConnectorStatus.UNAVAILABLE: EvseStatus.INOPERATIVE,
    ConnectorStatus.FAULTED: EvseStatus.OUTOFORDER,
    **dict.fromkeys(ConnectorStatus.in_use(), EvseStatus.CHARGING),
}
# Connector 0 (the station as a whole) out of service makes every EVSE unusable.
_STATION_DOWN = {status: _FROM_CONNECTOR[status] for status in ConnectorStatus.out_of_service()}
# An EVSE with several connectors shows the most telling one: a connector in use occupies the EVSE.
_PRECEDENCE = [
    EvseStatus.CHARGING,
    EvseStatus.RESERVED,
    EvseStatus.AVAILABLE,
    EvseStatus.BLOCKED,
    EvseStatus.INOPERATIVE,
    EvseStatus.OUTOFORDER,
    EvseStatus.UNKNOWN,
]


def ocpi_evse_status(
    *, connector_statuses: Iterable[str], station_online: bool, station_status: str = ""
) -> EvseStatus:
    """An EVSE's OCPI status from what OCPP reported for its connectors and for connector 0.

    A station without a socket cannot tell us anything, so its EVSEs are UNKNOWN
    whatever they last reported.
    """
    if not station_online:
        return EvseStatus.UNKNOWN
    if station_status in _STATION_DOWN:
        return _STATION_DOWN[station_status]
    found = {_FROM_CONNECTOR.get(status, EvseStatus.UNKNOWN) for status in connector_statuses}
    return next((status for status in _PRECEDENCE if status in found), EvseStatus.UNKNOWN)


class StationState(models.TextChoices):
    """What a station is doing, as an operator reads it off the station list."""

    OFFLINE = "offline", "Offline"
    FAULTED = "faulted", "Faulted"
    UNAVAILABLE = "unavailable", "Unavailable"
    CHARGING = "charging", "Charging"
    IN_USE = "in_use", "In use"  # a vehicle plugged in, not (yet or any more) charging
    RESERVED = "reserved", "Reserved"
    AVAILABLE = "available", "Available"
    UNKNOWN = "unknown", "Unknown"  # connected, nothing reported yet


# One connector's state beats another's in this order: a station with one connector charging is charging.
_STATE_PRECEDENCE = [
    (StationState.CHARGING, ConnectorStatus.charging()),
    (StationState.IN_USE, ConnectorStatus.plugged_in_idle()),
    (StationState.RESERVED, {ConnectorStatus.RESERVED}),
    (StationState.AVAILABLE, {ConnectorStatus.AVAILABLE}),
    (StationState.FAULTED, {ConnectorStatus.FAULTED}),
    (StationState.UNAVAILABLE, {ConnectorStatus.UNAVAILABLE}),
]


def station_state(*, station: ChargingStation) -> StationState:
    """The station's state from its socket, connector 0 and every connector (prefetch evses__connectors for lists).

    Connector 0 alone says "Available" while a connector charges, and keeps
    its last word after the socket is gone.
    """
    if not station.is_connected:
        return StationState.OFFLINE
    if station.status == ConnectorStatus.FAULTED:
        return StationState.FAULTED
    if station.status == ConnectorStatus.UNAVAILABLE:
        return StationState.UNAVAILABLE
    statuses = {connector.status for evse in station.evses.all() for connector in evse.connectors.all()}
    return next((state for state, found in _STATE_PRECEDENCE if statuses & found), StationState.UNKNOWN)


# ------------------------------------------------------------------ the stations a status stream watches


def accepted_station_ids(*, charge_point_ids: Iterable[str]) -> dict[str, int]:
    """Primary keys of the accepted stations among these charge point ids."""
    stations = ChargingStation.objects.filter(
        registration_status=RegistrationStatus.ACCEPTED, charge_point_id__in=list(charge_point_ids)
    )
    return dict(stations.values_list("charge_point_id", "pk"))


def stations_with_evses(*, station_ids: Iterable[int]) -> list[ChargingStation]:
    """Accepted stations only: one taken off the network stops streaming to those who watched it."""
    stations = ChargingStation.objects.filter(pk__in=list(station_ids), registration_status=RegistrationStatus.ACCEPTED)
    return list(stations.prefetch_related("evses__connectors"))


def evse_counts(*, charge_point_ids: Iterable[str]) -> dict[str, int]:
    """How many EVSEs each of these stations has here (a station unknown here is left out)."""
    stations = ChargingStation.objects.filter(charge_point_id__in=list(charge_point_ids)).annotate(
        evse_count=Count("evses")
    )
    return dict(stations.values_list("charge_point_id", "evse_count"))
