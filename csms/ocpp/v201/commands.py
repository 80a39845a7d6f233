"""The gateway's commands as OCPP 2.0.1 CALLs: neutral parameters in, a 2.0.1 payload out."""

from dataclasses import dataclass

from ocpp.v201 import call

from csms.ocpp.schedules import charging_schedule

_PURPOSE = {"TxDefault": "TxDefaultProfile", "Tx": "TxProfile", "StationMax": "ChargingStationMaxProfile"}


def _token(id_tag: str, token_type: str) -> dict:
    """An IdTokenType, keys in schema order, with the token's own type (ISO14443, eMAID, Central...)."""
    return {"id_token": id_tag, "type": token_type}


def charging_profile(profile: dict) -> dict:
    """A neutral profile (see commands.ChargingProfile) as a 2.0.1 ChargingProfileType, snake_case."""
    return {
        "id": profile["profile_id"],
        "stack_level": profile["stack_level"],
        "charging_profile_purpose": _PURPOSE[profile["purpose"]],
        "charging_profile_kind": profile["kind"],
        "recurrency_kind": profile.get("recurrency"),
        "valid_from": profile.get("valid_from"),
        "valid_to": profile.get("valid_to"),
        "transaction_id": profile.get("transaction_uid"),
        "charging_schedule": [{"id": profile["profile_id"], **charging_schedule(profile)}],
    }


def remote_start(
    *, id_tag: str, id_token_type: str, evse_id: int | None = None, profile: dict | None = None, request_id: int
):
    return call.RequestStartTransaction(
        id_token=_token(id_tag, id_token_type),
        remote_start_id=request_id,
        evse_id=evse_id,
        charging_profile=charging_profile(profile) if profile else None,
    )


def remote_stop(*, transaction_id: int, transaction_uid: str | None = None):
    return call.RequestStopTransaction(transaction_id=transaction_uid or str(transaction_id))


def reset(*, hard: bool, evse_id: int | None = None):
    """The whole station, or one EVSE (evseId)."""
    return call.Reset(type="Immediate" if hard else "OnIdle", evse_id=evse_id or None)


def unlock_connector(*, evse_id: int, connector_id: int = 1):
    return call.UnlockConnector(evse_id=evse_id, connector_id=connector_id)


def change_availability(*, evse_id: int, operative: bool, connector_id: int | None = None):
    """The station (EVSE 0), one EVSE, or one connector of it (evse.connectorId)."""
    evse = None
    if evse_id:
        evse = {"id": evse_id} if connector_id is None else {"id": evse_id, "connector_id": connector_id}
    return call.ChangeAvailability(operational_status="Operative" if operative else "Inoperative", evse=evse)


def get_variables(*, variables: list[dict]):
    return call.GetVariables(get_variable_data=[_variable_ref(v) for v in variables])


def set_variables(*, variables: list[dict]):
    return call.SetVariables(set_variable_data=[{**_variable_ref(v), "attribute_value": v["value"]} for v in variables])


def _variable_ref(variable: dict) -> dict:
    component = {"name": variable["component"]}
    if variable.get("evse_id"):
        component["evse"] = {"id": variable["evse_id"]}
    return {"component": component, "variable": {"name": variable["variable"]}}


def get_base_report(*, request_id: int, report: str = "FullInventory"):
    return call.GetBaseReport(request_id=request_id, report_base=report)


def clear_cache():
    return call.ClearCache()


def trigger_message(*, message: str, evse_id: int | None = None):
    return call.TriggerMessage(requested_message=message, evse={"id": evse_id} if evse_id else None)


def update_firmware(
    *, location: str, retrieve_at: str, retries: int | None = None, retry_interval: int | None = None, request_id: int
):
    return call.UpdateFirmware(
        request_id=request_id,
        firmware={"location": location, "retrieve_date_time": retrieve_at},
        retries=retries,
        retry_interval=retry_interval,
    )


def get_diagnostics(
    *,
    location: str,
    start: str | None = None,
    stop: str | None = None,
    retries: int | None = None,
    retry_interval: int | None = None,
    request_id: int,
):
    log = {"remote_location": location, "oldest_timestamp": start, "latest_timestamp": stop}
    return call.GetLog(
        log={k: v for k, v in log.items() if v is not None},
        log_type="DiagnosticsLog",
        request_id=request_id,
        retries=retries,
        retry_interval=retry_interval,
    )


def data_transfer(*, vendor_id: str, message_id: str | None = None, data: str | None = None):
    return call.DataTransfer(vendor_id=vendor_id, message_id=message_id, data=data)


def set_charging_profile(*, evse_id: int, profile: dict):
    return call.SetChargingProfile(evse_id=evse_id, charging_profile=charging_profile(profile))


def clear_charging_profile(
    *,
    profile_id: int | None = None,
    evse_id: int | None = None,
    purpose: str | None = None,
    stack_level: int | None = None,
):
    criteria = {"evse_id": evse_id, "charging_profile_purpose": _PURPOSE.get(purpose), "stack_level": stack_level}
    criteria = {k: v for k, v in criteria.items() if v is not None}
    return call.ClearChargingProfile(charging_profile_id=profile_id, charging_profile_criteria=criteria or None)


def get_composite_schedule(*, evse_id: int, duration_s: int, rate_unit: str | None = None):
    return call.GetCompositeSchedule(duration=duration_s, evse_id=evse_id, charging_rate_unit=rate_unit)


def reserve_now(*, evse_id: int, id_tag: str, id_token_type: str, expires_at: str, reservation_id: int):
    return call.ReserveNow(
        id=reservation_id, expiry_date_time=expires_at, id_token=_token(id_tag, id_token_type), evse_id=evse_id
    )


def cancel_reservation(*, reservation_id: int):
    return call.CancelReservation(reservation_id=reservation_id)


@dataclass
class SendLocalList:
    """SendLocalListRequest with its fields in the schema's order (the `ocpp` package's
    dataclass puts versionNumber first); the action is named after the class."""

    local_authorization_list: list | None
    version_number: int
    update_type: str


def send_local_list(*, version: int, full: bool, entries: list[dict]):
    return SendLocalList(
        local_authorization_list=[_local_entry(entry) for entry in entries] or None,
        version_number=version,
        update_type="Full" if full else "Differential",
    )


def _local_entry(entry: dict) -> dict:
    """AuthorizationData, keys in schema order; without a status it removes the token
    (differential updates only), otherwise it always carries idTokenInfo."""
    token = _token(entry["id_tag"], entry["id_token_type"])
    if entry.get("status") is None:
        return {"id_token": token}
    info = {"status": entry["status"]}
    if entry.get("expires_at"):
        info["cache_expiry_date_time"] = entry["expires_at"]
    if entry.get("parent_id_tag"):
        info["group_id_token"] = _token(entry["parent_id_tag"], entry.get("parent_id_token_type") or "Central")
    return {"id_token": token, "id_token_info": info}


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
        get_variables,
        set_variables,
        get_base_report,
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
