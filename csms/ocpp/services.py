"""Housekeeping of the OCPP message log."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from csms.ocpp.models import OcppMessage


def purge_message_log(*, now: datetime | None = None) -> int:
    """Delete frames older than the retention setting; returns how many went."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.OCPP_MESSAGE_LOG_RETENTION_DAYS)
    deleted, _ = OcppMessage.objects.filter(created_at__lt=cutoff).delete()
    return deleted
