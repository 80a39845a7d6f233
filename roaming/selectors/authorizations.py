"""Reads of the eMSPs' real-time authorization answers (roaming.models.RealtimeAuthorization)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from roaming.models import RealtimeAuthorization


def _lifetime() -> timedelta:
    return timedelta(seconds=settings.OCPI_AUTHORIZE_CACHE_SECONDS)


def cached_answer(*, id_tag: str, location_id: str, now: datetime | None = None) -> RealtimeAuthorization | None:
    """The latest answer about `id_tag` at our location `location_id` ("" when the station has none) that still
    stands: younger than OCPI_AUTHORIZE_CACHE_SECONDS, and the issuer has not pushed the token since
    (roaming.services.tokens). An eMSP may allow a driver at one location and not at another."""
    since = (now or timezone.now()) - _lifetime()
    return (
        RealtimeAuthorization.objects.filter(
            id_tag=id_tag, location_id=location_id, created_at__gt=since, superseded=False
        )
        .order_by("-created_at", "-id")
        .first()
    )
