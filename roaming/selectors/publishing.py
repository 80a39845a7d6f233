"""Which of our locations each partner sees: an operator's choice per partner (LocationPublishing), every
location when the operator made none. Pulls, object GETs and pushes all ask here."""

from collections.abc import Iterable

from django.db.models import Q

from roaming.models import LocationPublishing, Partner
from stations.models import Location


def published_to(partner: Partner) -> Q:
    """A filter of stations.Location to those published to `partner`."""
    choice = LocationPublishing.objects.filter(partner=partner).first()
    if choice is None or choice.all_locations:
        return Q()
    return Q(pk__in=choice.locations.values("pk"))


def published_location_ids(partner: Partner) -> set[int]:
    """The ids of the locations published to `partner` (with a roamed station or not yet)."""
    return set(Location.objects.filter(published_to(partner)).values_list("pk", flat=True))


def partners_seeing(*, location_id: int, partners: Iterable[Partner]) -> list[Partner]:
    """Those of `partners` the location is published to."""
    partners = list(partners)
    limited = {
        choice.partner_id: choice
        for choice in LocationPublishing.objects.filter(partner__in=partners, all_locations=False)
    }
    shown = set(
        LocationPublishing.locations.through.objects.filter(
            locationpublishing__in=limited.values(), location_id=location_id
        ).values_list("locationpublishing__partner_id", flat=True)
    )
    return [partner for partner in partners if partner.pk not in limited or partner.pk in shown]
