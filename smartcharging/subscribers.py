"""What smart charging does when sessions or stations change: re-plan the station's site, in Celery.

Registered in SmartChargingConfig.ready(); a station on no enabled site is left alone.
"""

from sessions.events import MeterReadingsRecorded, TransactionStarted, TransactionStopped
from smartcharging import selectors, tasks
from stations.events import StationConnected, StationDisconnected


def replan_station_site(
    event: TransactionStarted | TransactionStopped | MeterReadingsRecorded | StationDisconnected,
) -> None:
    site_id = selectors.site_of_station(station_id=event.station_id)
    if site_id is not None:
        tasks.replan_soon(site_id)


def set_safe_defaults(event: StationConnected) -> None:
    """A connected station's EVSEs get their safe default, then the site is re-planned with it back."""
    site_id = selectors.site_of_station(station_id=event.station_id)
    if site_id is not None:
        tasks.station_connected.delay(event.station_id)
        tasks.replan_soon(site_id)
