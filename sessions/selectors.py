"""Reads for the drivers' API: a driver sees only their own sessions and tokens."""
from django.db.models import QuerySet

from sessions.models import DriverSession, IdTag


def driver_sessions(*, driver) -> QuerySet[DriverSession]:
    return DriverSession.objects.filter(driver=driver).select_related("station", "connector__evse", "transaction")


def driver_id_tokens(*, driver) -> QuerySet[IdTag]:
    return IdTag.objects.filter(owner=driver).order_by("created_at", "pk")
