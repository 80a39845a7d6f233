"""A station's EVSEs and connectors: which ones it has, whether set up by the operator or declared by the station."""

from django.conf import settings

from stations.models import ConfigurationKey, Connector, DeviceModelVariable, Evse


class UnknownEvse(Exception):
    """A station named an EVSE or connector it never declared and the operator never set up."""

    def __init__(self, *, evse_number: int, connector_number: int):
        super().__init__(f"EVSE {evse_number} connector {connector_number} is not known for this station")
        self.evse_number = evse_number
        self.connector_number = connector_number


def ensure_connector(*, station_id: int, evse_number: int, connector_number: int = 1) -> Connector:
    """The connector a station reports, created on first mention only if the station has it.

    A station's EVSEs are the ones the operator set up (provisioning, the
    admin) plus the ones the station itself declared (`declares_connector`),
    so a charger cannot make EVSEs appear in the drivers' API by naming them.
    Raises UnknownEvse for any other.
    """
    connector = Connector.objects.filter(
        evse__station_id=station_id, evse__number=evse_number, number=connector_number
    ).first()
    if connector is not None:
        return connector
    if not declares_connector(station_id=station_id, evse_number=evse_number, connector_number=connector_number):
        raise UnknownEvse(evse_number=evse_number, connector_number=connector_number)
    evse, _ = Evse.objects.get_or_create(station_id=station_id, number=evse_number)
    connector, _ = Connector.objects.get_or_create(evse=evse, number=connector_number)
    return connector


def declares_connector(*, station_id: int, evse_number: int, connector_number: int) -> bool:
    """Whether the operator or the station itself declared this EVSE and connector.

    An EVSE is declared by an Evse row (the operator's), by 1.6
    NumberOfConnectors as the station reported it (connector N is EVSE N), or
    by any 2.0.1 device-model component the station reported on that EVSE.
    Connector 1 comes with every declared EVSE; another connector needs its
    own row or a device-model component on it. What a station declares is
    capped at OCPP_MAX_DECLARED_EVSES, so a misconfigured value opens no
    thousands of EVSEs.
    """
    if evse_number < 1 or connector_number < 1:
        return False
    cap = settings.OCPP_MAX_DECLARED_EVSES
    evse_known = Evse.objects.filter(station_id=station_id, number=evse_number).exists() or (
        evse_number <= cap and _declared_evse(station_id=station_id, evse_number=evse_number)
    )
    if not evse_known:
        return False
    if connector_number == 1:
        return True
    return (
        connector_number <= cap
        and DeviceModelVariable.objects.filter(
            station_id=station_id, evse_number=evse_number, connector_number=connector_number
        ).exists()
    )


def _declared_evse(*, station_id: int, evse_number: int) -> bool:
    count = (
        ConfigurationKey.objects.filter(station_id=station_id, key="NumberOfConnectors")
        .values_list("value", flat=True)
        .first()
    )
    if count is not None and count.strip().isdigit() and evse_number <= int(count):
        return True
    return DeviceModelVariable.objects.filter(station_id=station_id, evse_number=evse_number).exists()
