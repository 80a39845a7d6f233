"""What smart charging does when sessions or stations change: re-plan the station's site, in Celery.

Registered in SmartChargingConfig.ready(); a station on no enabled site is left alone.
"""

from django.conf import settings

from sessions.events import MeterReadingsRecorded, TransactionStarted, TransactionStopped
from smartcharging import selectors, tasks
from stations.events import StationBooted, StationConnected, StationDisconnected


def replan_station_site(
    event: TransactionStarted | TransactionStopped | MeterReadingsRecorded | StationDisconnected,
) -> None:
    site_id = selectors.site_of_station(station_id=event.station_id)
    if site_id is not None:
        tasks.replan_soon(site_id)


def set_safe_defaults(event: StationConnected | StationBooted) -> None:
    """A station that connects (a booted one reconnecting takes commands at once) or is accepted at its boot
    (a new one takes none before) gets its EVSEs' safe defaults, and the site is re-planned with it back.
    The delay lets the charger read its BootNotification answer before the profiles come."""
    site_id = selectors.site_of_station(station_id=event.station_id)
    if site_id is not None:
        tasks.station_connected.apply_async((event.station_id,), countdown=settings.SMART_CHARGING_DEBOUNCE_SECONDS)
        tasks.replan_soon(site_id)
