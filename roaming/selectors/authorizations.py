"""Reads of the eMSPs' real-time authorization answers (roaming.models.RealtimeAuthorization)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from roaming.models import RealtimeAuthorization
from sessions.models import AuthorizationStatus


def _lifetime() -> timedelta:
    return timedelta(seconds=settings.OCPI_AUTHORIZE_CACHE_SECONDS)


def cached_answer(*, id_tag: str, now: datetime | None = None) -> RealtimeAuthorization | None:
    """The latest answer about `id_tag` that still stands (younger than OCPI_AUTHORIZE_CACHE_SECONDS)."""
    since = (now or timezone.now()) - _lifetime()
    return (
        RealtimeAuthorization.objects.filter(id_tag=id_tag, created_at__gt=since).order_by("-created_at", "-id").first()
    )


def realtime_reference(*, id_tag: str, started_at: datetime) -> str:
    """The eMSP's authorization_reference for a session `id_tag` started at `started_at` ("" when none).

    The answer that allowed it: the latest ALLOWED about the token within the cache lifetime either side of
    the start (the charger's clock, and an answer given to the StartTransaction itself, sit either side)."""
    answer = (
        RealtimeAuthorization.objects.filter(
            id_tag=id_tag,
            status=AuthorizationStatus.ACCEPTED,
            created_at__gte=started_at - _lifetime(),
            created_at__lte=started_at + _lifetime(),
        )
        .order_by("-created_at", "-id")
        .first()
    )
    return answer.authorization_reference if answer else ""
