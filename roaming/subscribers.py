"""What roaming does when stations or tariffs change: lifecycle subscribers, registered in RoamingConfig.ready().

Each snapshots the change into the push queue (one push per partner with a locations receiver) and wakes
the partners' senders in Celery, so the charger's message is answered without waiting for any partner.
"""

from billing.events import TariffChanged
from roaming import tasks
from roaming.services import push, tariff_pushes
from stations.events import (
    ConnectorStatusChanged,
    RegistrationChanged,
    StationConnected,
    StationDisconnected,
    StationStatusChanged,
)


def connector_status_changed(event: ConnectorStatusChanged) -> None:
    tasks.wake(push.push_evse_status(station_id=event.station_id, evse_number=event.evse_number))


def station_status_changed(event: StationStatusChanged | StationDisconnected) -> None:
    """Connector 0's status, or the socket going: every EVSE of the station may read differently now."""
    tasks.wake(push.push_evse_status(station_id=event.station_id))


def station_appeared(event: StationConnected | RegistrationChanged) -> None:
    """A station coming online or accepted (or rejected) changes which EVSEs its location has: PUT it whole,
    so a partner gets EVSEs it never saw before any PATCH of them."""
    tasks.wake(push.push_station_location(station_id=event.station_id))


def tariff_changed(event: TariffChanged) -> None:
    """PUT the tariff to every tariffs receiver, or DELETE it where it stopped being published."""
    tasks.wake(tariff_pushes.push_tariff(tariff_pk=event.tariff_pk))
