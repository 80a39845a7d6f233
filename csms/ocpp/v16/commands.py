"""The gateway's commands as OCPP 1.6 CALLs: neutral parameters in, a 1.6 payload out.

1.6 names EVSEs "connectors": EVSE n is connectorId n, and connectorId 0
means the whole station. 1.6 id tags carry no type: a token's 2.0.1 type
(id_token_type) is not sent.
"""

from dataclasses import dataclass

from ocpp.v16 import call

from csms.ocpp.engine import NotExpressible
from csms.ocpp.schedules import charging_schedule

_PURPOSE = {"TxDefault": "TxDefaultProfile", "Tx": "TxProfile", "StationMax": "ChargePointMaxProfile"}


def charging_profile(profile: dict) -> dict:
    """A neutral profile (see commands.ChargingProfile) as a 1.6 ChargingProfile, snake_case."""
    return {
        "charging_profile_id": profile["profile_id"],
        "transaction_id": profile.get("transaction_id"),
        "stack_level": profile["stack_level"],
        "charging_profile_purpose": _PURPOSE[profile["purpose"]],
        "charging_profile_kind": profile["kind"],
        "recurrency_kind": profile.get("recurrency"),
        "valid_from": profile.get("valid_from"),
        "valid_to": profile.get("valid_to"),
        "charging_schedule": charging_schedule(profile),
    }


def remote_start(
    *,
    id_tag: str,
    id_token_type: str = "",
    evse_id: int | None = None,
    profile: dict | None = None,
    request_id: int | None = None,
):
    return call.RemoteStartTransaction(
        id_tag=id_tag, connector_id=evse_id, charging_profile=charging_profile(profile) if profile else None
    )


def remote_stop(*, transaction_id: int, transaction_uid: str | None = None):
    return call.RemoteStopTransaction(transaction_id=transaction_id)


def reset(*, hard: bool, evse_id: int | None = None):
    if evse_id:
        raise NotExpressible("OCPP 1.6 resets a whole charge point, not one EVSE")
    return call.Reset(type="Hard" if hard else "Soft")


def unlock_connector(*, evse_id: int, connector_id: int = 1):
    return call.UnlockConnector(connector_id=evse_id)


def change_availability(*, evse_id: int, operative: bool, connector_id: int | None = None):
    """1.6's connector is the EVSE: its (only) connector 1 is the EVSE itself."""
    if connector_id not in (None, 1):
        raise NotExpressible(f"OCPP 1.6 has one connector per EVSE, not connector {connector_id}")
    return call.ChangeAvailability(connector_id=evse_id, type="Operative" if operative else "Inoperative")


def get_configuration(*, keys: list[str] | None = None):
    return call.GetConfiguration(key=keys or None)


def change_configuration(*, key: str, value: str):
    return call.ChangeConfiguration(key=key, value=value)


def clear_cache():
    return call.ClearCache()


def trigger_message(*, message: str, evse_id: int | None = None):
    return call.TriggerMessage(requested_message=message, connector_id=evse_id)


def update_firmware(
    *,
    location: str,
    retrieve_at: str,
    retries: int | None = None,
    retry_interval: int | None = None,
    request_id: int | None = None,
):
    return call.UpdateFirmware(
        location=location, retrieve_date=retrieve_at, retries=retries, retry_interval=retry_interval
    )


def get_diagnostics(
    *,
    location: str,
    start: str | None = None,
    stop: str | None = None,
    retries: int | None = None,
    retry_interval: int | None = None,
    request_id: int | None = None,
):
    return call.GetDiagnostics(
        location=location, start_time=start, stop_time=stop, retries=retries, retry_interval=retry_interval
    )


def data_transfer(*, vendor_id: str, message_id: str | None = None, data: str | None = None):
    return call.DataTransfer(vendor_id=vendor_id, message_id=message_id, data=data)


def set_charging_profile(*, evse_id: int, profile: dict):
    return call.SetChargingProfile(connector_id=evse_id, cs_charging_profiles=charging_profile(profile))


def clear_charging_profile(
    *,
    profile_id: int | None = None,
    evse_id: int | None = None,
    purpose: str | None = None,
    stack_level: int | None = None,
):
    return call.ClearChargingProfile(
        id=profile_id, connector_id=evse_id, charging_profile_purpose=_PURPOSE.get(purpose), stack_level=stack_level
    )


def get_composite_schedule(*, evse_id: int, duration_s: int, rate_unit: str | None = None):
    return call.GetCompositeSchedule(connector_id=evse_id, duration=duration_s, charging_rate_unit=rate_unit)


def reserve_now(
    *,
    evse_id: int,
    id_tag: str,
    expires_at: str,
    reservation_id: int,
    id_token_type: str = "",
    parent_id_tag: str | None = None,
):
    return call.ReserveNow(
        connector_id=evse_id,
        expiry_date=expires_at,
        id_tag=id_tag,
        reservation_id=reservation_id,
        parent_id_tag=parent_id_tag,
    )


def cancel_reservation(*, reservation_id: int):
    return call.CancelReservation(reservation_id=reservation_id)


@dataclass
class SendLocalList:
    """SendLocalList.req with its fields in the schema's order (the `ocpp` package's
    dataclass puts updateType second); the action is named after the class."""

    list_version: int
    local_authorization_list: list
    update_type: str


def send_local_list(*, version: int, full: bool, entries: list[dict]):
    return SendLocalList(
        list_version=version,
        local_authorization_list=[_local_entry(entry) for entry in entries],
        update_type="Full" if full else "Differential",
    )


def _local_entry(entry: dict) -> dict:
    """AuthorizationData, keys in schema order. 1.6 reads an entry without idTagInfo as a
    removal (differential updates only), so every other entry carries one."""
    if entry.get("status") is None:
        return {"id_tag": entry["id_tag"]}
    info = {}
    if entry.get("expires_at"):
        info["expiry_date"] = entry["expires_at"]
    if entry.get("parent_id_tag"):
        info["parent_id_tag"] = entry["parent_id_tag"]
    info["status"] = entry["status"]
    return {"id_tag": entry["id_tag"], "id_tag_info": info}


def get_local_list_version():
    return call.GetLocalListVersion()


COMMANDS = {
    builder.__name__: builder
    for builder in (
        remote_start,
        remote_stop,
        reset,
        unlock_connector,
        change_availability,
        get_configuration,
        change_configuration,
        clear_cache,
        trigger_message,
        update_firmware,
        get_diagnostics,
        data_transfer,
        set_charging_profile,
        clear_charging_profile,
        get_composite_schedule,
        reserve_now,
        cancel_reservation,
        send_local_list,
        get_local_list_version,
    )
}
