"""What alerts do when stations and sessions change: lifecycle subscribers, registered in AlertsConfig.ready().

A status or connection change re-evaluates that station's status rules at
once, in the process that heard it (a few indexed reads; a write only when an
alert opens or resolves): a Faulted connector is in the inbox as soon as the
charger's StatusNotification is stored, worker or not. What sessions change
(starts, stops, failed remote starts) is evaluated for the station by Celery.
"""

from alerts import services, tasks
from sessions.events import DriverSessionChanged
from sessions.models import DriverSession

# The cheap rules that read only the station's own row and connectors.
STATUS_RULES = ("faulted", "station_offline", "clock_skew")


def station_status_changed(event) -> None:
    """StationConnected / StationDisconnected / StationStatusChanged / ConnectorStatusChanged."""
    services.evaluate(station_id=event.station_id, names=STATUS_RULES)


def station_sessions_changed(event) -> None:
    """TransactionStarted / TransactionStopped: a stop clears the session's no-reading or no-consumption alert."""
    tasks.evaluate_station.delay(event.station_id)


def driver_session_changed(event: DriverSessionChanged) -> None:
    if event.state == DriverSession.State.FAILED:
        station_id = DriverSession.objects.filter(pk=event.session_id).values_list("station_id", flat=True).first()
        if station_id is not None:
            tasks.evaluate_station.delay(station_id)
