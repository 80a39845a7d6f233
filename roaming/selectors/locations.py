"""The locations, EVSEs and connectors partners see: accepted stations only, and the sites that have one.

Given a partner, only those published to it (roaming.selectors.publishing). An OCPI
object's last_updated is the newest of its rows' times (roaming.mapping.locations), so "changed at or
after t" is "one of those times is at or after t": an EXISTS per table, no per-location aggregate.
"""

from datetime import datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from roaming.models import Partner
from roaming.selectors.publishing import published_to
from stations.models import ChargingStation, Connector, Evse, Location, RegistrationStatus

_ACCEPTED = Q(registration_status=RegistrationStatus.ACCEPTED)


def roaming_locations(
    *, partner: Partner | None = None, date_from: datetime | None = None, date_to: datetime | None = None
) -> QuerySet[Location]:
    """Sites with an accepted station (published to `partner` when given) whose last_updated is in
    [date_from, date_to), oldest pk first."""
    queryset = Location.objects.filter(Exists(ChargingStation.objects.filter(_ACCEPTED, location=OuterRef("pk"))))
    if partner is not None:
        queryset = queryset.filter(published_to(partner))
    if date_from is not None:
        queryset = queryset.filter(_changed_since(date_from))
    if date_to is not None:
        queryset = queryset.exclude(_changed_since(date_to))
    return queryset.prefetch_related(_accepted_stations()).order_by("pk")


def roaming_location(*, location_id: str, partner: Partner | None = None) -> Location | None:
    if not location_id.isdigit():
        return None
    return roaming_locations(partner=partner).filter(pk=int(location_id)).first()


def _accepted_stations() -> Prefetch:
    evses = Evse.objects.prefetch_related("connectors")
    return Prefetch(
        "stations", queryset=ChargingStation.objects.filter(_ACCEPTED).prefetch_related(Prefetch("evses", evses))
    )


def _changed_since(moment: datetime) -> Q:
    station_times = Q(created_at__gte=moment) | Q(status_updated_at__gte=moment)
    station_times |= Q(connected_at__gte=moment) | Q(disconnected_at__gte=moment)
    stations = ChargingStation.objects.filter(_ACCEPTED, location=OuterRef("pk"))
    evses = Evse.objects.filter(
        station__location=OuterRef("pk"), station__registration_status=RegistrationStatus.ACCEPTED
    )
    connectors = Connector.objects.filter(
        evse__station__location=OuterRef("pk"), evse__station__registration_status=RegistrationStatus.ACCEPTED
    ).filter(Q(updated_at__gte=moment) | Q(status_updated_at__gte=moment))
    return (
        Q(updated_at__gte=moment)
        | Exists(stations.filter(station_times))
        | Exists(evses.filter(updated_at__gte=moment))
        | Exists(connectors)
    )
