"""The port's commands as OCPP 2.0.1 CALLs: a typed command in, a 2.0.1 payload out."""

from dataclasses import dataclass
from typing import Any

from ocpp.v201 import call

from csms.ocpp import commands as c
from csms.ocpp.schedules import charging_schedule
from csms.ocpp.values import iso

builds = c.Builders("2.0.1")

_PURPOSE = {"TxDefault": "TxDefaultProfile", "Tx": "TxProfile", "StationMax": "ChargingStationMaxProfile"}


def _token(id_tag: str, token_type: str) -> dict:
    """An IdTokenType, keys in schema order, with the token's own type (ISO14443, eMAID, Central...)."""
    return {"id_token": id_tag, "type": token_type}


def charging_profile(profile: c.ChargingProfile) -> dict:
    """A neutral profile as a 2.0.1 ChargingProfileType, snake_case."""
    return {
        "id": profile.profile_id,
        "stack_level": profile.stack_level,
        "charging_profile_purpose": _PURPOSE[profile.purpose],
        "charging_profile_kind": profile.kind,
        "recurrency_kind": profile.recurrency,
        "valid_from": profile.valid_from,
        "valid_to": profile.valid_to,
        "transaction_id": profile.transaction_uid,
        "charging_schedule": [{"id": profile.profile_id, **charging_schedule(profile)}],
    }


@builds(c.RemoteStart)
def remote_start(command: c.RemoteStart) -> c.Payload:
    return call.RequestStartTransaction(
        id_token=_token(command.id_tag, command.id_token_type),
        remote_start_id=command.request_id,
        evse_id=command.evse_number,
        charging_profile=charging_profile(command.profile) if command.profile else None,
    )


@builds(c.RemoteStop)
def remote_stop(command: c.RemoteStop) -> c.Payload:
    return call.RequestStopTransaction(transaction_id=command.transaction_uid or str(command.transaction_id))


@builds(c.Reset)
def reset(command: c.Reset) -> c.Payload:
    """The whole station, or one EVSE (evseId)."""
    return call.Reset(type="Immediate" if command.hard else "OnIdle", evse_id=command.evse_number or None)


@builds(c.UnlockConnector)
def unlock_connector(command: c.UnlockConnector) -> c.Payload:
    return call.UnlockConnector(evse_id=command.evse_number, connector_id=command.connector_number)


@builds(c.ChangeAvailability)
def change_availability(command: c.ChangeAvailability) -> c.Payload:
    """The station (EVSE 0), one EVSE, or one connector of it (evse.connectorId)."""
    evse = None
    if command.evse_number:
        evse = {"id": command.evse_number}
        if command.connector_number is not None:
            evse["connector_id"] = command.connector_number
    return call.ChangeAvailability(operational_status="Operative" if command.operative else "Inoperative", evse=evse)


@builds(c.GetVariables)
def get_variables(command: c.GetVariables) -> c.Payload:
    return call.GetVariables(get_variable_data=[_variable_ref(v) for v in command.variables])


@builds(c.SetVariables)
def set_variables(command: c.SetVariables) -> c.Payload:
    return call.SetVariables(
        set_variable_data=[{**_variable_ref(v), "attribute_value": v.value} for v in command.values]
    )


def _variable_ref(variable: c.Variable | c.VariableValue) -> dict:
    component: dict[str, Any] = {"name": variable.component}
    if isinstance(variable, c.Variable) and variable.evse_number:
        component["evse"] = {"id": variable.evse_number}
    return {"component": component, "variable": {"name": variable.variable}}


@builds(c.GetBaseReport)
def get_base_report(command: c.GetBaseReport) -> c.Payload:
    return call.GetBaseReport(request_id=command.request_id, report_base=command.report)


@builds(c.ClearCache)
def clear_cache(command: c.ClearCache) -> c.Payload:
    return call.ClearCache()


@builds(c.TriggerMessage)
def trigger_message(command: c.TriggerMessage) -> c.Payload:
    evse = {"id": command.evse_number} if command.evse_number else None
    return call.TriggerMessage(requested_message=command.message, evse=evse)


@builds(c.UpdateFirmware)
def update_firmware(command: c.UpdateFirmware) -> c.Payload:
    return call.UpdateFirmware(
        request_id=command.request_id,
        firmware={"location": command.location, "retrieve_date_time": iso(command.retrieve_at)},
        retries=command.retries,
        retry_interval=command.retry_interval,
    )


@builds(c.GetDiagnostics)
def get_diagnostics(command: c.GetDiagnostics) -> c.Payload:
    log = {
        "remote_location": command.location,
        "oldest_timestamp": iso(command.start),
        "latest_timestamp": iso(command.stop),
    }
    return call.GetLog(
        log={k: v for k, v in log.items() if v is not None}, log_type="DiagnosticsLog", request_id=command.request_id
    )


@builds(c.DataTransfer)
def data_transfer(command: c.DataTransfer) -> c.Payload:
    return call.DataTransfer(vendor_id=command.vendor_id, message_id=command.message_id, data=command.data)


@builds(c.SetChargingProfile)
def set_charging_profile(command: c.SetChargingProfile) -> c.Payload:
    return call.SetChargingProfile(evse_id=command.evse_number, charging_profile=charging_profile(command.profile))


@builds(c.ClearChargingProfile)
def clear_charging_profile(command: c.ClearChargingProfile) -> c.Payload:
    criteria = {
        "evse_id": command.evse_number,
        "charging_profile_purpose": None if command.purpose is None else _PURPOSE.get(command.purpose),
        "stack_level": command.stack_level,
    }
    criteria = {k: v for k, v in criteria.items() if v is not None}
    return call.ClearChargingProfile(charging_profile_id=command.profile_id, charging_profile_criteria=criteria or None)


@builds(c.GetCompositeSchedule)
def get_composite_schedule(command: c.GetCompositeSchedule) -> c.Payload:
    return call.GetCompositeSchedule(
        duration=command.duration_s, evse_id=command.evse_number, charging_rate_unit=command.rate_unit
    )


@builds(c.ReserveNow)
def reserve_now(command: c.ReserveNow) -> c.Payload:
    return call.ReserveNow(
        id=command.reservation_id,
        expiry_date_time=iso(command.expires_at),
        id_token=_token(command.id_tag, command.id_token_type),
        evse_id=command.evse_number,
    )


@builds(c.CancelReservation)
def cancel_reservation(command: c.CancelReservation) -> c.Payload:
    return call.CancelReservation(reservation_id=command.reservation_id)


@dataclass
class SendLocalList:
    """SendLocalListRequest with its fields in the schema's order (the `ocpp` package's
    dataclass puts versionNumber first); the action is named after the class."""

    local_authorization_list: list | None
    version_number: int
    update_type: str


@builds(c.SendLocalList)
def send_local_list(command: c.SendLocalList) -> c.Payload:
    return SendLocalList(
        local_authorization_list=[_local_entry(entry) for entry in command.entries] or None,
        version_number=command.version,
        update_type="Full" if command.full else "Differential",
    )


def _local_entry(entry: c.LocalListEntry) -> dict:
    """AuthorizationData, keys in schema order; without a status it removes the token
    (differential updates only), otherwise it always carries idTokenInfo."""
    token = _token(entry.id_tag, entry.id_token_type)
    if entry.status is None:
        return {"id_token": token}
    info: dict[str, Any] = {"status": entry.status}
    if entry.expires_at:
        info["cache_expiry_date_time"] = entry.expires_at
    if entry.parent_id_tag:
        info["group_id_token"] = _token(entry.parent_id_tag, entry.parent_id_token_type or "Central")
    return {"id_token": token, "id_token_info": info}


@builds(c.GetLocalListVersion)
def get_local_list_version(command: c.GetLocalListVersion) -> c.Payload:
    return call.GetLocalListVersion()


# 2.0.1 keeps its configuration in the device model (GetVariables/SetVariables/GetBaseReport).
BUILDERS = builds.complete(not_supported=frozenset({c.GetConfiguration, c.ChangeConfiguration}))
