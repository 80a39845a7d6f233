"""billing's ChargeDetailRecord as an OCPI 2.2.1 CDR.

The CDR's id is the record's primary key (one record per transaction, never reused, so unique among our
CDRs as OCPI asks); session_id is the Session's id (the transaction's). Every total is the sealed
record's, so the CDR a partner gets is our invoice to the cent; tariffs is the tariff as it priced the
session (the record's snapshot, taken at the start), not the tariff as it reads now.
"""

from decimal import Decimal
from typing import Any

from billing.models import ChargeDetailRecord
from billing.pricing import tariff_from_ocpi
from roaming.mapping.locations import connector_object, emi3_evse_id, geo_location
from roaming.mapping.sessions import (
    cdr_token,
    charging_periods,
    price,
    volume,
)
from roaming.mapping.tariffs import priced_tariff_object
from roaming.mapping.timestamps import ocpi_datetime
from sessions.models import Transaction

_COSTS = ("total_fixed_cost", "total_energy_cost", "total_time_cost", "total_parking_cost", "total_reservation_cost")


def cdr_object(
    record: ChargeDetailRecord,
    *,
    country_code: str,
    party_id: str,
    auth_method: str = "WHITELIST",
    reference: str | None = None,
) -> dict[str, Any]:
    """`auth_method`, `reference`: how the session was authorised (roaming.selectors.session_authorisation).
    Select `transaction__id_tag`, `transaction__station__location` and `transaction__connector__evse`
    when mapping many."""
    tx = record.transaction
    data: dict[str, Any] = {
        "country_code": country_code,
        "party_id": party_id,
        "id": str(record.pk),
        "start_date_time": ocpi_datetime(record.start_date_time),
        "end_date_time": ocpi_datetime(record.end_date_time),
        "session_id": str(tx.pk),
        "cdr_token": cdr_token(tx.id_tag),
        "auth_method": auth_method,
        "cdr_location": cdr_location(tx, country_code=country_code, party_id=party_id),
        "currency": record.currency,
        "tariffs": [
            priced_tariff_object(tariff_from_ocpi(record.tariff_snapshot), country_code=country_code, party_id=party_id)
        ],
        "charging_periods": charging_periods(record.charging_periods),
        "total_cost": price(record.total_cost_excl_vat, record.total_cost_incl_vat),
        **{name: _cost(record, name) for name in _COSTS},
        "total_energy": Decimal(record.total_energy_wh) / 1000,
        "total_time": _hours(record.total_time.total_seconds()),
        "total_parking_time": _hours(record.total_parking_time.total_seconds()),
        "last_updated": ocpi_datetime(record.created_at),
    }
    if reference is not None:
        data["authorization_reference"] = reference
    if tx.station.meter_serial_number:
        data["meter_id"] = tx.station.meter_serial_number
    return data


def cdr_location(tx: Transaction, *, country_code: str, party_id: str) -> dict[str, Any]:
    """Where the session charged, with the ids the Locations module publishes."""
    location = tx.station.location
    evse = tx.connector.evse
    connector = connector_object(tx.connector)
    data: dict[str, Any] = {
        "id": str(location.pk),
        "name": location.name,
        "address": location.address[:45],
        "city": location.city[:45],
        "country": location.country,
        "coordinates": geo_location(location),
        "evse_uid": str(evse.pk),
        "evse_id": emi3_evse_id(evse, country_code=country_code, party_id=party_id),
        "connector_id": connector["id"],
        "connector_standard": connector["standard"],
        "connector_format": connector["format"],
        "connector_power_type": connector["power_type"],
    }
    if location.postal_code:
        data["postal_code"] = location.postal_code[:10]
    return data


def _cost(record: ChargeDetailRecord, name: str) -> dict[str, Any]:
    return price(getattr(record, f"{name}_excl_vat"), getattr(record, f"{name}_incl_vat"))


def _hours(seconds: float) -> Decimal:
    return volume(Decimal(str(seconds)) / 3600)
