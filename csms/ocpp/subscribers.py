"""What the OCPP central system does when the domain changes under a connected station."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from csms.ocpp.groups import control_group
from stations.events import RegistrationChanged
from stations.models import RegistrationStatus


def close_when_not_accepted(event: RegistrationChanged) -> None:
    """A station the operator no longer accepts loses its socket at once, whichever process
    holds it. It keeps no transaction going on a registration it no longer has: when it
    reconnects, the connection starts from its new status (Pending/Rejected answers)."""
    if event.status == RegistrationStatus.ACCEPTED:
        return
    async_to_sync(get_channel_layer().group_send)(
        control_group(event.station_id), {"type": "ocpp.close", "reason": f"registration {event.status}"}
    )
