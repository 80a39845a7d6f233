"""The version-neutral command API: what the rest of Voltstack asks chargers to do.

Every function takes domain objects and plain values, picks nothing
version-specific itself (the station's consumer translates to the OCPP 1.6
or 2.0.1 CALL), and returns the charger's `Answer` — or raises:

- `StationNotConnected`: no socket for this station right now;
- `StationNotAccepted`: connected, but not booted and Accepted, and the command
  is not one the spec lets a Pending station take (see acceptance.py): not sent;
- `CommandTimeout`: the charger did not answer in time (a late answer is
  logged and ignored, never taken for the answer to a later call);
- `CommandRejected`: it answered no, with its status;
- `CommandCallError`: it answered with a CALLERROR (code, description);
- `CommandNotSupported`: the station's OCPP version has no such operation;
- `CommandInvalid`: the request would break the version's schema, so it was not sent.

Each command is a coroutine; `command.sync(...)` runs it from sync code
(views, Celery tasks, the admin). What the charger reports back is kept:
configuration keys, composite schedules, reservations, the local list version.
"""

import functools
import itertools
import time
from dataclasses import asdict, dataclass
from datetime import datetime

from asgiref.sync import async_to_sync

from csms.db import db_async
from csms.ocpp.gateway import (
    Answer,
    CommandCallError,
    CommandError,
    CommandInvalid,
    CommandNotSupported,
    CommandRejected,
    CommandTimeout,
    StationNotAccepted,
    StationNotConnected,
    dispatch,
)
from csms.ocpp.values import iso
from sessions import selectors as tokens
from sessions import services as sessions
from sessions.models import Transaction
from stations import services as stations
from stations.models import ChargingStation

__all__ = [
    "Answer",
    "ChargingProfile",
    "CommandCallError",
    "CommandError",
    "CommandInvalid",
    "CommandNotSupported",
    "CommandRejected",
    "CommandTimeout",
    "SchedulePeriod",
    "StationNotAccepted",
    "StationNotConnected",
]

# Statuses that mean the charger will do (or did) what was asked.
AGREED = frozenset({"Accepted", "Unlocked", "Scheduled", "RebootRequired"})


@dataclass(frozen=True)
class SchedulePeriod:
    start_s: int
    limit: float
    phases: int | None = None


@dataclass(frozen=True)
class ChargingProfile:
    """A charging profile as plain values; each OCPP version's shape is made from it."""

    profile_id: int
    stack_level: int
    purpose: str  # "TxDefault", "Tx" or "StationMax"
    rate_unit: str  # "W" or "A"
    periods: list[SchedulePeriod]
    kind: str = "Absolute"  # "Absolute", "Relative" or "Recurring"
    recurrency: str | None = None  # "Daily" or "Weekly"
    starts_at: str | None = None
    duration_s: int | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    transaction_id: int | None = None  # a Tx profile's transaction on a 1.6 station
    transaction_uid: str | None = None  # ... and on a 2.0.1 station
    min_rate: float | None = None


# Request ids (2.0.1 remoteStartId, requestId) the station echoes in its follow-up messages.
_request_ids = itertools.count(int(time.time()) % 1_000_000 * 1000)


def _request_id() -> int:
    return next(_request_ids) % 2**31


def command(func):
    """Give an async command a `.sync` twin for callers without an event loop."""
    func.sync = functools.wraps(func)(async_to_sync(func))
    return func


async def _send(station: ChargingStation, name: str, **params) -> Answer:
    answer = await dispatch(station_id=station.pk, charge_point_id=station.charge_point_id, command=name, params=params)
    if answer.status is not None and answer.status not in AGREED:
        raise CommandRejected(station.charge_point_id, answer.action, answer.status, answer.data)
    return answer


@command
async def remote_start(
    station: ChargingStation,
    *,
    id_tag: str,
    evse_id: int | None = None,
    profile: ChargingProfile | None = None,
    id_token_type: str | None = None,
) -> Answer:
    """Ask the station to start a session. Accepted only means it agreed: the session
    exists once the station reports its start. The token goes with its own type (2.0.1),
    the stored one unless given."""
    token_type = id_token_type or (await db_async(tokens.id_token_types)(id_tags=[id_tag]))[id_tag]
    return await _send(
        station,
        "remote_start",
        id_tag=id_tag,
        id_token_type=token_type,
        evse_id=evse_id,
        profile=asdict(profile) if profile else None,
        request_id=_request_id(),
    )


@command
async def remote_stop(station: ChargingStation, *, transaction: Transaction) -> Answer:
    return await _send(station, "remote_stop", transaction_id=transaction.pk, transaction_uid=transaction.uid)


@command
async def reset(station: ChargingStation, *, hard: bool = False, evse_id: int | None = None) -> Answer:
    """Reset the station, or one EVSE of it (2.0.1 only; 1.6 resets whole stations)."""
    return await _send(station, "reset", hard=hard, evse_id=evse_id)


@command
async def unlock_connector(station: ChargingStation, *, evse_id: int, connector_id: int = 1) -> Answer:
    return await _send(station, "unlock_connector", evse_id=evse_id, connector_id=connector_id)


@command
async def change_availability(
    station: ChargingStation, *, evse_id: int, operative: bool, connector_id: int | None = None
) -> Answer:
    """evse_id 0 is the whole station; with connector_id, only that connector of the EVSE."""
    return await _send(station, "change_availability", evse_id=evse_id, operative=operative, connector_id=connector_id)


@command
async def get_configuration(station: ChargingStation, *, keys: list[str] | None = None) -> Answer:
    """OCPP 1.6: read configuration keys, and keep them."""
    answer = await _send(station, "get_configuration", keys=keys)
    await db_async(stations.record_configuration)(
        station_id=station.pk,
        keys=answer.data.get("configuration_key", []),
        unknown=answer.data.get("unknown_key", []),
    )
    return answer


@command
async def change_configuration(station: ChargingStation, *, key: str, value: str) -> Answer:
    """OCPP 1.6: set one configuration key; the kept value follows when the station agrees.
    A new AuthorizationKey is the station's password from then on (kept hashed, never as a key)."""
    password = _new_password(station, stations.password_set_by_configuration, key=key, value=value)
    answer = await _send(station, "change_configuration", key=key, value=value)
    if password is not None:
        await db_async(stations.record_station_password)(station_id=station.pk, password=password)
    else:
        await db_async(stations.record_configuration_change)(station_id=station.pk, key=key, value=value)
    return answer


@command
async def get_variables(station: ChargingStation, *, variables: list[tuple[str, str]]) -> Answer:
    """OCPP 2.0.1: read (component, variable) pairs of the device model, and keep the values read."""
    refs = [{"component": component, "variable": variable} for component, variable in variables]
    answer = await _send(station, "get_variables", variables=refs)
    read = [
        stations.DeviceModelAttribute(
            component=r["component"]["name"], variable=r["variable"]["name"], value=r.get("attribute_value")
        )
        for r in answer.data.get("get_variable_result", [])
        if r.get("attribute_status") == "Accepted"
    ]
    await db_async(stations.record_device_model)(station_id=station.pk, attributes=read)
    return answer


@command
async def set_variables(station: ChargingStation, *, values: list[tuple[str, str, str]]) -> Answer:
    """OCPP 2.0.1: set (component, variable, value) triples; the kept device model follows what was accepted.
    An accepted SecurityCtrlr.BasicAuthPassword is the station's password from then on (kept hashed only)."""
    passwords = [
        _new_password(station, stations.password_set_by_variable, component=c, variable=v, value=value)
        for c, v, value in values
    ]
    refs = [{"component": c, "variable": v, "value": value} for c, v, value in values]
    answer = await _send(station, "set_variables", variables=refs)
    results = answer.data.get("set_variable_result", [])
    agreed = [result.get("attribute_status") in AGREED for result in results]
    accepted = [
        stations.DeviceModelAttribute(component=c, variable=v, value=value)
        for (c, v, value), ok, password in zip(values, agreed, passwords)
        if ok and password is None
    ]
    await db_async(stations.record_device_model)(station_id=station.pk, attributes=accepted)
    for password in (password for password, ok in zip(passwords, agreed) if ok and password is not None):
        await db_async(stations.record_station_password)(station_id=station.pk, password=password)
    return answer


def _new_password(station: ChargingStation, password_set_by, **setting) -> str | None:
    """The password this setting gives the station; CommandInvalid, before anything is sent, for one
    the station could never present."""
    try:
        return password_set_by(**setting)
    except stations.InvalidStationPassword as error:
        raise CommandInvalid(f"{station.charge_point_id}: {error}") from None


@command
async def get_base_report(station: ChargingStation, *, report: str = "FullInventory") -> Answer:
    """OCPP 2.0.1: ask for the device model; it arrives in NotifyReport messages and is kept."""
    return await _send(station, "get_base_report", request_id=_request_id(), report=report)


@command
async def clear_cache(station: ChargingStation) -> Answer:
    return await _send(station, "clear_cache")


@command
async def trigger_message(station: ChargingStation, *, message: str, evse_id: int | None = None) -> Answer:
    """Ask the station to send a message now (BootNotification, StatusNotification, MeterValues, ...)."""
    return await _send(station, "trigger_message", message=message, evse_id=evse_id)


@command
async def update_firmware(
    station: ChargingStation,
    *,
    location: str,
    retrieve_at: datetime,
    retries: int | None = None,
    retry_interval: int | None = None,
) -> Answer:
    return await _send(
        station,
        "update_firmware",
        location=location,
        retrieve_at=iso(retrieve_at),
        retries=retries,
        retry_interval=retry_interval,
        request_id=_request_id(),
    )


@command
async def get_diagnostics(
    station: ChargingStation, *, location: str, start: datetime | None = None, stop: datetime | None = None
) -> Answer:
    """Ask the station to upload its diagnostics (1.6 GetDiagnostics, 2.0.1 GetLog)."""
    return await _send(
        station, "get_diagnostics", location=location, start=iso(start), stop=iso(stop), request_id=_request_id()
    )


@command
async def data_transfer(
    station: ChargingStation, *, vendor_id: str, message_id: str | None = None, data: str | None = None
) -> Answer:
    return await _send(station, "data_transfer", vendor_id=vendor_id, message_id=message_id, data=data)


@command
async def set_charging_profile(station: ChargingStation, *, evse_id: int, profile: ChargingProfile) -> Answer:
    return await _send(station, "set_charging_profile", evse_id=evse_id, profile=asdict(profile))


@command
async def clear_charging_profile(
    station: ChargingStation,
    *,
    profile_id: int | None = None,
    evse_id: int | None = None,
    purpose: str | None = None,
    stack_level: int | None = None,
) -> Answer:
    return await _send(
        station,
        "clear_charging_profile",
        profile_id=profile_id,
        evse_id=evse_id,
        purpose=purpose,
        stack_level=stack_level,
    )


@command
async def get_composite_schedule(
    station: ChargingStation, *, evse_id: int, duration_s: int, rate_unit: str | None = None
) -> Answer:
    """The schedule the EVSE will follow for the next `duration_s` seconds; kept for operators."""
    answer = await _send(station, "get_composite_schedule", evse_id=evse_id, duration_s=duration_s, rate_unit=rate_unit)
    await db_async(stations.record_composite_schedule)(
        station_id=station.pk,
        evse_id=evse_id,
        status=answer.status or "",
        schedule=answer.data.get("charging_schedule"),
    )
    return answer


@command
async def reserve_now(station: ChargingStation, *, evse_id: int, id_tag: str, expires_at: datetime) -> Answer:
    """Hold an EVSE for an id tag. The reservation is kept, with the station's answer."""
    reservation = await db_async(sessions.create_reservation)(
        station_id=station.pk, evse_id=evse_id, id_tag=id_tag, expires_at=expires_at
    )
    types = await db_async(tokens.id_token_types)(id_tags=[id_tag])
    try:
        answer = await _send(
            station,
            "reserve_now",
            evse_id=evse_id,
            id_tag=id_tag,
            id_token_type=types[id_tag],
            expires_at=iso(expires_at),
            reservation_id=reservation.pk,
        )
    except CommandTimeout:
        raise  # the station may still hold it: stays "requested" until it says otherwise
    except CommandError as error:
        await db_async(sessions.record_reservation_answer)(
            reservation_id=reservation.pk, answer=getattr(error, "status", "NotSent")
        )
        raise
    await db_async(sessions.record_reservation_answer)(reservation_id=reservation.pk, answer=answer.status)
    return answer


@command
async def cancel_reservation(station: ChargingStation, *, reservation_id: int) -> Answer:
    answer = await _send(station, "cancel_reservation", reservation_id=reservation_id)
    await db_async(sessions.cancel_reservation)(reservation_id=reservation_id)
    return answer


@command
async def send_local_list(station: ChargingStation, *, version: int, entries: list[dict], full: bool = True) -> Answer:
    """Send the station's local authorization list: entries of id_tag, status, expires_at,
    parent_id_tag (and id_token_type, else the stored one). An entry without a status
    removes its tag, which only a differential update can do."""
    if full and any(entry.get("status") is None for entry in entries):
        raise CommandInvalid(f"{station.charge_point_id}: not sent, a full local list gives every entry a status")
    tags = [entry["id_tag"] for entry in entries] + [
        entry["parent_id_tag"] for entry in entries if entry.get("parent_id_tag")
    ]
    types = await db_async(tokens.id_token_types)(id_tags=tags)
    typed = [
        {
            **entry,
            "id_token_type": entry.get("id_token_type") or types[entry["id_tag"]],
            "parent_id_token_type": types.get(entry.get("parent_id_tag")),
        }
        for entry in entries
    ]
    answer = await _send(station, "send_local_list", version=version, full=full, entries=typed)
    await db_async(stations.record_local_list_version)(station_id=station.pk, version=version)
    return answer


@command
async def get_local_list_version(station: ChargingStation) -> Answer:
    answer = await _send(station, "get_local_list_version")
    version = answer.data.get("list_version", answer.data.get("version_number"))
    # 1.6 answers -1 when the station has no local list support at all.
    await db_async(stations.record_local_list_version)(
        station_id=station.pk, version=None if version == -1 else version
    )
    return answer
