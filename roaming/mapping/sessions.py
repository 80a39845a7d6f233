"""sessions' Transaction as an OCPI 2.2.1 Session, and the pieces a CDR shares with it (CdrToken, periods).

Ids follow the roaming contract: Session.id is the transaction's primary key; location_id, evse_uid and
connector_id are the ids roaming.mapping.locations publishes. The cost and the charging periods are
billing's: the sealed record's once the session is sealed; before it, the engine's pricing so far when the
caller passes it (billing.selectors.session_cost), else the running cost billing stored on the transaction
(sessions.costs). Callers price; this module never does.
"""

from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from billing import pricing
from billing.models import ChargeDetailRecord, Tariff
from roaming.mapping.timestamps import latest, ocpi_datetime
from roaming.mapping.tokens import TOKEN_TYPE
from sessions.models import AuthorizationStatus, IdTag, Reservation, Transaction
from stations.models import Evse

# When no tariff priced the session: the currency a tariff has unless told otherwise.
DEFAULT_CURRENCY = str(Tariff._meta.get_field("currency").default)
# OCPI types: "Unless mentioned otherwise, numbers use 4 decimals" (no rounding rule is given: half up,
# as billing rounds money). Money is kept to 4 decimals at most, so only volumes are ever rounded here.
_VOLUME_PLACES = Decimal("0.0001")
_CDR_TOKEN_TYPE = {ours: ocpi for ocpi, ours in TOKEN_TYPE.items()}


def session_status(tx: Transaction) -> str:
    """ACTIVE while charging, COMPLETED once stopped, INVALID when our authorization refused it (never billed).
    PENDING and RESERVATION have no transaction: a reservation's Session is reservation_session_object's."""
    if tx.authorization_status != AuthorizationStatus.ACCEPTED:
        return "INVALID"
    return "COMPLETED" if tx.status == Transaction.Status.COMPLETED else "ACTIVE"


def cdr_token(tag: IdTag | None) -> dict[str, Any]:
    """The token as its issuer named it (sessions and CDRs are only ever sent for a partner's token)."""
    if tag is None:
        raise ValueError("a session with no token of a partner's is no partner's to see")
    country_code, _, party_id = tag.issuer_party.partition("*")
    return {
        "country_code": country_code,
        "party_id": party_id,
        "uid": tag.id_tag,
        "type": _CDR_TOKEN_TYPE.get(tag.token_type, "OTHER"),
        "contract_id": tag.contract_id or tag.id_tag,
    }


def charging_periods(periods: Iterable[pricing.ChargingPeriod] | Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The engine's periods (or the sealed record's, as stored JSON) as OCPI ChargingPeriods."""
    return [_period(p) if isinstance(p, dict) else _period(_period_json(p)) for p in periods]


def volume(value: Decimal | str | int) -> Decimal:
    """A volume (kWh, hours, A, kW, %) to the ten-thousandth, half up; billing keeps them to the millionth
    (an hour's third, 0.333333, becomes 0.3333). Only what a partner reads is rounded, never a cost."""
    return Decimal(str(value)).quantize(_VOLUME_PLACES, rounding=ROUND_HALF_UP).normalize()


def price(excl_vat: Decimal | str | None, incl_vat: Decimal | str | None) -> dict[str, Any]:
    data: dict[str, Any] = {"excl_vat": Decimal(str(excl_vat or 0))}
    if incl_vat is not None:
        data["incl_vat"] = Decimal(str(incl_vat))
    return data


def session_last_updated(tx: Transaction, record: ChargeDetailRecord | None = None) -> datetime:
    """The newest of the times the session changed for a partner (cost writes skip updated_at)."""
    return latest(
        tx.updated_at, tx.cost_priced_at, tx.last_reading_at, tx.stopped_at, record.created_at if record else None
    )


def session_object(
    tx: Transaction,
    *,
    country_code: str,
    party_id: str,
    cdr: pricing.Cdr | None = None,
    auth_method: str = "WHITELIST",
    reference: str | None = None,
) -> dict[str, Any]:
    """The OCPI Session of a partner's token's transaction; `cdr` is the engine's pricing of it so far,
    `auth_method` and `reference` how it was authorised (roaming.selectors.session_authorisation).

    Select `id_tag`, `connector__evse` and `station` when mapping many; the sealed record, when there is
    one, is read through `charge_detail_record`."""
    record = getattr(tx, "charge_detail_record", None)
    energy_wh = record.total_energy_wh if record else (tx.energy_wh or 0)
    data: dict[str, Any] = {
        "country_code": country_code,
        "party_id": party_id,
        "id": str(tx.pk),
        "start_date_time": ocpi_datetime(tx.started_at),
        "kwh": Decimal(max(energy_wh, 0)) / 1000,
        "cdr_token": cdr_token(tx.id_tag),
        "auth_method": auth_method,
        "location_id": str(tx.station.location_id),
        "evse_uid": str(tx.connector.evse_id),
        "connector_id": str(tx.connector.number),
        "currency": _currency(tx, record, cdr),
        "charging_periods": charging_periods(
            record.charging_periods if record else (cdr.charging_periods if cdr else ())
        ),
        "status": session_status(tx),
        "last_updated": ocpi_datetime(session_last_updated(tx, record)),
    }
    if tx.stopped_at is not None:
        data["end_date_time"] = ocpi_datetime(tx.stopped_at)
    if reference is not None:
        data["authorization_reference"] = reference
    if tx.station.meter_serial_number:
        data["meter_id"] = tx.station.meter_serial_number
    if record is not None:
        data["total_cost"] = price(record.total_cost_excl_vat, record.total_cost_incl_vat)
    elif cdr is not None:
        data["total_cost"] = price(cdr.total_cost.excl_vat, cdr.total_cost.incl_vat)
    elif tx.cost_excl_vat is not None:
        data["total_cost"] = price(tx.cost_excl_vat, tx.cost_incl_vat)
    return data


def _currency(tx: Transaction, record: ChargeDetailRecord | None, cdr: pricing.Cdr | None) -> str:
    if record is not None:
        return record.currency
    return (cdr.currency if cdr else tx.cost_currency) or DEFAULT_CURRENCY


def _period_json(period: pricing.ChargingPeriod) -> dict[str, Any]:
    return {
        "start_date_time": period.start_date_time,
        "dimensions": [{"type": d.type, "volume": d.volume} for d in period.dimensions],
        "tariff_id": period.tariff_id,
    }


def _period(period: dict[str, Any]) -> dict[str, Any]:
    start = period["start_date_time"]
    data: dict[str, Any] = {
        "start_date_time": ocpi_datetime(datetime.fromisoformat(start) if isinstance(start, str) else start),
        "dimensions": [{"type": d["type"], "volume": volume(d["volume"])} for d in period["dimensions"]],
    }
    if period.get("tariff_id"):
        data["tariff_id"] = period["tariff_id"]
    return data


def reservation_session_id(reservation_pk: int) -> str:
    """A reservation's Session id: "R" and its pk, never a transaction's (their ids are bare pks)."""
    return f"R{reservation_pk}"


def reservation_session_object(
    *,
    reservation: Reservation,
    tag: IdTag,
    evse: Evse,
    connector_number: int,
    changed_at: datetime,
    ended: bool,
    reference: str,
    country_code: str,
    party_id: str,
) -> dict[str, Any]:
    """The Session a RESERVE_NOW we carried out made (mod_commands: "A successful reservation will result in
        a new Session object being created by the CPO"): RESERVATION while held, COMPLETED once it `ended`
    (at `changed_at`, else the time it was last made or replaced).

        Nothing charged on it: the charging session the reservation is used for is its transaction's own.
        OCPI's Session names one connector; a reservation holds an EVSE: the caller names its first."""
    data: dict[str, Any] = {
        "country_code": country_code,
        "party_id": party_id,
        "id": reservation_session_id(reservation.pk),
        "start_date_time": ocpi_datetime(reservation.created_at),
        "kwh": 0,
        "cdr_token": cdr_token(tag),
        "auth_method": "COMMAND",
        "location_id": str(evse.station.location_id),
        "evse_uid": str(evse.pk),
        "connector_id": str(connector_number),
        "currency": DEFAULT_CURRENCY,
        "charging_periods": [],
        "status": "COMPLETED" if ended else "RESERVATION",
        "last_updated": ocpi_datetime(changed_at),
    }
    if ended:
        data["end_date_time"] = ocpi_datetime(changed_at)
    if reference:
        data["authorization_reference"] = reference
    return data
