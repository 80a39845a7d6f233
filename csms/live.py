"""Publishing small JSON events to channel groups, for dashboards and apps.

Domain services call `publish` after their transaction commits, so a
subscriber never sees an event for data that was rolled back.
"""
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

DASHBOARD_GROUP = "dashboard"


def station_group(station_id: int) -> str:
    return f"station.{station_id}"


def transaction_group(transaction_id: int) -> str:
    return f"transaction.{transaction_id}"


def publish(groups: list[str], event: dict) -> None:
    """Send `event` to each group once the current DB transaction commits."""
    transaction.on_commit(lambda: _send(groups, event))


def _send(groups: list[str], event: dict) -> None:
    layer = get_channel_layer()
    message = {"type": "live.event", "event": event}
    try:
        for group in groups:
            async_to_sync(layer.group_send)(group, message)
    except Exception:  # a live view missing an update must never fail the write
        logger.warning("could not publish %s", event.get("type"), exc_info=True)
