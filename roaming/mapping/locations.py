"""stations' Location, Evse and Connector as OCPI 2.2.1 Location, EVSE and Connector objects.

One OCPI Location per Voltstack Location, holding the EVSEs of all its
accepted stations (a Pending or Rejected station is not a charging point a
driver can use, so partners never see it). Ids follow the roaming contract:
Location.id and EVSE.uid are our primary keys (stable, never reused), the
connector id is its number on its EVSE, evse_id is eMI3 built from the
station's primary key (a charge point id may hold characters eMI3 forbids).

Callers listing many locations prefetch `stations__evses__connectors`.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from math import ceil
from typing import Any

from roaming.mapping.timestamps import latest, ocpi_datetime
from stations.models import ChargingStation, Connector, Evse, Location, PowerType, RegistrationStatus
from stations.selectors.status import ocpi_evse_status

# OCPI wants a voltage and an amperage; our connectors know only their power and power type. Nominal
# voltages, line to neutral as OCPI asks for AC: 230 V (Europe); split phase is North America's 120 V
# legs; DC 400 V, a common battery voltage (a DC charger's true range is wider, e.g. 150-920 V).
_VOLTAGE = {
    PowerType.AC_1_PHASE: 230,
    PowerType.AC_2_PHASE: 230,
    PowerType.AC_2_PHASE_SPLIT: 120,
    PowerType.AC_3_PHASE: 230,
    PowerType.DC: 400,
}
_PHASES = {
    PowerType.AC_1_PHASE: 1,
    PowerType.AC_2_PHASE: 2,
    PowerType.AC_2_PHASE_SPLIT: 2,
    PowerType.AC_3_PHASE: 3,
    PowerType.DC: 1,
}
_COORDINATE = Decimal("0.000001")  # six decimals: OCPI's regex wants 5 to 7

# What a partner can do with every EVSE of ours through our receivers: START/STOP_SESSION, RESERVE_NOW and
# UNLOCK_CONNECTOR (Commands) and charging profiles (ChargingProfiles); remote start/stop and unlock are
# OCPP core in 1.6 and 2.0.1. Not RFID_READER: no row of ours says whether a station has one (a tag at
# the station may come from an app or a plug-and-charge contract alike), so it is not claimed.
CAPABILITIES = ("CHARGING_PROFILE_CAPABLE", "REMOTE_START_STOP_CAPABLE", "RESERVABLE", "UNLOCK_CAPABLE")


def location_object(
    location: Location,
    *,
    country_code: str,
    party_id: str,
    tariff_ids: Mapping[int, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """The OCPI Location; `tariff_ids` maps a connector's pk to the tariff ids it charges (billing decides)."""
    stations = _roaming_stations(location)
    evses = [
        evse_object(evse, country_code=country_code, party_id=party_id, tariff_ids=tariff_ids)
        for station in stations
        for evse in station.evses.all()
    ]
    data: dict[str, Any] = {
        "country_code": country_code,
        "party_id": party_id,
        "id": str(location.pk),
        # The domain has no "keep off the apps" switch: every location is public, as in the drivers' app.
        "publish": True,
        "name": location.name,
        "address": location.address[:45],
        "city": location.city[:45],
        "country": location.country,
        "coordinates": geo_location(location),
        "evses": evses,
        "time_zone": location.time_zone,
        "opening_times": dict(location.opening_hours) if location.opening_hours else {"twentyfourseven": True},
        "last_updated": ocpi_datetime(
            latest(location.updated_at, *(_station_updated(s) for s in stations), *_evse_times(stations))
        ),
    }
    if location.postal_code:
        data["postal_code"] = location.postal_code[:10]
    return data


def evse_object(
    evse: Evse, *, country_code: str, party_id: str, tariff_ids: Mapping[int, Sequence[str]] | None = None
) -> dict[str, Any]:
    station = evse.station
    connectors = list(evse.connectors.all())
    status = ocpi_evse_status(
        connector_statuses=[c.status for c in connectors],
        station_online=station.is_connected,
        station_status=station.status,
    )
    return {
        "uid": str(evse.pk),
        "evse_id": emi3_evse_id(evse, country_code=country_code, party_id=party_id),
        "status": str(status),
        "capabilities": list(CAPABILITIES),
        "connectors": [connector_object(c, tariff_ids=(tariff_ids or {}).get(c.pk, ())) for c in connectors],
        "last_updated": ocpi_datetime(_evse_updated(evse, connectors)),
    }


def connector_object(connector: Connector, *, tariff_ids: Sequence[str] = ()) -> dict[str, Any]:
    power_type = PowerType(connector.power_type)
    voltage = _VOLTAGE[power_type]
    data: dict[str, Any] = {
        "id": str(connector.number),
        "standard": connector.standard,
        "format": connector.format,
        "power_type": connector.power_type,
        "max_voltage": voltage,
        # Per phase, rounded up so voltage x amperage x phases never undersells the connector; the true
        # limit is max_electric_power, which OCPI asks for exactly when it is below that product.
        "max_amperage": ceil(connector.max_power_w / (voltage * _PHASES[power_type])),
        "max_electric_power": connector.max_power_w,
        "last_updated": ocpi_datetime(_connector_updated(connector)),
    }
    if tariff_ids:
        data["tariff_ids"] = list(tariff_ids)
    return data


def geo_location(location: Location) -> dict[str, str]:
    return {"latitude": _coordinate(location.latitude), "longitude": _coordinate(location.longitude)}


def emi3_evse_id(evse: Evse, *, country_code: str, party_id: str) -> str:
    """eMI3 EVSE ID `DE*VST*E00042*1`: our party, "E", the station's pk, the EVSE's number."""
    return f"{country_code}*{party_id}*E{evse.station_id:05d}*{evse.number}"


def _roaming_stations(location: Location) -> list[ChargingStation]:
    # Filtered here, not in SQL, so a caller's prefetch serves it.
    stations = [s for s in location.stations.all() if s.registration_status == RegistrationStatus.ACCEPTED]
    return sorted(stations, key=lambda s: s.pk)


def _coordinate(value: Decimal | float) -> str:
    return str(Decimal(str(value)).quantize(_COORDINATE))


# An object changed for partners when its row did (updated_at), when a status under it did
# (status_updated_at: status writes are bulk updates that skip auto_now), or when its station came and went.


def _connector_updated(connector: Connector) -> datetime:
    return latest(connector.updated_at, connector.status_updated_at, connector.evse.station.created_at)


def _station_updated(station: ChargingStation) -> datetime:
    return latest(station.created_at, station.status_updated_at, station.connected_at, station.disconnected_at)


def _evse_updated(evse: Evse, connectors: list[Connector]) -> datetime:
    return latest(evse.updated_at, _station_updated(evse.station), *(_connector_updated(c) for c in connectors))


def _evse_times(stations: list[ChargingStation]) -> list[datetime]:
    return [_evse_updated(evse, list(evse.connectors.all())) for s in stations for evse in s.evses.all()]
